"""Whose fix is it (issue 15.10): a rejected or stalled filing says whether the shop (pull back
and correct, or delete and issue again for 車台番号/自動車区分) or the 申請代理人 (the AINAS side) must
act, with the AIRAS error detail; a filing without progress past CERTIFICATE_STALLED_WEEKDAY_HOURS
(counted on days the 運輸支局 works) is flagged on the shop's list; the certificate page notes the
MOTAS report timing and the 代理人's weekday hours where they matter."""
import datetime as dt

import pytest
import requests

from app.domain import whose_fix
from app.extensions import db
from app.models.certificate import Certificate
from app.services.certificates import common, sender
from app.timeutil import JST
from tests.test_certificate_helpers import confirmed_certificate, sandbox_config, site_a_ready

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)  # a Thursday


def _sent(app, tenants, chassis, **application):
    """A certificate confirmed and sent against the sandbox (app context not held afterwards)."""
    with app.app_context():
        ids, tenant = site_a_ready(tenants, db.session)
        certificate_id = confirmed_certificate(db.session, ids, tenant, chassis, NOW, **application)
        sender.send_now(db.session, certificate_id, common.clients_from_config(), NOW)
        return certificate_id


def _page(browser, app, path, moment):
    app.config["CLOCK"] = lambda: moment
    return browser.get(path).get_data(as_text=True)


def test_weekday_hours_skip_weekends_and_the_agents_hours_matter_only_outside_them():
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=JST)
    monday_nine = dt.datetime(2026, 11, 30, 9, 0, tzinfo=JST)
    assert whose_fix.weekday_hours_between(friday_evening, monday_nine) == 15  # 6 on Friday, 9 on Monday
    assert whose_fix.agent_hours_note(dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)) is None
    assert whose_fix.agent_hours_note(dt.datetime(2026, 11, 28, 10, 0, tzinfo=JST)) == (
        "代理人(日整連支部)の受付は平日9:00〜16:45です。土日・祝日や受付時間外の申請依頼は、"
        "次の受付日(11月30日(月) 9:00)から処理されます。")
    assert "12月1日(火)" in whose_fix.agent_hours_note(dt.datetime(2026, 11, 30, 17, 0, tzinfo=JST))


def test_a_vin_rejection_is_the_shops_to_delete_and_issue_again(app, tenants, browser):
    with sandbox_config(app):
        certificate_id = _sent(app, tenants, "WFX10-9000001")
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        assert certificate.status == "rejected" and certificate.reason_code == "VIN-KIND"
    browser.login("a-manager")
    page = _page(browser, app, f"/certificates/{certificate_id}", NOW)
    assert "対応するのは: 事業場(保適証の訂正)" in page
    assert "事業場で保適証を削除して、新しい保適証を交付し直してください。" in page
    assert "AIRASのエラー詳細: VIN-KIND 車台番号及び自動車区分が自動車検査証の記録と一致しません。" in page
    listing = _page(browser, app, "/certificates/list/", NOW)
    assert "対応: 事業場(保適証の訂正)" in listing


def test_a_plate_rejection_is_the_shops_to_pull_back_and_correct(app, tenants, browser):
    with sandbox_config(app):
        certificate_id = _sent(app, tenants, "WFX20-9000002")
    browser.login("a-manager")
    page = _page(browser, app, f"/certificates/{certificate_id}", NOW)
    assert "事業場で保適証を引戻しして、訂正してから送信し直してください。" in page
    assert "AIRASのエラー詳細: REGNO" in page


def test_an_ainas_side_rejection_is_the_agents(app, tenants, browser):
    with sandbox_config(app) as server:
        certificate_id = _sent(app, tenants, "WFX30-0000003")
        with app.app_context():
            request_id = db.session.get(Certificate, certificate_id).oss_request.request_id
        assert request_id
        requests.post(f"{server.base_url}/_control/ainas/{request_id}/return", json={"status": "却下"}, timeout=5)
        with app.app_context():
            sender.send_due(db.session, NOW + dt.timedelta(hours=1), common.clients_from_config())
            assert db.session.get(Certificate, certificate_id).oss_request.status == "rejected"
    browser.login("a-manager")
    page = _page(browser, app, f"/certificates/{certificate_id}", NOW)
    assert "対応するのは: 申請代理人(日整連支部・AINAS側)" in page
    assert "申請代理人(日整連支部)が対応します。保適証の訂正は要りません。" in page
    assert "代理人(日整連支部)の受付は" not in page  # Thursday 10:00: the desk is open


def test_a_filing_without_progress_is_flagged_with_whom_to_ask(app, tenants, browser, app_config):
    with sandbox_config(app):
        certificate_id = _sent(app, tenants, "WFX40-0000004")  # AINAS stays 依頼受付 in the sandbox
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        assert certificate.status == "linked" and certificate.oss_request.status == "accepted"
    browser.login("a-manager")
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=JST)  # 23 weekday hours later
    assert "停滞" not in _page(browser, app, "/certificates/list/", friday)
    monday = dt.datetime(2026, 11, 30, 11, 0, tzinfo=JST)  # the weekend does not count
    listing = _page(browser, app, "/certificates/list/", monday)
    assert "停滞・対応: 申請代理人(日整連支部・AINAS側)" in listing
    assert "申請代理人(日整連支部)に状況を問い合わせてください。" in listing
    page = _page(browser, app, f"/certificates/{certificate_id}", monday)
    assert "状態が進んでいません。対応するのは: 申請代理人" in page
    assert "平日の時間で" in page and "運輸支局の審査は平日だけです" in page
    app_config["CERTIFICATE_STALLED_WEEKDAY_HOURS"] = 100
    assert "停滞" not in _page(browser, app, "/certificates/list/", monday)


def test_the_page_notes_the_motas_report_timing_while_waiting_for_the_report(app, tenants, browser):
    with sandbox_config(app):
        certificate_id = _sent(app, tenants, "WFX50-0000005", application_type="hybrid")
    with app.app_context():
        assert db.session.get(Certificate, certificate_id).status == "linked"
    browser.login("a-manager")
    page = _page(browser, app, f"/certificates/{certificate_id}", NOW)
    assert "決まった時刻にまとめてMOTAS(国の審査システム)へ報告します" in page


@pytest.mark.parametrize("code,party", [("VIN-KIND", "shop"), ("USER", "shop"), ("NOT-IN-AIRAS", "shop"),
                                        (None, "agent"), ("PAYMENT", "agent")])
def test_ainas_reasons_about_the_certificate_are_the_shops(code, party):
    assert whose_fix.for_rejection("ainas", code, None, filed_by_agent=True).party == party
