"""A record's axle layout and per-wheel-position measurements (trucks, buses, trailers) and the
保安基準適合標章 / 限定保安基準適合証 numbers of the 指定整備記録簿: entered, refused, printed,
carried into a correction."""
import pytest

from app.domain.wheel_positions import AXLE_LAYOUTS
from app.models.record import Record
from app.services import records as svc
from tests.conftest import Browser
from tests.reports.pdf_probe import page_texts
from tests.test_japanese_ui import english_words
from tests.test_record_http import create_beppyo3
from tests.test_record_services import build_beppyo6, tenant_for, user_of

TRUCK_TREADS = {"tread_depth_mm.1L": "12.1", "tread_depth_mm.1R": "12.3",
                "tread_depth_mm.2LO": "9.8", "tread_depth_mm.2LI": "9.6",
                "tread_depth_mm.2RI": "9.7", "tread_depth_mm.2RO": "9.9",
                "tread_depth_mm.3LO": "10.2", "brake_lining_mm.2L": "9.4",
                "brake_lining_mm.2R": "9.5"}


def test_truck_values_per_axle_and_dual_tyre_position(app, tenants):
    from app.extensions import db

    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        tenant = tenant_for(db, tenants)
        svc.update_details(db.session, tenant, record.id, {"axle_layout": "SDD"})
        # The car's front values (stored as FL/FR before) stay on axle 1.
        assert record.measurements["tread_depth_mm"] == {"1L": 5.2, "1R": 5.1}
        svc.set_measurements(db.session, tenant, record.id, TRUCK_TREADS)
        db.session.commit()
        treads = record.measurements["tread_depth_mm"]
        assert treads == {"1L": 12.1, "1R": 12.3, "2LO": 9.8, "2LI": 9.6, "2RI": 9.7,
                          "2RO": 9.9, "3LO": 10.2}
        assert record.measurements["brake_lining_mm"] == {"2L": 9.4, "2R": 9.5}

        before = dict(record.measurements)
        for refused, message in (
                ({"tread_depth_mm.4LO": "8"}, "車軸の構成にありません"),  # no 4th axle
                ({"brake_lining_mm.2LO": "8"}, "車軸の構成にありません"),  # one brake per side
                ({"tread_depth_mm.2LI": "8", "tread_depth_mm.3RO": "31"}, "第3軸 右外")):
            with pytest.raises(svc.RecordError, match=message):
                svc.set_measurements(db.session, tenant, record.id, refused)
        with pytest.raises(svc.RecordError, match="S（単輪）または D"):
            svc.update_details(db.session, tenant, record.id, {"axle_layout": "SX"})
        db.session.commit()
        db.session.refresh(record)
        assert record.measurements == before and record.axle_layout == "SDD"

        # A blank clears one tyre; the other positions stay.
        svc.set_measurements(db.session, tenant, record.id, {"tread_depth_mm.3LO": ""})
        assert "3LO" not in record.measurements["tread_depth_mm"]

        # Back to a car: the positions it does not have are dropped, never printed.
        svc.update_details(db.session, tenant, record.id, {"axle_layout": "SS"})
        assert record.measurements["tread_depth_mm"] == {"1L": 12.1, "1R": 12.3}
        assert record.measurements["brake_lining_mm"] == {"2L": 9.4, "2R": 9.5}


@pytest.mark.parametrize("layout", [*AXLE_LAYOUTS, ""])
def test_every_axle_layout_choice_saves(app, tenants, layout):
    from app.extensions import db

    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        svc.update_details(db.session, tenant_for(db, tenants), record.id, {"axle_layout": layout})
        db.session.commit()
        assert db.session.get(Record, record.id).axle_layout == (layout or "SS")
        inputs = svc.wheel_inputs(record)
        tread = next(kind for kind in inputs if kind["key"] == "tread_depth_mm")
        assert len(tread["axles"]) == len(layout or "SS")
        assert sum(len(a["positions"]) for a in tread["axles"]) == sum(
            4 if kind == "D" else 2 for kind in (layout or "SS"))


