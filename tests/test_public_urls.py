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


def _qr_cells(url):
    """The black modules of the QR code of ``url`` (qrcode's matrix, no border)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    return len(matrix), {(r, c) for r, row in enumerate(matrix) for c, black in enumerate(row)
                         if black}


def _drawn_qr_cells(page, size):
    """The modules of a ``size``×``size`` QR code drawn as filled rectangles on ``page`` (the
    record grid draws it as black runs one module high, 10.5 mm square), read back from the
    page's content stream and the form XObjects it draws (the grid is one)."""
    from pypdf.generic import ContentStream

    module = 10.5 * 72 / 25.4 / size
    streams = [ContentStream(page.get_contents(), page.pdf)]
    for xobject in page["/Resources"].get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            streams.append(ContentStream(xobject, page.pdf))
    runs = []
    for operands, operator in (op for stream in streams for op in stream.operations):
        if operator == b"re":
            x, y, width, height = (float(value) for value in operands)
            if abs(height - module) < 1e-3:
                runs.append((x, y, width))
    if not runs:
        return set()
    left = min(x for x, _, _ in runs)
    top = max(y for _, y, _ in runs) + module
    cells = set()
    for x, y, width in runs:
        row = round((top - y) / module) - 1
        first = round((x - left) / module)
        cells.update((row, first + k) for k in range(round(width / module)))
    return cells


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
    size, public = _qr_cells(f"{BASE}/records/{record_id}")
    internal_size, internal = _qr_cells(f"{INTERNAL}/records/{record_id}")
    pages = PdfReader(io.BytesIO(response.data)).pages
    for page in pages:  # every page carries the code, and it is the public address's
        assert _drawn_qr_cells(page, size) == public
        if internal_size == size:
            assert _drawn_qr_cells(page, size) != internal
