"""Banners on shop pages: the coming maintenance window or year-end closure, maintenance
notices in force, and outside systems reported down; notices entered in Japan time."""
from datetime import datetime, timedelta

from sqlalchemy import select

from app.timeutil import JST


def _banners(app, moment):
    from app.extensions import db
    from app.services.support import active_banners

    with app.app_context():
        return active_banners(db.session, moment)


def test_the_daily_maintenance_window_is_announced_an_hour_ahead(app, tenants):
    assert _banners(app, datetime(2026, 11, 26, 22, 59, tzinfo=JST)) == []
    [banner] = _banners(app, datetime(2026, 11, 26, 23, 30, tzinfo=JST))
    assert banner.level == "warning"
    assert banner.text.startswith("24:00〜1:00 はシステムメンテナンスのため停止します(あと約30分)")


def test_the_year_end_closure_is_announced_a_week_ahead(app, tenants):
    assert _banners(app, datetime(2026, 12, 21, 10, 0, tzinfo=JST)) == []
    [banner] = _banners(app, datetime(2026, 12, 22, 10, 0, tzinfo=JST))
    assert banner.text == "12月29日〜1月3日は年末年始のためサービスを休止します。"


def test_an_outside_system_reported_down_shows_until_it_is_up_again(app, tenants):
    from app.extensions import db
    from app.services.support import report_outside_system_down, report_outside_system_up

    moment = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    with app.app_context():
        first = report_outside_system_down(db.session, "airas", moment)
        again = report_outside_system_down(db.session, "airas", moment + timedelta(minutes=5))
        assert again.id == first.id  # one banner per system, however often it is reported
        db.session.commit()
    [banner] = _banners(app, moment + timedelta(minutes=10))
    assert banner.level == "danger"
    assert banner.text.startswith("保適証サービス(AIRAS)に接続できません")
    with app.app_context():
        assert report_outside_system_up(db.session, "airas", moment + timedelta(minutes=20)) == 1
        db.session.commit()
    assert _banners(app, moment + timedelta(minutes=30)) == []
    assert _banners(app, moment + timedelta(minutes=15)) != []  # it was shown in between


def test_a_down_report_with_a_reopening_time_ends_by_itself(app, tenants):
    from app.extensions import db
    from app.services.support import report_outside_system_down

    moment = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    with app.app_context():
        report_outside_system_down(db.session, "ainas", moment,
                                   until=moment + timedelta(hours=1), detail="定期保守中です。")
        db.session.commit()
    [banner] = _banners(app, moment + timedelta(minutes=59))
    assert "OSS申請共同利用システム(AINAS)" in banner.text and "定期保守中です。" in banner.text
    assert _banners(app, moment + timedelta(hours=1)) == []


def test_the_cli_reports_a_system_down_and_up(app, tenants):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["support", "outside-down", "mlit"]).exit_code == 0
    assert "次回自動車重量税額照会サービス" in _banners(
        app, datetime(2026, 11, 26, 10, 0, tzinfo=JST))[0].text
    result = runner.invoke(args=["support", "outside-up", "mlit"])
    assert result.exit_code == 0 and "1 notice(s) ended" in result.output
    assert _banners(app, datetime(2026, 11, 26, 10, 1, tzinfo=JST)) == []


def test_a_notice_entered_in_japan_time_is_stored_in_utc(app, tenants, browser):
    from app.extensions import db
    from app.models.support import Notice

    browser.login("assoc-admin")
    response = browser.post("/support/notices/add", {
        "title": "12月1日 臨時メンテナンス", "body": "2:00〜4:00は停止します。", "kind": "maintenance",
        "shown_from": "2026-11-26 09:00:00", "shown_until": "2026-12-01 04:00:00",
        "published": "y", "on_dashboard": "y", "on_public": "y",
    })
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalars(select(Notice).where(
            Notice.title == "12月1日 臨時メンテナンス")).one()
        assert notice.shown_from == datetime(2026, 11, 26, 0, 0)
        assert notice.shown_until == datetime(2026, 11, 30, 19, 0)
        notice_id = notice.id
    edit = browser.get(f"/support/notices/edit/{notice_id}").get_data(as_text=True)
    assert "2026-11-26 09:00:00" in edit  # shown again in Japan time
    # The list searches in Japan time too: "from after 08:59" finds it, "after 09:01" does not.
    after = "/support/notices/list/?_flt_1_shown_from="
    assert "12月1日 臨時メンテナンス" in browser.get(after + "2026-11-26 08:59:00").get_data(as_text=True)
    assert "12月1日 臨時メンテナンス" not in browser.get(after + "2026-11-26 09:01:00").get_data(
        as_text=True)
    texts = [b.text for b in _banners(app, datetime(2026, 11, 26, 10, 0, tzinfo=JST))]
    assert texts == ["12月1日 臨時メンテナンス: 2:00〜4:00は停止します。"]
    assert "12月1日 臨時メンテナンス" in app.test_client().get("/guide/notices").get_data(
        as_text=True)
    refused = browser.post("/support/notices/add", {
        "title": "逆転", "body": "", "kind": "other", "shown_from": "2026-11-26 09:00:00",
        "shown_until": "2026-11-26 08:00:00", "published": "y"})
    assert "掲載終了は掲載開始より後の日時にしてください。" in refused.get_data(as_text=True)


def test_shops_cannot_edit_notices_or_the_faq(app, tenants, browser):
    browser.login("a-manager")
    assert browser.get("/support/notices/add").status_code == 403
    assert browser.get("/support/faq/list/").status_code == 403
