"""Hybrid printing (issue 16.3): kei forms for kei cars, each PDF titled with its form, values
overlaid on the official blank form the association uploaded (positions from one data file per
form, correctable by upload), a calibration page per printer, 受検形態 and the 提出先 printed,
定期点検 from the record, 納付日 blank and nothing near the reference marks."""
import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from app.models.audit import AuditLog
from app.extensions import db
from app.models.certificate import Certificate, PrinterOffset
from app.reports import form_layouts, hybrid
from app.reports.form_layouts import FormFileError
from app.services import hybrid_forms, record_samples
from app.services.certificates import confirmation
from app.tenancy import Tenant
from app.timeutil import JST
from tests.reports.pdf_probe import fragments, unembedded_fonts
from tests.conftest import Browser
from tests.test_certificate_helpers import filled_draft, inspector_of, ready_site

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


def official_form(size=landscape(A4), rotate=0, marker="OFFICIAL-FORM-MARK"):
    """A stand-in for the published blank form: one page with a marker text."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=size)
    page.drawString(150, 300, marker)
    page.save()
    if not rotate:
        return buffer.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def forms_dir(app, tmp_path):
    app.config["HYBRID_FORMS_DIR"] = str(tmp_path / "forms")
    yield tmp_path / "forms"
    app.config.pop("HYBRID_FORMS_DIR")


@pytest.fixture
def hybrid_certificates(app, tenants):
    """Made in an app context of its own: a context left pushed would share flask.g (and its
    CSRF token) between the browser's requests."""
    ids = tenants.ids["a"]
    made = {}
    with app.app_context():
        session = db.session
        ready_site(session, ids["Site"])
        tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
        for kind, chassis in (("registered", "HYF10-0012345"), ("kei", "JF3-7654321")):
            draft = filled_draft(session, tenant, ids["Site"], ids["users"]["inspector"], chassis,
                                 kind=kind, application_type="hybrid")
            made[kind] = confirmation.confirm(session, draft, ids["users"]["inspector"],
                                              set(confirmation.PREFLIGHT_ITEMS), NOW).id
        session.commit()
    return ids, made


def text_of(pdf):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_kei_certificates_get_the_kei_forms_and_each_pdf_names_its_form(app, hybrid_certificates, db_session):
    _ids, made = hybrid_certificates
    with app.test_request_context():
        kei = db_session.get(Certificate, made["kei"])
        registered = db_session.get(Certificate, made["registered"])
        titles = {
            "ocr-kei": hybrid.ocr_sheet_pdf(kei, kei.site),
            "weight-tax-kei": hybrid.weight_tax_slip_pdf(kei, kei.site),
            "ocr-registered": hybrid.ocr_sheet_pdf(registered, registered.site),
            "weight-tax-registered": hybrid.weight_tax_slip_pdf(registered, registered.site),
        }
        for form_id, pdf in titles.items():
            assert PdfReader(io.BytesIO(pdf)).metadata.title == form_layouts.shipped_layout(form_id)["title"]
            assert unembedded_fonts(pdf) == []
        assert "軽専用第2号様式" in PdfReader(io.BytesIO(titles["ocr-kei"])).metadata.title
        assert "検査対象軽自動車" in PdfReader(io.BytesIO(titles["weight-tax-kei"])).metadata.title
        kei_slip = text_of(titles["weight-tax-kei"])
        assert "ｋｇ" not in kei_slip  # a kei car's tax does not depend on its weight
        assert "ｋｇ" in text_of(titles["weight-tax-registered"])


