"""15.3 e-JIBAI before sending: the 保険会社 from the 略称表, the check through the e-JIBAI client
(the sandbox server plays it), steering to hybrid, the one-hour hold and error 127's explanation."""
import datetime as dt

import pytest
import requests
from sqlalchemy import select

from app.models.certificate import Certificate, CertificateEvent
from app.services.certificates import common, sender
from app.services.certificates.common import CertificateInputError
from app.tenancy import Tenant
from tests.prechecks_helpers import (  # noqa: F401 - fixtures
    NOW,
    confirm,
    ctx,
    draft_until_checks,
    http_site,
    in_db,
    register_jibai,
    start_http_draft,
)
from tests.test_certificate_helpers import insurance_form, sandbox_config


@pytest.fixture
def server(app):
    with sandbox_config(app) as running:
        yield running


def test_an_insurer_outside_the_abbreviation_table_is_refused(app, ctx, db_session, server):
    ids, tenant = ctx
    with pytest.raises(CertificateInputError) as error:
        draft_until_checks(db_session, ids, tenant, "JBI10-0000001", insurance={"policy1_insurer_name": "試験損保"})
    assert error.value.messages == [
        "自賠責(1枚目)の保険会社「試験損保」は保険会社名略称表にありません。一覧から選んでください。"]
    db_session.rollback()


def test_the_official_name_in_any_width_is_stored_as_the_table_name(app, ctx, db_session, server):
    ids, tenant = ctx
    draft = draft_until_checks(db_session, ids, tenant, "JBI10-0000002",
                               insurance={"policy1_insurer_name": "ＡＩＧ損害保険株式会社"})
    policy = draft.data["insurance"]["policies"][0]
    assert policy["insurer_name"] == "ＡＩＧ損保"
    assert policy["jibai_check"]["state"] == "electronic" and policy["electronic"] is True
    db_session.rollback()


def test_oss_without_electronic_data_is_steered_to_hybrid(app, ctx, db_session, server):
    ids, tenant = ctx
    paper = {"policy1_certificate_number": "P0001-9999"}
    with pytest.raises(CertificateInputError) as error:
        draft_until_checks(db_session, ids, tenant, "JBI10-0000003", insurance=paper)
    assert error.value.messages == [
        "自賠責(1枚目)には電子情報がありません(AIRASでは「手入力」と表示されます)。OSS申請には電子情報のある電子自賠責が"
        "必要です。「ハイブリッド申請に切り替えて次へ」を押すと、窓口申請(ハイブリッド申請)で進めます。"]
    assert error.value.context["can_switch_to_hybrid"] is True
    assert error.value.context["jibai_checks"][0]["label"] == "電子情報なし(手入力)"
    db_session.rollback()
    draft = draft_until_checks(db_session, ids, tenant, "JBI10-0000003",
                               insurance={**paper, "switch_to_hybrid": "1"})
    assert draft.data["inspection"]["application_type"] == "hybrid"
    assert draft.data["inspection"]["application_agent"] == ""
    assert draft.data["insurance"]["policies"][0]["electronic"] is False
    assert draft.step == "checks"
    db_session.rollback()


def test_a_chassis_number_other_than_the_vehicles_is_refused(app, ctx, db_session, server):
    ids, tenant = ctx
    register_jibai(server, "M0000001", chassis="OTHER-0000001")
    with pytest.raises(CertificateInputError) as error:
        draft_until_checks(db_session, ids, tenant, "JBI10-0000004",
                           insurance={"policy1_certificate_number": "M0000001"})
    assert error.value.messages == [
        "自賠責(1枚目)の電子情報の車台番号(OTHER-0000001)が、この車両の車台番号(JBI10-0000004)と違います。"
        "証明書番号を自賠責の証明書で確かめてください(このまま送るとエラー127になります)。"]
    db_session.rollback()


def test_when_the_check_fails_the_shops_tick_decides(app, ctx, db_session, server):
    ids, tenant = ctx
    requests.post(f"{server.base_url}/_control/faults", json={"error_rate": 1.0, "fault_systems": ["jibai"]},
                  timeout=5)
    draft = draft_until_checks(db_session, ids, tenant, "JBI10-0000005")
    policy = draft.data["insurance"]["policies"][0]
    assert policy["jibai_check"] == {"state": "unavailable", "issued_at": None}
    assert policy["electronic"] is True  # the tick of insurance_form()
    db_session.rollback()


