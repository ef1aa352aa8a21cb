"""Shop pages carry the banners (maintenance ahead, outside systems down) and the dashboard
lists the association's notices; the association's own pages do not."""
from datetime import datetime, timedelta

from app.timeutil import JST
from tests.conftest import OPEN_MOMENT


def test_outside_system_down_shows_on_shop_pages(app, tenants, browser):
    from app.extensions import db
    from app.services.support import report_outside_system_down

    with app.app_context():
        report_outside_system_down(db.session, "airas", OPEN_MOMENT, detail="応答がありません")
        db.session.commit()
    browser.login("a-clerk")
    page = browser.get("/shop/inspectors/list/").get_data(as_text=True)
    assert "keizoku-banner" in page and "AIRAS" in page
    admin = type(browser)(app)
    admin.login("assoc-admin")
    assert "keizoku-banner" not in admin.get("/association/businesses/list/").get_data(as_text=True)


def test_maintenance_window_is_announced_before_it_starts(app, tenants, browser):
    app.config["CLOCK"] = lambda: datetime(2026, 11, 26, 23, 30, tzinfo=JST)
    browser.login("a-clerk")
    page = browser.get("/").get_data(as_text=True)
    assert "keizoku-banner" in page and "メンテナンス" in page


def test_dashboard_lists_notices(app, tenants, browser):
    from app.extensions import db
    from app.models.support import Notice
    from app.timeutil import utcnow_naive

    with app.app_context():
        db.session.add(Notice(title="法改正のお知らせ", body="点検基準が変わります。", kind="law",
                              shown_from=utcnow_naive() - timedelta(days=1)))
        db.session.commit()
    browser.login("a-clerk")
    page = browser.get("/").get_data(as_text=True)
    assert "協会からのお知らせ" in page and "法改正のお知らせ" in page