def test_examination_mode_office_and_no_payment_date_or_debug_label(app, hybrid_certificates, db_session):
    _ids, made = hybrid_certificates
    with app.test_request_context():
        certificate = db_session.get(Certificate, made["registered"])
        site = certificate.site
        site.address = "東京都品川区東品川4-5-6"
        ocr = hybrid.ocr_sheet_pdf(certificate, site)
        slip = hybrid.weight_tax_slip_pdf(certificate, site)
        kei = db_session.get(Certificate, made["kei"])
        kei_ocr = hybrid.ocr_sheet_pdf(kei, site)
    assert hybrid.EXAMINATION_MODE in text_of(ocr)
    assert "東京運輸支局" in text_of(ocr) and "東京運輸支局" in text_of(slip)
    assert "軽自動車検査協会 東京主管事務所" in text_of(kei_ocr)
    for today in ("令和8年11月26日", "令和8年", "2026"):
        assert today not in text_of(slip)  # 納付日 is the shop's to write
    assert "保適証 " not in text_of(ocr)  # the old debug label (form name and issue number)
    form = form_layouts.shipped_layout("ocr-registered")
    for fragment in fragments(ocr)[0]:
        for mark in form["reference_marks"]:
            assert abs(fragment.x - mark["x"]) > form["keep_clear_mm"] or abs(fragment.y - mark["y"]) > form["keep_clear_mm"], fragment


def test_periodic_inspection_comes_from_the_record(app, hybrid_certificates, db_session):
    ids, made = hybrid_certificates
    with app.test_request_context():
        certificate = db_session.get(Certificate, made["registered"])
        box = form_layouts.shipped_layout("ocr-registered")["fields"]["periodic_inspection"]

        def marked():
            pdf = hybrid_forms.certificate_pdf(db_session, certificate, "ocr")
            return any(f.text == "○" and abs(f.x - box["x"]) < 2 for f in fragments(pdf)[0])

        assert hybrid_forms.record_presented(db_session, certificate) is False
        assert not marked()
        record = record_samples.sample_record("beppyo6", 24)
        record.site = certificate.site
        record.inspector = inspector_of(db_session, ids["Site"])
        record.chief_mechanic = None
        record.chief_mechanic_signed_at = None
        record.business_id, record.site_id = certificate.business_id, certificate.site_id
        record.certificate_id = certificate.id
        db_session.add(record)
        db_session.flush()
        assert hybrid_forms.record_presented(db_session, certificate) is True
        assert marked()
        record.status = "draft"
        db_session.flush()
        assert not marked()


def test_values_are_overlaid_on_the_uploaded_blank_form(app, hybrid_certificates, db_session, forms_dir):
    _ids, made = hybrid_certificates
    with app.test_request_context():
        certificate = db_session.get(Certificate, made["registered"])
        plain = hybrid_forms.certificate_pdf(db_session, certificate, "ocr")
        assert "OFFICIAL-FORM-MARK" not in text_of(plain)  # without an upload: values only
        # The published form is stored rotated (portrait page, /Rotate 90): it still fits.
        hybrid_forms.upload_blank_form(db_session, "ocr-registered", official_form(A4, rotate=90))
        db_session.commit()
        pdf = hybrid_forms.certificate_pdf(db_session, certificate, "ocr")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert "OFFICIAL-FORM-MARK" in page.extract_text() and "0012345" in page.extract_text()
    assert round(float(page.mediabox.width)) > round(float(page.mediabox.height))  # landscape
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "専用第3号様式(継続検査申請書)"
    assert unembedded_fonts(pdf) == [] or all("Helvetica" in f for f in unembedded_fonts(pdf))


@pytest.mark.parametrize("content, message", [
    (b"not a pdf", "PDF を読めません"),
    (official_form(A4), "A4(297×210mm)の様式です"),  # portrait for a landscape form
    (b"", "ファイルが選ばれていないか、空です"),
])
def test_unusable_blank_forms_are_refused_in_japanese(app, forms_dir, db_session, content, message):
    with app.test_request_context():
        with pytest.raises(FormFileError) as info:
            hybrid_forms.upload_blank_form(db_session, "ocr-registered", content)
    assert message in str(info.value)
    assert not forms_dir.exists() or not list(forms_dir.iterdir())


