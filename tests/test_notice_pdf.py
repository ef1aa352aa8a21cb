"""The 利用登録通知書 for post: a PDF with the login URL, user ID and a new initial password."""
import io

from pypdf import PdfReader
from sqlalchemy import select


def test_notice_pdf_carries_the_credentials_and_forces_a_change(app, tenants, browser):
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.security.models import KeizokuUser

    browser.login("assoc-admin")
    uid = tenants.ids["a"]["users"]["clerk"]
    response = browser.post(f"/association/accounts/notice_pdf/{uid}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "利用登録通知書" in text and "a-clerk" in text and "http://localhost:5000/login/" in text
    fonts = {str(f.get("/BaseFont")) for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert any("IPAex" in f for f in fonts)
    with app.app_context():
        user = db.session.get(KeizokuUser, uid)
        assert user.must_change_password
        logged = db.session.scalars(select(AuditLog.action).where(
            AuditLog.entity_id == str(uid))).all()
    assert "registration_notice_printed" in logged
    # The printed password is the one that now works.
    lines = text.splitlines()
    password = lines[lines.index("初期パスワード") + 1].strip()
    shop = type(browser)(app)
    shop.login("a-clerk", password)
    assert shop.get("/").headers["Location"].endswith("/account/password")


def test_shop_users_cannot_print_notices(app, tenants, browser):
    browser.login("a-manager")
    uid = tenants.ids["a"]["users"]["clerk"]
    assert browser.post(f"/association/accounts/notice_pdf/{uid}").status_code == 403