def test_sticker_and_limited_certificate_numbers(app, tenants):
    from app.extensions import db

    a = tenants.ids["a"]
    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        tenant = tenant_for(db, tenants)
        svc.update_details(db.session, tenant, record.id, {
            "certificate_number": "", "sticker_number": "A-0012345",
            "limited_certificate_number": ""})
        assert (record.certificate_number, record.sticker_number,
                record.limited_certificate_number) == (None, "A-0012345", None)
        with pytest.raises(svc.RecordError, match="40文字以内"):
            svc.update_details(db.session, tenant, record.id, {"sticker_number": "9" * 41})
        inspector = user_of(db, tenants, "inspector")
        inspector_tenant = tenant_for(db, tenants, "inspector")
        with pytest.raises(svc.RecordError, match="限定保安基準適合証"):
            svc.sign_record(db.session, inspector_tenant, inspector, record.id,
                            signature="inspector", signer_id=a["Inspector"])
        # A 限定保安基準適合証 instead of a 保安基準適合証 is enough to sign.
        svc.update_details(db.session, tenant, record.id,
                           {"limited_certificate_number": "L-0000777"})
        for signature, signer in (("inspector", "Inspector"), ("chief_mechanic", "ChiefMechanic")):
            svc.sign_record(db.session, inspector_tenant, inspector, record.id,
                            signature=signature, signer_id=a[signer])
        db.session.commit()
        text = "".join(page_texts(svc.record_pdf(record, "shop")))
        assert "A-0012345" in text and "L-0000777" in text and "保安基準適合標章の番号" in text

        correction = svc.correct_record(db.session, tenant, record.id)
        db.session.commit()
        assert (correction.sticker_number, correction.limited_certificate_number,
                correction.axle_layout) == ("A-0012345", "L-0000777", record.axle_layout)


def test_entry_screen_offers_the_new_fields_and_positions(app, tenants, browser):
    from app.extensions import db

    browser.login("a-manager")
    record_id = create_beppyo3(browser, tenants)
    assert browser.post(f"/records/{record_id}/details", {
        "axle_layout": "SDD", "sticker_number": "A-77",
        "limited_certificate_number": ""}).status_code == 302
    assert browser.post(f"/records/{record_id}/details", {
        "tread_depth_mm.2RI": "9.7", "brake_lining_mm.3R": "9.9", "co_percent": ""}).status_code == 302
    html = browser.get(f"/records/{record_id}").get_data(as_text=True)
    for expected in ('name="sticker_number"', 'value="A-77"', 'name="limited_certificate_number"',
                     'name="axle_layout"', '<option value="SDD" selected>',
                     'name="tread_depth_mm.2RI" value="9.7"', 'name="brake_lining_mm.3R" value="9.9"',
                     "第2軸 左外", "左内", "右外"):
        assert expected in html, expected
    assert 'name="brake_lining_mm.2LO"' not in html  # linings: one per wheel end
    assert english_words(html, {"a-manager"}) == []
    refused = browser.post(f"/records/{record_id}/details", {"tread_depth_mm.5LO": "1"},
                           follow_redirects=True)
    assert "車軸の構成にありません" in refused.get_data(as_text=True)
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert record.measurements["tread_depth_mm"] == {"2RI": 9.7}
        assert (record.axle_layout, record.sticker_number) == ("SDD", "A-77")

    # A trailer (別表4) has no engine: no CO・HC inputs.
    other = Browser(app)
    other.login("a-manager")
    response = other.post("/records/new", {
        "site_id": tenants.ids["a"]["Site"], "kind": "periodic", "form": "beppyo4",
        "interval_months": "12", "inspection_date": "2026-11-24", "certificate_id": "",
        "registration_number": "横浜 100 け 90-12", "chassis_number": "PFB34103-10234"})
    trailer_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    html = other.get(f"/records/{trailer_id}").get_data(as_text=True)
    assert 'name="co_percent"' not in html and 'name="tread_depth_mm.1L"' in html