def test_the_insurance_page_says_electronic_data_or_not(app, http_site, server, browser):
    browser.login("a-clerk")
    base = start_http_draft(browser, http_site, "JBI10-0000006")
    page = browser.get(f"{base}/insurance").get_data(as_text=True)
    assert '<option value="東京海上日動"' in page and "あいおいニッセイ同和損害保険株式会社" in page
    refused = browser.post(f"{base}/insurance", {**insurance_form(), "policy1_certificate_number": "P0001-9999"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "電子情報なし(手入力)" in text
    assert "ハイブリッド申請に切り替えて次へ" in text and "何も保存していません" in text
    switched = browser.post(f"{base}/insurance", {**insurance_form(), "policy1_certificate_number": "P0001-9999",
                                                  "switch_to_hybrid": "1"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith(f"{base}/checks")
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "電子情報なし(手入力)" in checks
    back = browser.get(f"{base}/insurance").get_data(as_text=True)
    assert "ハイブリッド申請(窓口申請)" in back


def test_a_fresh_certificate_is_held_for_the_hour_then_sent(app, ctx, db_session, server):
    ids, tenant = ctx
    issued = NOW - dt.timedelta(minutes=20)
    register_jibai(server, "N0000001", chassis="JBI10-0000007", issued_at=issued)
    draft = draft_until_checks(db_session, ids, tenant, "JBI10-0000007",
                               insurance={"policy1_certificate_number": "N0000001"})
    certificate = confirm(db_session, draft, ids)
    assert certificate.status == "queued" and certificate.reason_code == "JIBAI-WAIT"
    assert common.as_jst(certificate.next_attempt_at) == issued + dt.timedelta(hours=1)
    assert "自賠責の発行から1時間たっていないため" in certificate.reason and "10:40以降に自動で送信します" in certificate.reason
    clients = common.clients_from_config()
    sender.send_now(db_session, certificate.id, clients, NOW)
    assert sender.send_due(db_session, NOW + dt.timedelta(minutes=30), clients) == 0
    # 再送 pressed during the hour: the sender holds it again, AIRAS is not called.
    from app.services.certificates import followup

    followup.request_resend(db_session, db_session.get(Certificate, certificate.id), NOW)
    db_session.commit()
    sender.send_now(db_session, certificate.id, clients, NOW + dt.timedelta(minutes=1))
    db_session.expire_all()
    held = db_session.get(Certificate, certificate.id)
    assert held.status == "queued" and held.reason_code == "JIBAI-WAIT"
    assert common.as_jst(held.next_attempt_at) == issued + dt.timedelta(hours=1)
    calls = requests.get(f"{server.base_url}/_control/calls", timeout=5).json()
    assert not [c for c in calls if c["system"] == "airas"]
    assert sender.send_due(db_session, issued + dt.timedelta(hours=1, seconds=1), clients) == 1
    db_session.expire_all()
    sent = db_session.get(Certificate, certificate.id)
    assert sent.status == "linked" and sent.reason is None
    actions = db_session.scalars(select(CertificateEvent.action).where(
        CertificateEvent.certificate_id == certificate.id).order_by(CertificateEvent.id)).all()
    assert actions[:4] == ["hold", "confirm", "resend", "release"] and set(actions[4:]) == {"submit"}


def test_an_older_certificate_is_sent_at_once(app, ctx, db_session, server):
    ids, tenant = ctx
    register_jibai(server, "N0000002", chassis="JBI10-0000008", issued_at=NOW - dt.timedelta(hours=2))
    draft = draft_until_checks(db_session, ids, tenant, "JBI10-0000008",
                               insurance={"policy1_certificate_number": "N0000002"})
    certificate = confirm(db_session, draft, ids)
    assert certificate.reason_code is None
    sender.send_now(db_session, certificate.id, common.clients_from_config(), NOW)
    db_session.expire_all()
    assert db_session.get(Certificate, certificate.id).status == "linked"


def test_error_127_is_explained_on_the_certificate_page(app, http_site, server, browser):
    ids = http_site
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))

    def prepare(session):
        certificate = confirm(session, draft_until_checks(session, ids, tenant, "JBI10-9000127"), ids)
        sender.send_now(session, certificate.id, common.clients_from_config(), NOW)
        session.expire_all()
        assert session.get(Certificate, certificate.id).reason_code == "E127"
        return certificate.id

    certificate_id = in_db(app, prepare)
    browser.login("a-inspector")
    page = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "エラー127「自賠責保険証明書情報該当なし」は、AIRASがこの自賠責の電子情報を見つけられなかったという意味です。" in page
    assert "0とOの取り違え" in page


def test_the_hold_and_its_reason_are_on_the_certificate_page(app, http_site, server, browser):
    ids = http_site
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
    register_jibai(server, "N0000003", chassis="JBI10-0000009", issued_at=NOW - dt.timedelta(minutes=5))

    def prepare(session):
        draft = draft_until_checks(session, ids, tenant, "JBI10-0000009",
                                   insurance={"policy1_certificate_number": "N0000003"})
        return confirm(session, draft, ids).id

    certificate_id = in_db(app, prepare)
    browser.login("a-clerk")
    page = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "送信待ち" in page and "電子情報がAIRASに届くのを待っています(10:55以降に自動で送信します)" in page
    assert "令和8年11月26日 10:55(自動)" in page