def layout_with(**boxes):
    data = json.loads(json.dumps(form_layouts.shipped_layout("ocr-registered")))
    for name, box in boxes.items():
        data["fields"][name] = box
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize("content, message", [
    (b"{", "位置ファイルを読めません"),
    (b"{}", "fields(項目ごとの位置)がありません"),
    (layout_with(odometer={"x": 290, "y": 72, "w": 40, "h": 7}), "「走行距離計表示値」が用紙(297×210mm)からはみ出しています"),
    (layout_with(odometer={"x": 12, "y": 10, "w": 40, "h": 7}), "「走行距離計表示値」が基準マーク(x 8mm, y 8mm)に近すぎます"),
    (layout_with(odometer={"x": "20", "y": 72, "w": 40, "h": 7}), "「走行距離計表示値」の x, y, w, h は数値(mm)で"),
    (layout_with(debug={"x": 20, "y": 72, "w": 40, "h": 7}), "この様式にない項目があります: debug"),
])
def test_unusable_position_files_are_refused_in_japanese(app, forms_dir, db_session, content, message):
    with app.test_request_context():
        with pytest.raises(FormFileError) as info:
            hybrid_forms.upload_layout(db_session, "ocr-registered", content)
    assert message in str(info.value)


def test_association_corrects_positions_and_uploads_forms_on_screen(app, hybrid_certificates, forms_dir, browser):
    _ids, made = hybrid_certificates
    browser.login("assoc-admin")
    page = browser.get("/association/hybrid-forms/").get_data(as_text=True)
    assert "印字位置は推定値です" in page and "軽専用第2号様式" in page and "未登録(値だけを印刷)" in page
    positions = json.loads(browser.get("/association/hybrid-forms/ocr-registered/positions.json").data)
    positions["fields"]["chassis_last7"]["x"] += 5.0
    done = browser.post("/association/hybrid-forms/ocr-registered/upload", data={
        "kind": "layout", "file": (io.BytesIO(json.dumps(positions).encode()), "ocr-registered.json")},
        follow_redirects=True)
    assert "印字位置のファイルを登録しました" in done.get_data(as_text=True), done.get_data(as_text=True)[-900:]
    refused = browser.post("/association/hybrid-forms/ocr-kei/upload", data={
        "kind": "blank", "file": (io.BytesIO(b"%PDF-broken"), "form.pdf")},
        follow_redirects=True)
    assert "PDF を読めません" in refused.get_data(as_text=True)
    preview = browser.get("/association/hybrid-forms/ocr-registered/calibration.pdf")
    assert preview.status_code == 200 and "印字位置の確認" in PdfReader(io.BytesIO(preview.data)).metadata.title
    with app.app_context():
        actions = [a for (a,) in db.session.query(AuditLog.action).filter(AuditLog.entity_type == "HybridForm")]
    assert actions == ["hybrid_form_positions_uploaded"]
    # The shop's printout follows the corrected position.
    shop = Browser(app)
    shop.login("a-manager")
    pdf = shop.get(f"/certificates/{made['registered']}/print/ocr").data
    [chassis] = [f for f in fragments(pdf)[0] if f.text == "0012345"]
    assert abs(chassis.x - (form_layouts.shipped_layout("ocr-registered")["fields"]["chassis_last7"]["x"] + 5)) < 1.5
    # Shops cannot reach the association's screen.
    assert shop.get("/association/hybrid-forms/").status_code in (302, 403, 404)


def test_calibration_page_per_printer_applies_the_site_offset(app, hybrid_certificates, browser):
    ids, made = hybrid_certificates
    with app.app_context():
        offset = db.session.query(PrinterOffset).filter_by(site_id=ids["Site"]).one()  # seeded at 0, 0
        offset.offset_x_mm, offset.offset_y_mm = 4.0, -2.0
        db.session.commit()
    browser.login("a-manager")
    response = browser.get(f"/certificates/{made['kei']}/print/calibration.pdf?document=ocr")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == "印字位置の確認 軽専用第2号様式(継続検査申請書・軽自動車)"
    box = form_layouts.shipped_layout("ocr-kei")["fields"]["odometer"]
    [label] = [f for f in fragments(response.data)[0] if f.text.startswith("走行距離計表示値")]
    assert abs(label.x - (box["x"] + 4.0)) < 2 and abs(label.y - (box["y"] - 2.0)) < 4
    assert "補正 横+4.0mm 縦-2.0mm" in reader.pages[0].extract_text()
