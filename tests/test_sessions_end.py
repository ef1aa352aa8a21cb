"""Sessions that end (a per-user session version): logout (a POST), a password change, the
association's reissue and deactivation end every session of the user, a copied cookie included;
wrong 「現在のパスワード」 answers count toward the lockout. And the login answer tells nobody
whether a user ID exists or is locked; a lock that ran out starts a fresh count."""
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import OPEN_MOMENT, PASSWORD, Browser

COOKIE = "keizoku_session"
NEW_PASSWORD = "Fresh-Pass-2026x"


def _copy(app, browser):
    """Another client holding a copy of ``browser``'s session cookie, as a thief would."""
    thief = Browser(app)
    thief.client.set_cookie(COOKIE, browser.client.get_cookie(COOKIE).value)
    assert thief.get("/").status_code == 200
    return thief


def _sent_to_login(client):
    response = client.get("/")
    return response.status_code == 302 and "/login/" in response.headers["Location"]


def _user(app, username):
    from app.extensions import db
    from app.security.models import KeizokuUser

    with app.app_context():
        user = db.session.scalar(select(KeizokuUser).where(KeizokuUser.username == username))
        db.session.expunge(user)
        return user


def test_logout_ends_a_copied_cookie_too(app, tenants, browser):
    browser.login("a-clerk")
    thief = _copy(app, browser)
    assert browser.logout().status_code == 302
    assert _sent_to_login(browser)
    assert _sent_to_login(thief)


def test_logout_is_a_post_with_the_csrf_token(app, tenants, browser):
    browser.login("a-clerk")
    assert browser.client.get("/logout/").status_code == 405
    assert browser.client.post("/logout/").status_code == 400  # no CSRF token
    assert browser.get("/").status_code == 200  # neither logged anyone out
    page = browser.get("/").get_data(as_text=True)
    assert 'class="keizoku-logout" method="post" action="/logout/"' in page
    assert "ログアウト" in page


def test_password_change_ends_the_other_sessions_not_this_one(app, tenants, browser):
    browser.login("a-clerk")
    other = _copy(app, browser)
    response = browser.post("/account/password", {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200  # the session that changed it carries on
    assert _sent_to_login(other)


def test_reissue_and_deactivation_end_the_users_sessions(app, tenants, browser, smtp_server):
    clerk = Browser(app)
    clerk.login("a-clerk")
    admin = Browser(app)
    admin.login("assoc-admin")
    uid = tenants.ids["a"]["users"]["clerk"]
    assert admin.post(f"/association/accounts/reissue/{uid}").status_code == 302
    assert _sent_to_login(clerk)

    manager = Browser(app)
    manager.login("a-manager")
    kept = _copy(app, manager)
    mid = tenants.ids["a"]["users"]["manager"]
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("site_manager").id
    response = admin.post(f"/association/accounts/edit/{mid}", {
        "last_name": "試験", "first_name": "太郎", "email": "a-manager@example.jp",
        "business": str(tenants.ids["a"]["Business"]),
        "sites": [str(s) for s in tenants.ids["a"]["sites"]], "roles": [str(role_id)]})
    assert response.status_code == 302
    assert not _user(app, "a-manager").active
    # Switched on again, the account does not bring the old cookies back.
    admin.post(f"/association/accounts/edit/{mid}", {
        "last_name": "試験", "first_name": "太郎", "email": "a-manager@example.jp",
        "business": str(tenants.ids["a"]["Business"]),
        "sites": [str(s) for s in tenants.ids["a"]["sites"]], "roles": [str(role_id)],
        "active": "y"})
    assert _user(app, "a-manager").active
    assert _sent_to_login(manager)
    assert _sent_to_login(kept)


def test_wrong_current_password_counts_toward_the_lockout(app, tenants, browser):
    browser.login("a-clerk")
    other = _copy(app, browser)
    for attempt in range(1, 10):
        page = browser.post("/account/password", {
            "current_password": f"guess-{attempt}", "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD}).get_data(as_text=True)
        assert "現在のパスワードが正しくありません" in page
        assert _user(app, "a-clerk").fail_login_count == attempt
    response = browser.post("/account/password", {
        "current_password": "guess-10", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert _user(app, "a-clerk").locked_until is not None
    assert _sent_to_login(browser) and _sent_to_login(other)
    browser.login("a-clerk")  # the right password, but locked
    assert _sent_to_login(browser)
    assert "ロック" in browser.get("/login/").get_data(as_text=True)


def _login_message(browser, username, password):
    browser.login(username, password)
    page = browser.get("/login/").get_data(as_text=True)
    start = page.index('<div class="alert alert-warning">')
    return page[start:page.index("</div>", start)]


def test_unknown_and_locked_user_ids_get_the_same_answer(app, tenants, browser):
    for _ in range(10):
        browser.login("a-clerk", "wrong-password")
    assert _user(app, "a-clerk").locked_until is not None
    locked = _login_message(Browser(app), "a-clerk", "wrong-password")
    locked_right_password = _login_message(Browser(app), "a-clerk", PASSWORD)
    unknown = _login_message(Browser(app), "no-such-user", "wrong-password")
    wrong = _login_message(Browser(app), "b-clerk", "wrong-password")
    assert locked == unknown == wrong == locked_right_password
    assert "ユーザーIDまたはパスワードが正しくないか" in unknown and "ロック" in unknown


def test_an_expired_lock_starts_a_fresh_count(app, tenants, browser):
    for _ in range(10):
        browser.login("a-clerk", "wrong-password")
    assert _user(app, "a-clerk").locked_until is not None
    # One try every 15 minutes must not keep the account locked.
    for quarter in range(1, 4):
        app.config["CLOCK"] = lambda q=quarter: OPEN_MOMENT + timedelta(minutes=15 * q, seconds=q)
        browser.login("a-clerk", "wrong-password")
        user = _user(app, "a-clerk")
        assert user.locked_until is None and user.fail_login_count == quarter
    assert browser.login("a-clerk").status_code == 302
    assert browser.get("/").status_code == 200


def test_association_sees_and_lifts_locks(app, tenants, browser):
    for _ in range(10):
        Browser(app).login("a-clerk", "wrong-password")
    admin = Browser(app)
    admin.login("assoc-admin")
    uid = tenants.ids["a"]["users"]["clerk"]
    listing = admin.get("/association/accounts/list/").get_data(as_text=True)
    assert "ロック解除予定" in listing
    shown = admin.get(f"/association/accounts/show/{uid}").get_data(as_text=True)
    assert "連続ログイン失敗回数" in shown and "ロックを解除" in shown
    assert admin.post(f"/association/accounts/unlock/{uid}").status_code == 302
    user = _user(app, "a-clerk")
    assert user.locked_until is None and user.fail_login_count == 0
    assert browser.login("a-clerk").status_code == 302 and browser.get("/").status_code == 200
