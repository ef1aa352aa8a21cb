"""In Chromium, the association's site form both ways (13.4): a site billed with its business,
the records menu switched off and on, a site deactivated (its user is sent out with the notice)
and reactivated."""
from sqlalchemy import select

from app.tenancy import SERVICE_STOPPED_MESSAGE
from tests.browser.conftest import login, new_page, screenshot
from tests.conftest import PASSWORD


def _site(app, **where):
    from app.extensions import db
    from app.models.tenancy import Site

    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(Site).filter_by(**where))


def _save(page):
    with page.expect_navigation():
        page.click("form[enctype=\"multipart/form-data\"] button[type=submit]")


def _edit_site(page, site_id, **boxes):
    page.goto(page.base_url + f"/association/sites/edit/{site_id}")
    for name, ticked in boxes.items():
        page.set_checked(f"#{name}", ticked)
    _save(page)
    assert page.is_visible("text=変更しました") or "/association/sites/" in page.url


def test_register_a_site_billed_with_its_business(app, tenants, page):
    login(page, "assoc-admin", PASSWORD)
    page.goto(page.base_url + "/association/sites/add")
    page.select_option("#business", str(tenants.ids["a"]["Business"]), force=True)
    page.fill("#name", "第二工場")
    page.fill("#address", "東京都港区1-2-3")
    page.fill("#certification_number", "関認第12号")
    page.fill("#designation_number", "1234")
    assert not page.is_checked("#billed_separately")
    page.set_checked("#active", True)
    screenshot(page, "80-site-add-billed-with-business")
    _save(page)
    assert "必須" not in page.content()
    site = _site(app, name="第二工場")
    assert site is not None and site.billed_separately is False and site.active is True
    assert site.business_id == tenants.ids["a"]["Business"]


def test_switch_the_records_menu_off_and_on(app, tenants, page):
    site_id = tenants.ids["a"]["Site"]
    login(page, "assoc-admin", PASSWORD)
    _edit_site(page, site_id, records_enabled=True)
    assert _site(app, id=site_id).records_enabled is True
    _edit_site(page, site_id, records_enabled=False)
    assert _site(app, id=site_id).records_enabled is False
    page.goto(page.base_url + f"/association/sites/show/{site_id}")
    screenshot(page, "81-site-records-menu-off")
    _edit_site(page, site_id, records_enabled=True)
    assert _site(app, id=site_id).records_enabled is True


def test_deactivate_and_reactivate_a_site(app, tenants, page, chromium, live_server):
    site_id = tenants.ids["a"]["Site"]
    shop = new_page(chromium, live_server)
    try:
        login(shop, "a-inspector", PASSWORD)  # works at this site only
        assert "/login/" not in shop.url
        login(page, "assoc-admin", PASSWORD)
        _edit_site(page, site_id, active=False)
        assert _site(app, id=site_id).active is False
        screenshot(page, "82-site-deactivated")
        shop.goto(shop.base_url + "/")
        assert "/login/" in shop.url and shop.is_visible(f"text={SERVICE_STOPPED_MESSAGE}")
        screenshot(shop, "83-shop-user-stopped")
        login(shop, "a-inspector", PASSWORD)
        assert "/login/" in shop.url and shop.is_visible(f"text={SERVICE_STOPPED_MESSAGE}")
        _edit_site(page, site_id, active=True)
        assert _site(app, id=site_id).active is True
        login(shop, "a-inspector", PASSWORD)
        assert "/login/" not in shop.url
        screenshot(shop, "84-shop-user-back")
        assert list(shop.js_errors) == []
    finally:
        shop.context.close()
