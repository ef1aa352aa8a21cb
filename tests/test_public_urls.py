"""Absolute URLs come from PUBLIC_BASE_URL only: the 利用登録通知書 (mail and PDF) and the QR
code on a record name the configured address even when the request came on another Host
(a proxy's internal name, say)."""
import io

import qrcode
from pypdf import PdfReader

from tests.test_record_services import build_beppyo6, sign_fully

BASE = "https://keizoku.kyokai.example"
INTERNAL = "http://10.0.0.5:8000"


def internal_browser(app, username):
    """A logged-in client whose every request arrives on the internal Host."""
    from tests.conftest import Browser

    browser = Browser(app)
    plain_open = browser.client.open

    def open_internal(*args, **kwargs):
        kwargs.setdefault("base_url", INTERNAL)
        return plain_open(*args, **kwargs)

    browser.client.open = open_internal
    browser.login(username)
    return browser


def test_the_helper_builds_under_the_base_without_a_request(app, app_config):
    from app.public_urls import public_url

    app_config["PUBLIC_BASE_URL"] = BASE + "/"  # a trailing slash is tolerated
    with app.app_context():  # a scheduler job: no request at all
        assert public_url("RecordView.show", pk=12) == f"{BASE}/records/12"
        assert public_url("KeizokuAuthDBView.login") == f"{BASE}/login/"
    with app.test_request_context("/", base_url=INTERNAL):
        assert public_url("InquiryAdminView.show", pk=3) == f"{BASE}/support/inquiries/show/3"


def test_the_registration_notice_mail_and_pdf_carry_the_public_url(app, app_config, tenants,
                                                                   smtp_server):
    from email.header import decode_header, make_header

    app_config["PUBLIC_BASE_URL"] = BASE
    app_config["SERVICE_NAME"] = "整備ネット"
    browser = internal_browser(app, "assoc-admin")
    clerk = tenants.ids["a"]["users"]["clerk"]
    response = browser.post(f"/association/accounts/reissue/{clerk}")
    assert response.status_code == 302 and response.request.host == "10.0.0.5:8000"
    (mail,) = smtp_server
    body = mail.get_payload(decode=True).decode("utf-8")
    assert f"■ ログインURL\n{BASE}/login/\n" in body
    assert "10.0.0.5" not in body and "localhost" not in body
    assert "整備ネット の利用登録が完了しました" in body
    assert str(make_header(decode_header(mail["Subject"]))) == "【整備ネット】利用登録通知書"

    pdf = browser.post(f"/association/accounts/notice_pdf/{clerk}")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f"{BASE}/login/" in text and "10.0.0.5" not in text


def _qr_pixels(url):
    """The QR image app/reports/pdf.qr_data_uri draws for ``url``, as grey pixels."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=2)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image().get_image().convert("L")
    return image.size, list(image.getdata())


def test_the_record_qr_code_carries_the_public_url(app, app_config, tenants, tmp_path):
    from app.extensions import db

    app_config["PUBLIC_BASE_URL"] = BASE
    app_config["RECORDS_FILE_DIR"] = str(tmp_path)
    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        sign_fully(db, tenants, record)
        record_id = record.id
    shop = internal_browser(app, "a-inspector")
    response = shop.post(f"/records/{record_id}/pdf", {"copy": "shop"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    images = [image.image.convert("L") for page in PdfReader(io.BytesIO(response.data)).pages
              for image in page.images]
    drawn = [(image.size, list(image.getdata())) for image in images]
    assert _qr_pixels(f"{BASE}/records/{record_id}") in drawn
    assert _qr_pixels(f"http://10.0.0.5:8000/records/{record_id}") not in drawn
