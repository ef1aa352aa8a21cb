"""Logout from the user menu is a POST form (with its CSRF token) and ends the session; the
page runs under the Content-Security-Policy without a refused script (the page fixture fails on
any console error)."""
from tests.browser.conftest import login
from tests.conftest import PASSWORD


def test_logout_from_the_user_menu(app, tenants, page):
    login(page, "a-manager", PASSWORD)
    assert page.is_visible("text=ダッシュボード")
    csp = page.request.get(page.base_url + "/").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    page.click("a.dropdown-toggle:has-text('様')")
    with page.expect_navigation():
        page.get_by_role("button", name="ログアウト").click()
    assert page.url.endswith("/login/")
    page.goto(page.base_url + "/shop/inspectors/list/")
    assert "/login/" in page.url
