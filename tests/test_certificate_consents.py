"""承諾書 (issue 15.5): signed with a finger on the tablet or scanned, single or a company's bulk
list; the wizard finds a valid one by 車台番号; a PDF of each; kept 2 years after it expires."""
import base64
import datetime as dt
import io

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.consent import Consent, ConsentVehicle
from app.services.certificates import common, consents, drafts
from app.tenancy import tenant_of
from tests.conftest import Browser
from tests.reports.pdf_probe import page_texts, unembedded_fonts
from tests.test_certificate_helpers import TODAY, consent_for, inspection_form, inspector_of, vehicle_form


def drawn_png(ink=True):
    image = Image.new("RGBA", (720, 240), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(40, 180), (200, 60), (380, 170), (600, 50)], fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode()


def form(tenants, **values):
    base = {"site_id": str(tenants.ids["a"]["Site"]), "customer_name": "山田 太郎", "signer_name": "",
            "chassis_numbers": "ABC10-1234567", "validity_months": "3"}
    return {**base, **values}


@pytest.fixture
def clerk(app, tenants):
    client = Browser(app)
    client.login("a-clerk")  # consents are taken at reception
    return client


def _consents(app):
    from app.extensions import db

    with app.app_context():
        return [(c.customer_name, c.signer_name, c.method, c.document_type, [v.chassis_number for v in c.vehicles])
                for c in db.session.scalars(select(Consent).where(Consent.customer_name != "試験 花子")
                                            .order_by(Consent.id))]


def test_a_consent_signed_with_a_finger_is_stored_and_printed(app, tenants, clerk):
    page = clerk.get("/consents/new?chassis=ABC10-1234567").get_data(as_text=True)
    assert 'id="consent-pad"' in page and "ABC10-1234567" in page
    response = clerk.post("/consents/new", {**form(tenants), "signature": data_url(drawn_png())})
    assert response.status_code == 302
    assert _consents(app) == [("山田 太郎", "山田 太郎", "signature", "image/png", ["ABC10-1234567"])]
    consent_id = int(response.headers["Location"].rsplit("/", 1)[1])
    show = clerk.get(f"/consents/{consent_id}").get_data(as_text=True)
    assert "令和8年11月26日" in show and "令和9年2月26日" in show  # signed today, 3 months

    pdf = clerk.get(f"/consents/{consent_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = page_texts(pdf.data)[0]
    for words in ("承諾書", "山田太郎", "ABC10-1234567", "令和8年11月26日", "タブレットで署名"):
        assert words in text
    assert unembedded_fonts(pdf.data) == []
    assert len(PdfReader(io.BytesIO(pdf.data)).pages[0].images) == 1  # the signature
    from app.extensions import db
    with app.app_context():
        logged = db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "consent_taken"))
        assert logged.startswith("山田 太郎 タブレットで署名 1台")


def test_refusals_of_the_signing_page(app, tenants, clerk, app_config):
    cases = [
        ({"signature": data_url(drawn_png(ink=False))}, "署名欄が空です"),
        ({}, "署名欄に指で署名してもらうか、署名(記名押印)済みの承諾書のPDF・画像を取り込んでください"),
        ({"signature": "data:image/gif;base64,R0lGOD"}, "署名の画像が読み取れませんでした"),
        ({"signature": data_url(drawn_png()), "customer_name": ""}, "使用者(会社名または氏名)を200文字以内で入力してください"),
        ({"signature": data_url(drawn_png()), "chassis_numbers": ""}, "対象となる車両の車台番号を入力してください"),
        ({"signature": data_url(drawn_png()), "chassis_numbers": "ABC10-1234567\nあいう"}, "車台番号の形が正しくありません: あいう"),
        ({"signature": data_url(drawn_png()), "is_company": "y"}, "会社の承諾書では、署名した担当者の氏名を入力してください"),
        ({"signature": data_url(drawn_png()), "validity_months": "7"}, "承諾書の有効期間を選んでください"),
    ]
    for values, message in cases:
        response = clerk.post("/consents/new", {**form(tenants), **values})
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    text_file = clerk.post("/consents/new", {**form(tenants), "scan": (io.BytesIO(b"hello"), "consent.txt")},
                           content_type="multipart/form-data")
    assert "「consent.txt」は取り込めません。承諾書はPDFか画像(JPEGまたはPNG形式)のファイルで取り込んでください" in text_file.get_data(as_text=True)
    both = clerk.post("/consents/new", {**form(tenants), "signature": data_url(drawn_png()),
                                        "scan": (io.BytesIO(drawn_png()), "scan.png")}, content_type="multipart/form-data")
    assert "どちらか一方にしてください" in both.get_data(as_text=True)
    app_config["CONSENT_MAX_UPLOAD_BYTES"] = 2 * 1024 * 1024
    big = clerk.post("/consents/new", {**form(tenants), "scan": (io.BytesIO(b"%PDF-" + b"0" * (3 * 1024 * 1024)),
                                                               "big.pdf")}, content_type="multipart/form-data")
    assert "取り込むファイルが大きすぎます(2MBまで)" in big.get_data(as_text=True)
    assert _consents(app) == []


