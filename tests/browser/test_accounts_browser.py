"""In Chromium: first login with the forced password change; another business's URL."""
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


def _force_change(app, user_id):
    from app.extensions import db
    from app.security.models import KeizokuUser

    with app.app_context():
        db.session.get(KeizokuUser, user_id).must_change_password = True
        db.session.commit()


def test_first_login_forces_the_password_change(app, tenants, page):
    _force_change(app, tenants.ids["a"]["users"]["clerk"])
    page.goto(page.base_url + "/login/")
    screenshot(page, "01-login")
    login(page, "a-clerk", PASSWORD)
    assert page.url.endswith("/account/password")
    assert page.is_visible("text=初回ログインのため")
    # Trying to leave the page brings the user back.
    page.goto(page.base_url + "/shop/inspectors/list/")
    assert page.url.endswith("/account/password")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "weak")
    page.fill("#confirm_password", "weak")
    with page.expect_navigation():
        page.click("button:has-text(\"変更する\")")
    error = page.locator(".has-error .help-block").first
    assert "10文字以上" in error.inner_text()
    screenshot(page, "02-password-change-error")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "Browser-Pass-2026")
    page.fill("#confirm_password", "Browser-Pass-2026")
    with page.expect_navigation():
        page.click("button:has-text(\"変更する\")")
    assert page.is_visible("text=パスワードを変更しました")
    assert page.is_visible("text=ダッシュボード")
    screenshot(page, "03-dashboard")


def test_another_business_url_shows_nothing(app, tenants, page):
    login(page, "a-manager", PASSWORD)
    foreign = tenants.ids["b"]["Inspector"]
    response = page.goto(page.base_url + f"/shop/inspectors/show/{foreign}")
    assert response.status == 404
    assert "検査 一郎" not in page.content()
    screenshot(page, "09-foreign-url")
