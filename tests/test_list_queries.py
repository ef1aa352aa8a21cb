"""The shop's certificate list loads what each row shows with the rows: its query count does not
grow with the number of certificates (at the March peak a list of 200 rows made 244 queries,
one per row for its OSS request, and the list's p95 went past 4 s)."""
import datetime as dt

from sqlalchemy import event, select


def _add_certificates(app, first, count):
    from app.extensions import db
    from app.models.certificate import Certificate, Vehicle

    with app.app_context():
        seeded = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
        for n in range(first, first + count):
            chassis = f"QRY10-{n:07d}"
            vehicle = Vehicle(business_id=seeded.business_id, site_id=seeded.site_id,
                              chassis_number=chassis, vehicle_kind="registered")
            db.session.add(vehicle)
            db.session.flush()
            db.session.add(Certificate(
                business_id=seeded.business_id, site_id=seeded.site_id, vehicle_id=vehicle.id,
                inspector_id=seeded.inspector_id, status="sent", application_type="oss",
                vehicle_kind="registered", chassis_number=chassis, registration_number=None,
                inspection_date=dt.date(2026, 11, 20), issue_date=dt.date(2026, 11, 20),
                odometer_km=41000, validity_years=2, certificate_valid_until=dt.date(2026, 12, 4),
                details={}, payload={}, idempotency_key=f"query-count-{n}", attempts=0))
        db.session.commit()


def _queries(app, browser, url):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counted = []
    listener = lambda *args, **kwargs: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = browser.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(counted)


def test_the_certificate_list_makes_the_same_queries_for_2_rows_and_for_12(app, tenants, browser):
    browser.login("a-manager")
    _add_certificates(app, 0, 1)
    few = _queries(app, browser, "/certificates/list/")
    _add_certificates(app, 1, 10)
    many = _queries(app, browser, "/certificates/list/")
    assert many == few