def test_a_company_bulk_consent_from_a_scanned_pdf(app, tenants, clerk):
    scan = _one_page_pdf()
    response = clerk.post("/consents/new", {
        **form(tenants, customer_name="株式会社 試験運輸", is_company="y", signer_name="佐藤 一郎",
               signer_title="車両管理課長", validity_months="12",
               chassis_numbers="ＡＢＣ１０－１１１１１１１\nABC10-2222222, abc10-3333333\nABC10-2222222"),
        "scan": (io.BytesIO(scan), "一括承諾書.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert _consents(app) == [("株式会社 試験運輸", "佐藤 一郎", "scan", "application/pdf",
                               ["ABC10-1111111", "ABC10-2222222", "ABC10-3333333"])]
    consent_id = int(response.headers["Location"].rsplit("/", 1)[1])
    pdf = clerk.get(f"/consents/{consent_id}/pdf").data
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2  # ours, then the scan's page
    assert "ABC10-3333333" in page_texts(pdf)[0] and "佐藤一郎(車両管理課長)" in page_texts(pdf)[0]
    from app.extensions import db
    with app.app_context():
        for number in ("ABC10-1111111", "abc10-3333333"):
            found = consents.valid_consent_for(db.session, tenants.ids["a"]["Business"], number, TODAY)
            assert found is not None and found.id == consent_id
        assert consents.valid_consent_for(db.session, tenants.ids["b"]["Business"], "ABC10-1111111", TODAY) is None
        assert consents.valid_consent_for(db.session, tenants.ids["a"]["Business"], "ABC10-1111111",
                                          TODAY + dt.timedelta(days=400)) is None  # a year, then expired


def _one_page_pdf():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(100, 700, "scanned consent")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def test_the_wizard_finds_the_consent_by_chassis_number(app, tenants, db_session):
    a = tenants.ids["a"]
    from app.security.models import KeizokuUser

    user = db_session.get(KeizokuUser, a["users"]["inspector"])
    draft = drafts.start_draft(db_session, tenant_of(user), a["Site"], user.id)
    drafts.save_vehicle(db_session, draft, vehicle_form("WIZ10-0000001"))
    inspector = inspector_of(db_session, a["Site"]).id
    with pytest.raises(common.CertificateInputError) as refused:
        drafts.save_inspection(db_session, draft, inspection_form(inspector), TODAY)
    assert ("この車台番号(WIZ10-0000001)の有効な承諾書が見つかりません。OSS申請には使用者の承諾書が必要です。"
            in refused.value.messages[0])
    # Hybrid needs none; an expired one or another business's does not count.
    consent_for(db_session, a["Site"], "WIZ10-0000001", signed_on=TODAY - dt.timedelta(days=200))
    consent_for(db_session, tenants.ids["b"]["Site"], "WIZ10-0000001")
    with pytest.raises(common.CertificateInputError):
        drafts.save_inspection(db_session, draft, inspection_form(inspector), TODAY)
    assert drafts.save_inspection(db_session, draft, inspection_form(inspector, "hybrid"), TODAY)["consent"] is False
    found = consent_for(db_session, a["Site"], "WIZ10-0000001")
    saved = drafts.save_inspection(db_session, draft, inspection_form(inspector), TODAY)
    assert saved["consent"] is True and saved["consent_id"] == found.id


def test_the_inspection_step_shows_the_consent_instead_of_a_tick_box(app, tenants, clerk, db_session):
    a = tenants.ids["a"]
    from app.security.models import KeizokuUser

    user = db_session.get(KeizokuUser, a["users"]["clerk"])
    draft = drafts.start_draft(db_session, tenant_of(user), a["Site"], user.id)
    drafts.save_vehicle(db_session, draft, vehicle_form("WIZ10-0000002"))
    db_session.commit()
    page = clerk.get(f"/certificates/wizard/{draft.id}/inspection").get_data(as_text=True)
    assert 'name="consent"' not in page and "この車台番号の有効な承諾書はまだありません" in page
    assert "/consents/new?chassis=WIZ10-0000002" in page
    consent_for(db_session, a["Site"], "WIZ10-0000002")
    db_session.commit()
    page = clerk.get(f"/certificates/wizard/{draft.id}/inspection").get_data(as_text=True)
    assert "承諾書あり" in page and "令和9年2月24日まで有効" in page


def test_consents_are_kept_two_years_after_they_expire(app, tenants, db_session):
    site = tenants.ids["a"]["Site"]
    old = consent_for(db_session, site, "OLD10-0000001", signed_on=dt.date(2024, 6, 1))  # expires 2024-08-30
    recent = consent_for(db_session, site, "NEW10-0000001", signed_on=dt.date(2025, 1, 10))  # to 2025-04-10
    old_id, recent_id = old.id, recent.id
    db_session.commit()
    assert consents.purge_expired_consents(db_session, TODAY) == 1
    assert db_session.get(Consent, old_id) is None and db_session.get(Consent, recent_id) is not None
    assert db_session.scalar(select(func.count()).select_from(ConsentVehicle).where(
        ConsentVehicle.chassis_number == "OLD10-0000001")) == 0
    assert db_session.scalar(select(AuditLog.detail).where(AuditLog.action == "consents_purged")).startswith("1件")
    assert consents.purge_expired_consents(db_session, TODAY) == 0  # rerun: nothing more

    from scheduler.jobs.consents import JOBS
    assert JOBS[0]["id"] == "consent_retention" and JOBS[0]["func"](app) == 0


def test_another_business_cannot_open_a_consent(app, tenants):
    outsider = Browser(app)
    outsider.login("b-manager")
    consent = tenants.ids["a"]["Consent"]
    assert outsider.get(f"/consents/{consent}").status_code == 404
    assert outsider.get(f"/consents/{consent}/pdf").status_code == 404
    assert "10000-000001" not in outsider.get("/consents/").get_data(as_text=True)
