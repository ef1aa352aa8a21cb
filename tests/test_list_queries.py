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


def _statements(app, browser, url):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []
    listener = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = browser.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return response, seen


def test_a_page_reads_the_users_permissions_once(app, tenants, browser):
    """FAB asked the database once for each menu entry and button: 35 of a page's 45 queries."""
    browser.login("a-manager")
    for url in ("/certificates/list/", "/records/", "/certificates/wizard/"):
        response, statements = _statements(app, browser, url)
        assert response.status_code == 200
        permission_reads = [s for s in statements if "ab_permission_view" in s]
        assert len(permission_reads) == 1, url
        assert len(statements) <= 15, (url, len(statements))


def test_a_permission_taken_from_a_role_is_refused_on_the_next_request(app, tenants, browser):
    """The permissions are read once per request, not kept across requests."""
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import Role

    browser.login("a-manager")
    assert browser.get("/records/").status_code == 200
    with app.app_context():
        role = db.session.scalars(select(Role).where(Role.name == "site_manager")).one()
        taken = [pv for pv in role.permissions
                 if pv.view_menu.name == "RecordView" and pv.permission.name == "can_list"]
        assert taken
        for pv in taken:
            role.permissions.remove(pv)
        db.session.commit()
        try:
            response = browser.get("/records/")
            assert response.status_code in (302, 403)
        finally:
            role = db.session.scalars(select(Role).where(Role.name == "site_manager")).one()
            role.permissions.extend(taken)
            db.session.commit()
    assert browser.get("/records/").status_code == 200
