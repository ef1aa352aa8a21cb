"""Accounts as the association works: creation with the notice mail, forced password
change, lockout, rate limit, CSRF, cookies and the idle timeout."""
import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.conftest import OPEN_MOMENT, PASSWORD


def _user(app, username):
    from app.extensions import db
    from app.security.models import KeizokuUser

    with app.app_context():
        user = db.session.scalar(select(KeizokuUser).where(KeizokuUser.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _role_id(app, name):
    with app.app_context():
        return app.appbuilder.sm.find_role(name).id


def _create_account(browser, app, tenants, username="new-clerk"):
    return browser.post("/association/accounts/add", {
        "username": username, "last_name": "新人", "first_name": "花子",
        "email": f"{username}@example.jp", "business": str(tenants.ids["a"]["Business"]),
        "sites": [str(tenants.ids["a"]["sites"][0])], "roles": [str(_role_id(app, "clerk"))],
    })


def test_association_creates_account_and_mails_the_notice(app, tenants, browser, smtp_server):
    browser.login("assoc-admin")
    response = _create_account(browser, app, tenants)
    assert response.status_code == 302
    user = _user(app, "new-clerk")
    assert user is not None and user.must_change_password and user.business_id == tenants.ids["a"]["Business"]
    assert len(smtp_server) == 1
    mail = smtp_server[0]
    body = mail.get_payload(decode=True).decode("utf-8")
    assert mail["To"] == "new-clerk@example.jp"
    assert "利用登録通知書" in str(mail["Subject"]) or "=?utf-8?" in str(mail["Subject"])
    assert "http://localhost:5000/login/" in body
    assert "new-clerk" in body
    password = re.search(r"■ 初期パスワード\n(\S+)", body).group(1)

    shop = type(browser)(app)
    assert shop.login("new-clerk", password).status_code == 302
    # Forced to the password change before anything else, including the dashboard.
    for url in ("/", "/shop/inspectors/list/", "/shop/sites/list/"):
        response = shop.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    page = shop.get("/account/password").get_data(as_text=True)
    assert "初回ログインのため" in page

    # The initial password cannot be reused, the current one must be right, and the
    # complexity rule speaks Japanese.
    def change(current, new, confirm=None):
        return shop.post("/account/password", {"current_password": current, "new_password": new,
                                                "confirm_password": confirm or new})

    assert "現在のパスワードが正しくありません" in change("wrong", "Good-Pass-12345").get_data(as_text=True)
    assert "10文字以上" in change(password, "short1A").get_data(as_text=True)
    assert "初期パスワードは使えません" in change(password, password).get_data(as_text=True)
    assert "一致しません" in change(password, "Good-Pass-12345", "Good-Pass-99999").get_data(as_text=True)
    assert _user(app, "new-clerk").must_change_password

    response = change(password, "Good-Pass-12345")
    assert response.status_code == 302
    assert shop.get("/").status_code == 200
    assert not _user(app, "new-clerk").must_change_password


def test_duplicate_user_id_is_refused_in_japanese(app, tenants, browser, smtp_server):
    browser.login("assoc-admin")
    response = _create_account(browser, app, tenants, username="a-clerk")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The message stands in the user-ID field's block, before the next field.
    block = page[page.index('name="username"'):page.index('name="last_name"')]
    assert "既に登録されています" in block
    assert smtp_server == []
    assert _user(app, "a-clerk").email == "a-clerk@example.jp"  # the existing one untouched


def test_mail_failure_keeps_the_account_and_says_what_to_do(app, tenants, browser):
    app.config["MAIL_PORT"], previous = 1, app.config["MAIL_PORT"]  # nothing listens there
    try:
        browser.login("assoc-admin")
        response = _create_account(browser, app, tenants)
        page = browser.get(response.headers["Location"]).get_data(as_text=True)
    finally:
        app.config["MAIL_PORT"] = previous
    assert _user(app, "new-clerk") is not None
    assert "通知メールを送信できませんでした" in page


def test_reissue_sets_a_new_initial_password_and_forces_change_again(app, tenants, browser, smtp_server):
    browser.login("assoc-admin")
    uid = tenants.ids["a"]["users"]["clerk"]
    response = browser.post(f"/association/accounts/reissue/{uid}")
    assert response.status_code == 302
    assert _user(app, "a-clerk").must_change_password
    body = smtp_server[-1].get_payload(decode=True).decode("utf-8")
    password = re.search(r"■ 初期パスワード\n(\S+)", body).group(1)
    old = type(browser)(app)
    old.login("a-clerk", PASSWORD)
    assert "/login/" in old.get("/").headers["Location"]  # the old password no longer works
    fresh = type(browser)(app)
    fresh.login("a-clerk", password)
    assert fresh.get("/").headers["Location"].endswith("/account/password")


def test_lockout_after_ten_failures_for_fifteen_minutes(app, tenants, browser):
    for _ in range(10):
        page = browser.login("a-clerk", "wrong-password")
        assert page.status_code == 302
    user = _user(app, "a-clerk")
    assert user.locked_until is not None
    # Even the right password is refused while locked, with a Japanese explanation.
    browser.login("a-clerk")
    page = browser.get("/login/").get_data(as_text=True)
    assert "ロック" in page
    assert browser.get("/").status_code == 302

    # 15 minutes later the account opens again by itself.
    app.config["CLOCK"] = lambda: OPEN_MOMENT + timedelta(minutes=15, seconds=1)
    assert browser.login("a-clerk").status_code == 302
    assert browser.get("/").status_code == 200


def test_association_can_unlock(app, tenants, browser):
    for _ in range(10):
        browser.login("a-clerk", "wrong-password")
    assert _user(app, "a-clerk").locked_until is not None
    admin = type(browser)(app)
    admin.login("assoc-admin")
    uid = tenants.ids["a"]["users"]["clerk"]
    assert admin.post(f"/association/accounts/unlock/{uid}").status_code == 302
    assert _user(app, "a-clerk").locked_until is None
    assert browser.login("a-clerk").status_code == 302
    assert browser.get("/").status_code == 200


def test_staff_cannot_unlock_or_edit(app, tenants, browser):
    browser.login("assoc-staff")
    uid = tenants.ids["a"]["users"]["clerk"]
    assert browser.post(f"/association/accounts/unlock/{uid}").status_code == 403
    assert browser.get(f"/association/businesses/edit/{tenants.ids['a']['Business']}").status_code == 403
    assert browser.get("/association/businesses/list/").status_code == 200


def test_login_is_rate_limited(app, tenants, browser):
    app.config["AUTH_RATE_LIMIT"] = "5 per minute"
    try:
        codes = [browser.login("a-clerk", "wrong").status_code for _ in range(6)]
    finally:
        app.config["AUTH_RATE_LIMIT"] = "10000 per minute"
    assert codes[:5] == [302] * 5 and codes[5] == 429


def test_no_rest_login_to_brute_force(app, tenants):
    client = app.test_client()
    response = client.post("/api/v1/security/login", json={"username": "a-clerk", "password": "x",
                                                           "provider": "db"})
    assert response.status_code in (400, 404)  # 400: CSRF refuses it before routing
    assert client.get("/api/v1/security/login").status_code == 404


def test_post_without_csrf_token_is_refused(app, tenants, browser):
    browser.login("a-manager")
    iid = tenants.ids["a"]["Inspector"]
    response = browser.client.post(f"/shop/inspectors/delete/{iid}")
    assert response.status_code == 400
    from app.extensions import db
    from app.models.tenancy import Inspector

    with app.app_context():
        assert db.session.get(Inspector, iid) is not None


def test_session_cookie_flags(app, tenants, browser):
    response = browser.login("a-clerk")
    cookie = response.headers.get("Set-Cookie")
    assert "keizoku_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_idle_timeout_logs_out(app, tenants, browser):
    with time_machine.travel(OPEN_MOMENT, tick=False) as traveller:
        browser.login("a-clerk")
        assert browser.get("/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert browser.get("/").status_code == 200  # activity refreshes the session
        traveller.shift(timedelta(minutes=31))
        response = browser.get("/")
        assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_login_and_failures_are_audited(app, tenants, browser):
    from app.extensions import db
    from app.models.audit import AuditLog

    browser.login("a-clerk", "wrong")
    browser.login("a-clerk")
    with app.app_context():
        actions = [a for a, in db.session.execute(
            select(AuditLog.action).where(AuditLog.actor_username == "a-clerk").order_by(AuditLog.id))]
    assert actions[:2] == ["login_failure", "login_success"]


def test_login_redirects_only_inside_the_site_and_warns_only_of_foreign_targets(app, tenants, browser, caplog):
    caplog.set_level("WARNING", logger="flask_appbuilder.utils.base")
    plain = browser.login("a-manager")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/")
    assert "Invalid redirect" not in caplog.text  # a plain login is not a suspicious one
    browser.logout()

    inside = browser.post("/login/?next=/records/", {"username": "a-manager", "password": PASSWORD})
    assert inside.status_code == 302 and inside.headers["Location"].endswith("/records/")
    browser.logout()

    foreign = browser.post("/login/?next=https://evil.example/steal",
                           {"username": "a-manager", "password": PASSWORD})
    assert foreign.status_code == 302 and "evil.example" not in foreign.headers["Location"]
    assert "Invalid redirect" in caplog.text
