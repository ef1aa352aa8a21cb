"""Plate searches (app/domain/plates.py): the keys stored with every record and certificate,
the record list finding a plate however it is typed, and migration 0009's backfill SQL giving
the same keys as the Python code (run on SQLite and on PostgreSQL in CI)."""
import importlib.util
import pathlib
import re

from sqlalchemy import select, text

from app.domain import plates
from app.models.record import Record
from app.services import records as svc
from tests.test_record_services import tenant_for

PLATES = {
    "whole": "品川 300 あ 12-34",
    "other_area": "練馬 500 さ 12-34",
    "short": "品川 300 あ ・・12",
    "qr": "品川\u3000\u3000３３０さ\u3000１２３",  # as the QR code carries it: full width, U+3000
    "motorcycle": "札幌\u3000\u3000\u3000\u3000\u3000お２９９４",
}


def _records(db, tenants):
    tenant = tenant_for(db, tenants)
    ids = {}
    for n, (name, plate) in enumerate(PLATES.items()):
        record = svc.create_record(
            db.session, tenant, site_id=tenants.ids["a"]["Site"], kind="periodic", form="beppyo3",
            interval_months="12", inspection_date="2026-11-24", registration_number=plate,
            chassis_number=f"ZVW30-55500{n}", customer_name="山田 太郎")
        ids[name] = record.id
    db.session.commit()
    return ids


def _listed(browser, site_id, words, ours):
    """Which of ``ours`` the record list shows for ``words`` (the seeds have records too)."""
    page = browser.get("/records/", query_string={"site": site_id, "q": words})
    assert page.status_code == 200
    return {int(pk) for pk in re.findall(r'href="/records/(\d+)"', page.get_data(as_text=True))} & ours


def test_record_list_finds_a_plate_however_it_is_typed(app, tenants, browser):
    from app.extensions import db

    with app.app_context():
        ids = _records(db, tenants)
        stored = {r.id: (r.plate_key, r.plate_serial) for r in db.session.scalars(select(Record))}
    assert stored[ids["whole"]] == ("品川300あ1234", "1234")
    assert stored[ids["short"]] == ("品川300あ12", "12")
    assert stored[ids["qr"]] == ("品川330さ123", "123")
    assert stored[ids["motorcycle"]] == ("札幌お2994", "2994")

    site, ours = tenants.ids["a"]["Site"], set(ids.values())
    browser.login("a-manager")
    by_serial = {ids["whole"], ids["other_area"]}
    for typed in ("12-34", "1234", "１２－３４", "１２３４", " 12 - 34 "):
        assert _listed(browser, site, typed, ours) == by_serial, typed
    # ・・12 is the serial 12, not every plate with "12" in it.
    assert _listed(browser, site, "・・12", ours) == {ids["short"]}
    assert _listed(browser, site, "12", ours) == {ids["short"]}
    for typed in ("品川 300 あ 12-34", "品川３００あ１２３４", "品川300あ1234"):
        assert _listed(browser, site, typed, ours) == {ids["whole"]}, typed
    assert _listed(browser, site, "品川 330 さ 123", ours) == {ids["qr"]}
    # Part of a plate: every plate containing it, spaces or not.
    assert _listed(browser, site, "品川 300", ours) == {ids["whole"], ids["short"]}
    assert _listed(browser, site, "品川300", ours) == {ids["whole"], ids["short"]}
    assert _listed(browser, site, "12-35", ours) == set()
    # Another business's manager finds nothing of these.
    browser.logout()
    browser.login("b-manager")
    assert browser.get("/records/", query_string={"site": site, "q": "1234"}).status_code == 404


def test_keys_follow_a_changed_plate(app, tenants):
    from app.extensions import db

    with app.app_context():
        ids = _records(db, tenants)
        record = db.session.get(Record, ids["whole"])
        record.registration_number = "横浜 330 ぬ 1-01"
        db.session.commit()
        assert (record.plate_key, record.plate_serial) == ("横浜330ぬ101", "101")
        record.registration_number = None
        db.session.commit()
        assert (record.plate_key, record.plate_serial) == (None, None)


def _migration():
    path = pathlib.Path(__file__).parents[1] / "migrations" / "versions" / "0009_plate_keys.py"
    spec = importlib.util.spec_from_file_location("plate_keys_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_backfill_gives_the_keys_the_code_gives(app, tenants):
    """On PostgreSQL the backfill is one UPDATE in SQL; it must agree with plates.py."""
    from app.extensions import db

    odd = ["・・・1", "品川 300 あ 0", "品川 300 あ 12345", "ー", "ｼﾅｶﾞﾜ 300 ｱ 12-34", "品川 30a え 1-23"]
    with app.app_context():
        ids = _records(db, tenants)
        tenant = tenant_for(db, tenants)
        for n, plate in enumerate(odd):
            svc.create_record(db.session, tenant, site_id=tenants.ids["a"]["Site"], kind="periodic",
                              form="beppyo3", interval_months="12", inspection_date="2026-11-24",
                              registration_number=plate, chassis_number=f"ZVW30-66600{n}")
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE record SET plate_key = NULL, plate_serial = NULL"))
            _migration().backfill(conn, "record")
        rows = db.session.execute(select(Record.registration_number, Record.plate_key,
                                         Record.plate_serial)).all()
    assert {plate for plate, _key, _serial in rows} >= set(PLATES.values()) | set(odd)
    for plate, key, serial in rows:
        assert (key, serial) == (plates.plate_key(plate), plates.plate_serial(plate)), plate
