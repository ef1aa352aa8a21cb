"""Record use cases through the services: a 24-month 別表6 指定整備記録簿 built, signed and
printed; locking, corrections, roles, parts patterns; every change audited."""
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.domain.inspection_forms import applicable_checks
from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.record import Record
from app.services import records as svc
from app.tenancy import tenant_of
from tests.tenant_seeds.signers import SIGNING_PIN

A3_LANDSCAPE = (1190.6, 841.9)
A4_PORTRAIT = (595.3, 841.9)


def record_events(db):
    return db.session.scalar(select(func.count()).select_from(BillableEvent).where(
        BillableEvent.kind == "record"))


def user_of(db, tenants, role, key="a"):
    from app.security.models import KeizokuUser

    return db.session.get(KeizokuUser, tenants.ids[key]["users"][role])


def tenant_for(db, tenants, role="manager", key="a"):
    return tenant_of(user_of(db, tenants, role, key))


def page_size(page):
    box = page.mediabox
    return (round(float(box.width), 1), round(float(box.height), 1))


def pdf_facts(pdf):
    """(page sizes, extracted text, embedded font names) of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None:
                    descriptor = descriptor.get_object()
                    if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                        fonts.add(str(descriptor["/FontName"]))
    return [page_size(p) for p in reader.pages], text, fonts


def assert_record_pdf(pdf, size, wording):
    sizes, text, fonts = pdf_facts(pdf)
    assert sizes and all(s == size for s in sizes), sizes
    assert any("IPAex" in name for name in fonts), fonts
    flat = "".join(text.split())  # Japanese wraps inside cells: compare without breaks
    for words in wording:
        assert "".join(words.split()) in flat, words
    return flat


def build_beppyo6(db, tenants, tmp_path=None):
    """A complete 24-month 別表6 指定整備記録簿 through the services (not signed)."""
    tenant = tenant_for(db, tenants)
    site_id = tenants.ids["a"]["Site"]
    record = svc.create_record(
        db.session, tenant, site_id=site_id, kind="designated", form="beppyo6",
        interval_months="24", inspection_date="2026-11-24",
        registration_number="品川 300 あ 12-34", chassis_number="ZVW30-1234567",
        model_code="DAA-ZVW30", car_name="トヨタ", first_registration="2019/4",
        customer_name="山田 太郎", customer_address="東京都品川区北品川1-2-3")
    checks = applicable_checks("beppyo6", 24, date(2026, 11, 24))
    for device in {c.id.split(".")[0] for c in checks}:
        svc.mark_device_good(db.session, tenant, record.id, device)
    svc.set_result(db.session, tenant, record.id, "brakes.discs_pads.12.2", ["O", "×"])
    svc.set_result(db.session, tenant, record.id, "steering.steered_wheels.24.1", ["★"])
    svc.set_measurements(db.session, tenant, record.id, {
        "tread_depth_mm.FL": "5.2", "tread_depth_mm.FR": "5.1", "brake_pad_mm.FL": "9.5",
        "co_percent": "0.05", "hc_ppm": "12"})
    svc.update_details(db.session, tenant, record.id, {
        "odometer_km": "45,678", "completion_date": "2026-11-25",
        "work_summary": "ブレーキ・パッド交換", "certificate_number": "第0012345号"})
    pattern = svc.save_parts_pattern(db.session, tenant, site_id=site_id, name="オイル交換",
                                     lines="エンジン・オイル,4,L\nオイル・フィルタ,1,個")
    svc.apply_parts_pattern(db.session, tenant, record.id, pattern.id)
    db.session.commit()
    return record


def sign_fully(db, tenants, record):
    a = tenants.ids["a"]
    tenant = tenant_for(db, tenants, "inspector")
    inspector_user = user_of(db, tenants, "inspector")
    svc.sign_record(db.session, tenant, inspector_user, record.id, signature="inspector",
                    signer_id=a["Inspector"])
    svc.sign_record(db.session, tenant, inspector_user, record.id, signature="chief_mechanic",
                    signer_id=a["ChiefMechanic"])
    db.session.commit()


def test_beppyo6_24_month_record_is_built_signed_and_printed(app, tenants, tmp_path, monkeypatch):
    from app.extensions import db

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        assert record.results.count(";") + 1 == len(applicable_checks("beppyo6", 24,
                                                                       date(2026, 11, 24)))
        assert svc.record_results(record)["brakes.discs_pads.12.2"] == ["O", "×"]
        assert record.replaced_parts == [{"name": "エンジン・オイル", "quantity": 4, "unit": "L"},
                                         {"name": "オイル・フィルタ", "quantity": 1, "unit": "個"}]
        assert record.first_registration == "2019-04" and record.odometer_km == 45678
        sign_fully(db, tenants, record)
        assert record.status == "signed" and record.locked

        tenant = tenant_for(db, tenants)
        shop, charged = svc.output_record_pdf(db.session, tenant, record.id, "shop",
                                              record_url="http://localhost/records/1")
        assert charged is True
        text = assert_record_pdf(shop, A3_LANDSCAPE, ["指定整備記録簿", "ブレーキの効き具合",
                                                      "山田 太郎", "第0012345号", "検査 一郎"])
        assert "○×" in text and "★" in text and "✓" in text
        customer, charged_again = svc.output_record_pdf(db.session, tenant, record.id, "customer")
        assert charged_again is False
        assert_record_pdf(customer, A4_PORTRAIT, ["定期点検整備記録簿", "ホイール・アライメント",
                                                  "エンジン・オイル"])
        assert db.session.get(Record, record.id).status == "output"
        assert record_events(db) == 1
        actions = set(db.session.scalars(select(AuditLog.action).where(
            AuditLog.entity_type == "Record", AuditLog.entity_id == str(record.id))))
        assert {"create", "update", "record_device_good", "record_result", "record_signed",
                "record_pdf_output"} <= actions


def test_bad_input_is_refused_in_japanese_and_changes_nothing(app, tenants):
    from app.extensions import db

    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        tenant = tenant_for(db, tenants)
        before = (record.results, dict(record.measurements), record.odometer_km)
        with pytest.raises(svc.RecordError, match="省略できない"):
            svc.set_result(db.session, tenant, record.id, "brakes.pedal.12.2", ["P"])
        with pytest.raises(svc.RecordError, match="0〜30"):
            svc.set_measurements(db.session, tenant, record.id,
                                 {"tread_depth_mm.RL": "4.0", "tread_depth_mm.RR": "99"})
        with pytest.raises(svc.RecordError, match="数値"):
            svc.update_details(db.session, tenant, record.id,
                               {"car_name": "変更", "odometer_km": "四万"})
        with pytest.raises(svc.RecordError, match="2行目"):
            svc.save_parts_pattern(db.session, tenant, site_id=record.site_id, name="誤り",
                                   lines="ワイパー,2,本\nLLC,たくさん,L")
        db.session.commit()
        db.session.refresh(record)
        assert (record.results, record.measurements, record.odometer_km) == before
        assert record.car_name == "トヨタ"


def test_signing_roles_lock_and_correction_as_new_version(app, tenants):
    from app.extensions import db

    a = tenants.ids["a"]
    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        clerk = user_of(db, tenants, "clerk")
        manager = user_of(db, tenants, "manager")
        tenant = tenant_for(db, tenants, "clerk")
        with pytest.raises(svc.RecordError, match="権限"):
            svc.sign_record(db.session, tenant, clerk, record.id, signature="chief_mechanic",
                            signer_id=a["ChiefMechanic"])
        with pytest.raises(svc.RecordError, match="権限"):
            svc.sign_record(db.session, tenant, manager, record.id, signature="inspector",
                            signer_id=a["Inspector"])
        # At the site manager's tablet the 整備主任者 signs with their own PIN; that locks the content.
        svc.sign_record(db.session, tenant_for(db, tenants), manager, record.id,
                        signature="chief_mechanic", signer_id=a["ChiefMechanic"], pin=SIGNING_PIN)
        assert record.status == "draft" and record.locked
        with pytest.raises(svc.RecordError, match="訂正版"):
            svc.set_result(db.session, tenant, record.id, "brakes.pedal.12.2", ["A"])
        svc.sign_record(db.session, tenant_for(db, tenants, "inspector"),
                        user_of(db, tenants, "inspector"), record.id, signature="inspector",
                        signer_id=a["Inspector"])
        assert record.status == "signed"
        db.session.commit()

        correction = svc.correct_record(db.session, tenant, record.id)
        db.session.commit()
        assert (correction.version, correction.previous_version_id) == (2, record.id)
        assert correction.status == "draft" and correction.results == record.results
        assert not record.is_current and record.status == "signed"
        with pytest.raises(svc.RecordError, match="すでに訂正"):
            svc.correct_record(db.session, tenant, record.id)
        svc.set_result(db.session, tenant, correction.id, "brakes.pedal.12.2", ["A"])
        db.session.commit()
        assert db.session.scalar(select(AuditLog.detail).where(
            AuditLog.action == "record_corrected")).startswith("第1版")


def test_unsigned_or_disabled_site_records_are_not_output(app, tenants):
    from app.extensions import db
    from app.models.tenancy import Site

    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        tenant = tenant_for(db, tenants)
        with pytest.raises(svc.RecordError, match="署名"):
            svc.output_record_pdf(db.session, tenant, record.id, "shop")
        db.session.get(Site, record.site_id).records_enabled = False
        db.session.commit()
        with pytest.raises(svc.RecordError, match="開通していません"):
            svc.set_result(db.session, tenant, record.id, "brakes.pedal.12.2", ["A"])
        assert record_events(db) == 0
