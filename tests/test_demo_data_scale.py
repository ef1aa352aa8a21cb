"""`flask demo-data --scale small`: the counts, the constraints, realistic rows, a scale shop
user's lists showing only their own business's rows, and the association's searches across
businesses. The load takes most of a minute on PostgreSQL, so the tests of ``TestSmallScale``
share one (they only read)."""
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.commands.scale_data import (
    BULK_TABLES,
    SCALE_PASSWORD,
    SCALES,
    _check_foreign_keys,
    load_scale_data,
)
from app.domain.inspection_forms import applicable_checks, decode_results, validate_result
from app.services.certificates.common import LINKED_STATUSES

CHASSIS = re.compile(r"\b[A-Z0-9]{2,8}-\d{7}\b")


@pytest.fixture(scope="class")
def small_scale(app):
    """The README's demo data, the login ``assoc-staff`` and the small scale on top;
    (rows the loader counted, {table: rows before it}); emptied after the class."""
    from app.commands.demo_data import load_demo_data
    from app.extensions import db
    from app.models.certificate import Certificate
    from app.models.record import Record
    from app.models.tenancy import Business, Site
    from app.security.models import KeizokuUser
    from app.services.accounts import _hash
    from tests.conftest import PASSWORD, wipe_tenant_tables

    try:
        with app.app_context():
            load_demo_data()
            staff = KeizokuUser(username="assoc-staff", first_name="太郎", last_name="試験",
                                email="assoc-staff@example.jp", active=True, must_change_password=False,
                                roles=[app.appbuilder.sm.find_role("association_staff")])
            staff.password = _hash(PASSWORD)
            db.session.add(staff)
            db.session.commit()
            before = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                      for model in (Business, Site, Certificate, Record)}
            counts = load_scale_data(SCALES["small"], echo=lambda *_: None)
            db.session.remove()
        yield counts, before
    finally:
        wipe_tenant_tables(app)


@pytest.mark.keeps_data
@pytest.mark.usefixtures("small_scale")
class TestSmallScale:
    def test_small_scale_counts_constraints_and_isolation(self, app, browser, small_scale):
        from app.extensions import db
        from app.models.billing import BillableEvent
        from app.models.certificate import Certificate, Vehicle
        from app.models.record import Record
        from app.models.tenancy import Business, Site
        from app.security.models import KeizokuUser

        counts, before = small_scale
        small = SCALES["small"]
        with app.app_context():
            s = db.session
            # Counts: the scale's tenants on top of those already there, about 50k + 50k rows.
            assert s.scalar(select(func.count(Business.id))) == small.businesses + before["business"]
            assert s.scalar(select(func.count(Site.id))) == small.sites + before["site"]
            n_cert = s.scalar(select(func.count(Certificate.id)))
            n_rec = s.scalar(select(func.count(Record.id)))
            assert abs(n_cert - small.certificates) < 100 and abs(n_rec - small.records) < 100
            assert counts["certificate"] == n_cert - before["certificate"]
            assert counts["record"] == n_rec - before["record"]
            # The README's logins are untouched.
            assert s.scalar(select(KeizokuUser).where(KeizokuUser.username == "sakura-manager")).must_change_password

            # Constraints: foreign keys hold, billable events once per linked/output object.
            _check_foreign_keys(s.connection(), BULK_TABLES + ("site", "inspector", "chief_mechanic",
                                                              "user_site", "ab_user"))  # raises on an orphan
            events = Counter(s.execute(select(BillableEvent.kind, BillableEvent.object_id)).all())
            assert max(events.values()) == 1
            linked = s.scalar(select(func.count(Certificate.id)).where(Certificate.status.in_(LINKED_STATUSES)))
            output = s.scalar(select(func.count(Record.id)).where(Record.status == "output"))
            kinds = Counter(kind for kind, _ in events)
            assert kinds == {"certificate": linked, "record": output}
            assert linked > 0.85 * n_cert  # statuses mostly linked
            # Every row's business is its site's business; a certificate's vehicle is its business's.
            for model in (Certificate, Record, Vehicle, BillableEvent):
                assert not s.scalar(select(func.count()).select_from(model).join(Site, Site.id == model.site_id)
                                    .where(Site.business_id != model.business_id))
            assert not s.scalar(select(func.count(Certificate.id)).join(Vehicle, Vehicle.id == Certificate.vehicle_id)
                                .where(Vehicle.business_id != Certificate.business_id))
            assert not s.scalar(select(func.count(Record.id)).join(Site, Site.id == Record.site_id)
                                .where(Site.records_enabled.is_(False)))
            designated = s.execute(select(Record.site_id, Certificate.site_id).join(
                Certificate, Certificate.id == Record.certificate_id)).all()
            assert designated and all(a == b for a, b in designated)

            # Realistic rows: Japanese names, plates, 車台番号, results valid for the form.
            cert = s.scalars(select(Certificate).where(Certificate.status == "completed").limit(1)).one()
            assert CHASSIS.fullmatch(cert.chassis_number)
            area, klass, kana, serial = cert.registration_number.split(" ")
            assert re.fullmatch(r"[一-龥ぁ-んヶ]+", area) and re.fullmatch(r"\d{1,3}", klass)
            assert re.fullmatch(r"[ぁ-ん]", kana) and re.fullmatch(r"\d{1,2}-\d{2}|・[・\d]{3}", serial)
            assert cert.payload["chassis_number"] == cert.chassis_number and cert.issue_number
            assert re.search(r"[一-龥ぁ-んァ-ン]", s.get(Business, cert.business_id).name)
            for record in s.scalars(select(Record).where(Record.status == "output").limit(50)):
                results = decode_results(record.results)
                checks = {c.id: c for c in applicable_checks(record.form, record.interval_months,
                                                             record.inspection_date)}
                assert set(results) == set(checks)
                for check_id, symbols in results.items():
                    validate_result(checks[check_id], symbols)
                assert record.output_at and record.chief_mechanic_signed_at

            # The shop user of one scale business, and another business's rows.
            user = s.scalars(select(KeizokuUser).where(KeizokuUser.username.like("scale%"))
                             .order_by(KeizokuUser.id).limit(1)).one()
            business_id, username = user.business_id, user.username
            site_id = s.scalar(select(Site.id).where(Site.business_id == business_id,
                                                     Site.records_enabled.is_(True)).order_by(Site.id))
            own_chassis = set(s.scalars(select(Certificate.chassis_number).where(
                Certificate.business_id == business_id)))
            own_records = set(s.scalars(select(Record.id).where(Record.business_id == business_id)))
            foreign = s.execute(select(Certificate.id, Certificate.chassis_number).where(
                Certificate.business_id != business_id).limit(1)).one()
            foreign_record = s.scalar(select(Record.id).where(Record.business_id != business_id).limit(1))

        assert browser.login(username, SCALE_PASSWORD).status_code == 302
        page = browser.get("/certificates/list/").get_data(as_text=True)
        shown = set(CHASSIS.findall(page))
        assert len(shown) > 20 and shown <= own_chassis
        page = browser.get(f"/certificates/list/?chassis={foreign.chassis_number}").get_data(as_text=True)
        assert "該当する保適証はありません" in page and f">{foreign.chassis_number}<" not in page
        page = browser.get(f"/records/?site={site_id}").get_data(as_text=True)
        shown = {int(pk) for pk in re.findall(r'href="/records/(\d+)"', page)}
        assert len(shown) > 20 and shown <= own_records
        assert browser.get(f"/certificates/{foreign.id}").status_code == 404
        assert browser.get(f"/records/{foreign_record}").status_code == 404
        assert browser.get("/association/search/?chassis=ZVW30").status_code in (302, 403)


    def test_association_search_finds_across_businesses(self, app, browser):
        from app.extensions import db
        from app.models.certificate import Certificate

        with app.app_context():
            rows = db.session.execute(select(Certificate.chassis_number, Certificate.business_id)
                                      .order_by(Certificate.id.desc()).limit(1)).all()
            chassis = rows[0][0]
        browser.login("assoc-staff")
        page = browser.get(f"/association/search/?chassis={chassis}").get_data(as_text=True)
        assert chassis in page and "該当しました" in page
        serial = chassis.split("-")[1]
        page = browser.get(f"/association/search/?chassis={serial}").get_data(as_text=True)
        assert chassis in page
        page = browser.get("/association/search/?plate=品").get_data(as_text=True)
        assert "3文字以上" in page


    def test_plate_searches_by_serial_or_whole_plate(self, app, browser):
        """A plate's serial alone (typed any way) or the whole plate finds it, across businesses
        for the association and within the business for a shop."""
        from app.extensions import db
        from app.models.certificate import Certificate

        with app.app_context():
            cert = db.session.scalar(select(Certificate).where(Certificate.registration_number.like("%-%"))
                                     .order_by(Certificate.id.desc()).limit(1))
            plate, serial = cert.registration_number, cert.plate_serial
            same_serial = set(db.session.scalars(select(Certificate.chassis_number).where(
                Certificate.plate_serial == serial)))
            other_plates = set(db.session.scalars(select(Certificate.chassis_number).where(
                Certificate.plate_serial == serial, Certificate.registration_number != plate)))
            owner = db.session.scalar(text("SELECT username FROM ab_user WHERE business_id = :b "
                                           "AND username LIKE '%-manager'"), {"b": cert.business_id})
        assert plate.endswith(f"{serial[:-2]}-{serial[-2:]}") and len(same_serial) > 1
        browser.login("assoc-staff")
        for typed in (plate.split(" ")[-1], serial, "".join(chr(ord(c) + 0xFEE0) for c in serial)):
            page = browser.get("/association/search/", query_string={"plate": typed}).get_data(as_text=True)
            assert cert.chassis_number in page and "該当しました" in page, typed
            assert sum(chassis in page for chassis in same_serial) > 1
        page = browser.get("/association/search/", query_string={"plate": plate}).get_data(as_text=True)
        assert cert.chassis_number in page
        assert other_plates and not any(chassis in page for chassis in other_plates)
        browser.logout()
        browser.login(owner, SCALE_PASSWORD)
        page = browser.get("/certificates/list/", query_string={"plate": serial}).get_data(as_text=True)
        assert cert.chassis_number in page


def test_scale_refuses_a_database_with_data(app):
    from app.commands.demo_data import load_demo_data
    from app.extensions import db
    from app.models.certificate import Certificate

    with app.app_context():
        load_demo_data()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["demo-data", "--scale", "small"])
    assert result.exit_code != 0 and "--force" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Certificate.id))) == 0
