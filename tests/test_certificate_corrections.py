"""削除 and 引戻し of a 保適証 over HTTP, against the sandbox running as a real server.

delete from 連携済 -> deleted (timeline, audit, billing kept); refused from a status that does not
allow it; AIRAS timeout then retry -> deleted once; 引戻し -> corrected -> 連携済 again under the same
交付番号 and a new key; an uncorrectable item -> told to delete; a clerk is refused.
"""
import datetime as dt

import requests
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.certificate import Certificate, CertificateDraft, CertificateEvent
from app.services.certificates import common, confirmation, drafts, sender
from app.tenancy import Tenant
from app.timeutil import JST
from tests.test_certificate_helpers import filled_draft
from tests.test_certificate_wizard import dbq, sandbox, site  # noqa: F401  (fixtures)

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)
EVERY = {"confirmed": list(confirmation.PREFLIGHT_ITEMS)}


def _sent(app, tenants, dbq, chassis, application_type="oss"):
    """A certificate confirmed by the inspector and sent to the sandbox (linked, or rejected)."""
    ids = tenants.ids["a"]

    def make(session):
        tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
        draft = filled_draft(session, tenant, ids["Site"], ids["users"]["inspector"], chassis,
                             application_type=application_type)
        certificate = confirmation.confirm(session, draft, ids["users"]["inspector"],
                                           set(confirmation.PREFLIGHT_ITEMS), NOW)
        session.commit()
        sender.send_now(session, certificate.id, common.clients_from_config(), NOW)
        return certificate.id

    return dbq(make)


def _get(dbq, certificate_id):
    def load(session):
        c = session.get(Certificate, certificate_id)
        return {k: getattr(c, k) for k in ("status", "airas_id", "airas_status", "issue_number", "idempotency_key",
                                            "payload", "advice", "registration_number")} | {
            "oss_status": c.oss_request.status if c.oss_request else None,
            "oss_advice": c.oss_request.advice if c.oss_request else None}
    return dbq(load)


def _events(dbq, certificate_id):
    return dbq(lambda s: [(e.action, e.status_after, e.success) for e in s.scalars(
        select(CertificateEvent).where(CertificateEvent.certificate_id == certificate_id)
        .order_by(CertificateEvent.id))])


def _audit(dbq, certificate_id):
    return dbq(lambda s: [a.action for a in s.scalars(select(AuditLog).where(
        AuditLog.entity_type == "Certificate", AuditLog.entity_id == str(certificate_id)).order_by(AuditLog.id))])


def _billed(dbq, certificate_id):
    return dbq(lambda s: s.scalar(select(func.count()).select_from(BillableEvent).where(
        BillableEvent.kind == "certificate", BillableEvent.object_id == certificate_id)))


def _stats(sandbox):
    return requests.get(f"{sandbox.base_url}/_control/stats", timeout=5).json()


def test_delete_from_linked(app, tenants, dbq, browser, site, sandbox):
    certificate_id = _sent(app, tenants, dbq, "DEL10-0000001")
    before = _get(dbq, certificate_id)
    assert before["status"] == "linked" and before["oss_status"] == "accepted"
    browser.login("a-inspector")
    show = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "AIRASで削除する" in show and "引戻しして訂正する" in show
    page = browser.get(f"/certificates/{certificate_id}/delete").get_data(as_text=True)
    for words in ("交付番号", "使えなくなります", "新しい保適証を作成して交付し直す", "手数料が再度かかります",
                  "利用料", "取り消されず", "代理人(日整連支部)に取下げを依頼"):
        assert words in page, words

    assert browser.client.post(f"/certificates/{certificate_id}/delete").status_code == 400  # no CSRF token
    assert _get(dbq, certificate_id)["status"] == "linked"

    response = browser.post(f"/certificates/{certificate_id}/delete")
    assert response.status_code == 302
    after = _get(dbq, certificate_id)
    assert after["status"] == "deleted" and after["airas_status"] == "削除"
    assert "新しい保適証" in after["advice"]
    assert after["oss_status"] == "accepted" and "取下げ" in after["oss_advice"]  # AINAS: ask the 代理人
    assert ("delete", "deleted", True) in _events(dbq, certificate_id)
    assert "certificate_delete" in _audit(dbq, certificate_id)
    assert _billed(dbq, certificate_id) == 1  # the 連携済 charge stays
    assert _stats(sandbox)["airas_statuses"] == {"削除": 1}
    show = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "削除" in show and "AIRASで削除する" not in show


def test_delete_refused_where_the_status_does_not_allow_it(app, tenants, dbq, browser, site, sandbox):
    # Locally: a completed certificate is refused before any call.
    certificate_id = _sent(app, tenants, dbq, "DEL10-0000002")
    dbq(lambda s: (setattr(s.get(Certificate, certificate_id), "status", "completed"), s.commit()))
    browser.login("a-manager")
    calls = len(requests.get(f"{sandbox.base_url}/_control/calls", timeout=5).json())
    refused = browser.post(f"/certificates/{certificate_id}/delete")
    assert refused.status_code == 422 and "現在の状態では削除できません" in refused.get_data(as_text=True)
    assert _get(dbq, certificate_id)["status"] == "completed"
    assert len(requests.get(f"{sandbox.base_url}/_control/calls", timeout=5).json()) == calls

    # At AIRAS: the OSS 保適証 became 報告済 there before we read it back; AIRAS refuses.
    other = _sent(app, tenants, dbq, "DEL10-0000003")
    requests.post(f"{sandbox.base_url}/_control/settings", json={"report_times": ["00:00"]}, timeout=5)
    requests.post(f"{sandbox.base_url}/_control/clock", json={"advance_seconds": 86400}, timeout=5)
    refused = browser.post(f"/certificates/{other}/delete")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "現在のステータスでは削除できません" in text
    assert _get(dbq, other)["status"] == "linked"  # nothing changed but the failed timeline entry
    assert ("delete", "linked", False) in _events(dbq, other)
    assert "certificate_delete_failed" in _audit(dbq, other)
    assert _stats(sandbox)["airas_statuses"].get("削除") is None


def test_timeout_then_retry_deletes_once(app, tenants, dbq, browser, site, sandbox):
    certificate_id = _sent(app, tenants, dbq, "DEL10-0000004")
    browser.login("a-inspector")
    app.config["OUTSIDE_TIMEOUT_SECONDS"] = 0.5
    try:
        requests.post(f"{sandbox.base_url}/_control/faults", json={"timeout_rate": 1.0, "timeout_seconds": 0.8},
                      timeout=5)
        lost = browser.post(f"/certificates/{certificate_id}/delete")
        assert lost.status_code == 422 and "もう一度同じ操作をしてください" in lost.get_data(as_text=True)
        assert _get(dbq, certificate_id)["status"] == "linked"
        requests.post(f"{sandbox.base_url}/_control/faults", json={"timeout_rate": 0.0}, timeout=5)
        assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 302
    finally:
        app.config["OUTSIDE_TIMEOUT_SECONDS"] = 10.0
    assert _get(dbq, certificate_id)["status"] == "deleted"
    stats = _stats(sandbox)
    assert stats["airas"]["deleted"] == 1 and stats["airas"]["replayed"] == 1
    events = _events(dbq, certificate_id)
    assert events.count(("delete", "deleted", True)) == 1 and ("delete", "linked", False) in events


def test_pull_back_correct_and_link_again(app, tenants, dbq, browser, site, sandbox):
    certificate_id = _sent(app, tenants, dbq, "PBK10-0000001")
    first = _get(dbq, certificate_id)
    browser.login("a-inspector")
    page = browser.get(f"/certificates/{certificate_id}/pull-back").get_data(as_text=True)
    assert "訂正できない項目" in page and "車台番号" in page and "削除して新しく作成" in page
    response = browser.post(f"/certificates/{certificate_id}/pull-back")
    assert response.status_code == 302 and "/certificates/wizard/" in response.headers["Location"]
    draft = int(response.headers["Location"].split("/wizard/")[1].split("/")[0])
    assert _get(dbq, certificate_id)["status"] == "draft"
    assert _stats(sandbox)["airas_statuses"] == {"作成中": 1}

    base = f"/certificates/wizard/{draft}"
    vehicle_page = browser.get(f"{base}/vehicle").get_data(as_text=True)
    assert "引戻しした保適証" in vehicle_page and "PBK10-0000001" in vehicle_page
    vehicle = dict(dbq(lambda s: s.get(CertificateDraft, draft).data["vehicle"]))
    wrong = {k: v for k, v in vehicle.items() if isinstance(v, str)}
    wrong["chassis_number"] = "PBK10-0000009"
    refused = browser.post(f"{base}/vehicle", wrong)
    assert refused.status_code == 200 and "車台番号は訂正できません" in refused.get_data(as_text=True)
    fixed = {k: v for k, v in vehicle.items() if isinstance(v, str)}
    fixed.update(plate_serial="456", owner_name="試験 太郎")
    assert browser.post(f"{base}/vehicle", fixed).status_code == 302
    done = browser.post(f"{base}/certify", EVERY)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/certificates/{certificate_id}")

    after = _get(dbq, certificate_id)
    assert after["status"] == "linked" and after["airas_id"] == first["airas_id"]
    assert after["issue_number"] == first["issue_number"]
    assert after["idempotency_key"] == first["idempotency_key"] + ":c1"
    assert after["payload"]["user_of_vehicle"]["name"] == "試験 太郎"
    assert "456" in after["registration_number"]
    assert "代理人" in after["oss_advice"]  # the AINAS request is corrected by the 代理人
    stats = _stats(sandbox)
    assert stats["airas"]["corrected"] == 1 and stats["airas"]["received"] == 1 and stats["fees_yen"] == 36
    assert _billed(dbq, certificate_id) == 1
    actions = [e[0] for e in _events(dbq, certificate_id)]
    assert actions[-3:] == ["pull_back", "correct", "resubmit"]
    assert {"certificate_pull_back", "certificate_correct"} <= set(_audit(dbq, certificate_id))


def test_uncorrectable_rejection_is_sent_to_delete(app, tenants, dbq, browser, site, sandbox):
    certificate_id = _sent(app, tenants, dbq, "VIN10-9000001")  # 却下: 車台番号及び自動車区分
    assert _get(dbq, certificate_id)["status"] == "rejected"
    browser.login("a-manager")
    page = browser.get(f"/certificates/{certificate_id}/pull-back").get_data(as_text=True)
    assert "訂正できません。保適証を削除して新しく作成してください" in page
    assert f"/certificates/{certificate_id}/delete" in page
    refused = browser.post(f"/certificates/{certificate_id}/pull-back")
    assert refused.status_code == 422 and _get(dbq, certificate_id)["status"] == "rejected"
    assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 302
    assert _get(dbq, certificate_id)["status"] == "deleted"


def test_clerk_cannot_delete_or_pull_back(app, tenants, dbq, browser, site, sandbox):
    certificate_id = _sent(app, tenants, dbq, "CLK10-0000001")
    browser.login("a-clerk")
    show = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "AIRASで削除する" not in show and "引戻しして訂正する" not in show
    assert browser.get(f"/certificates/{certificate_id}/delete").status_code == 403
    assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 403
    assert browser.post(f"/certificates/{certificate_id}/pull-back").status_code == 403
    assert _get(dbq, certificate_id)["status"] == "linked"


def test_deleting_a_pulled_back_certificate_discards_its_correction_draft(app, tenants, dbq, browser, site,
                                                                          sandbox):
    certificate_id = _sent(app, tenants, dbq, "PBD10-0000001")
    browser.login("a-inspector")
    response = browser.post(f"/certificates/{certificate_id}/pull-back")
    draft = int(response.headers["Location"].split("/wizard/")[1].split("/")[0])
    assert _get(dbq, certificate_id)["status"] == "draft"
    assert f"/certificates/wizard/{draft}/" in browser.get("/certificates/wizard/").get_data(as_text=True)

    assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 302
    assert _get(dbq, certificate_id)["status"] == "deleted"
    assert dbq(lambda s: s.get(CertificateDraft, draft)) is None
    assert f"/certificates/wizard/{draft}/" not in browser.get("/certificates/wizard/").get_data(as_text=True)
    assert browser.get(f"/certificates/wizard/{draft}/vehicle").status_code == 404
    assert dbq(lambda s: s.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "CertificateDraft", AuditLog.entity_id == str(draft),
        AuditLog.action == "delete"))) == 1


def _linked_at_airas_since_our_last_read(dbq, sandbox, app, tenants, chassis):
    """A certificate we still hold as sent while AIRAS has reached 作成済 and charged its fee."""
    requests.post(f"{sandbox.base_url}/_control/settings", json={"link_delay_seconds": 60}, timeout=5)
    certificate_id = _sent(app, tenants, dbq, chassis, application_type="hybrid")
    assert _get(dbq, certificate_id)["status"] == "sent" and _billed(dbq, certificate_id) == 0
    requests.post(f"{sandbox.base_url}/_control/clock", json={"advance_seconds": 120}, timeout=5)
    return certificate_id


def test_deleting_a_certificate_linked_since_our_last_read_still_charges_it(app, tenants, dbq, browser, site,
                                                                           sandbox):
    certificate_id = _linked_at_airas_since_our_last_read(dbq, sandbox, app, tenants, "DEL10-0000777")
    browser.login("a-inspector")
    assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 302
    after = _get(dbq, certificate_id)
    assert after["status"] == "deleted" and after["issue_number"]
    assert len(requests.get(f"{sandbox.base_url}/_control/fees", timeout=5).json()) == 1
    assert _billed(dbq, certificate_id) == 1  # 連携済 at AIRAS: our 31 yen too, once


def test_pulling_back_a_certificate_linked_since_our_last_read_still_charges_it(app, tenants, dbq, browser,
                                                                               site, sandbox):
    certificate_id = _linked_at_airas_since_our_last_read(dbq, sandbox, app, tenants, "PBK10-0000777")
    browser.login("a-inspector")
    assert browser.post(f"/certificates/{certificate_id}/pull-back").status_code == 302
    assert _get(dbq, certificate_id)["status"] == "draft"
    assert _billed(dbq, certificate_id) == 1
    assert browser.post(f"/certificates/{certificate_id}/delete").status_code == 302
    assert _get(dbq, certificate_id)["status"] == "deleted" and _billed(dbq, certificate_id) == 1


def test_oss_certificate_locked_while_filed_is_correctable_after_the_filing_is_returned(
        app, tenants, dbq, browser, site, sandbox):
    """OSS: once the 代理人 files, no 引戻し or 削除; after the 運輸支局 差戻 the filing, both again."""
    control = f"{sandbox.base_url}/_control"
    requests.post(f"{control}/settings", json={"ainas_step_seconds": 10}, timeout=5)
    certificate_id = _sent(app, tenants, dbq, "RET10-0000001")
    requests.post(f"{control}/clock", json={"advance_seconds": 15}, timeout=5)  # AINAS 申請中: 報告済

    def follow(hours):
        dbq(lambda s: sender.process_certificate(s, certificate_id, common.clients_from_config(),
                                              NOW + dt.timedelta(hours=hours)))

    follow(1)
    state = _get(dbq, certificate_id)
    assert state["status"] == "reported" and state["oss_status"] == "filing"
    browser.login("a-inspector")
    assert "引戻しして訂正する" not in browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    refused = browser.post(f"/certificates/{certificate_id}/pull-back")
    assert refused.status_code == 422 and "代理人" in refused.get_data(as_text=True)

    request_id = dbq(lambda s: s.get(Certificate, certificate_id).oss_request.request_id)
    returned = requests.post(f"{control}/ainas/{request_id}/return", json={"status": "差戻"}, timeout=5)
    assert returned.status_code == 200
    follow(2)
    assert _get(dbq, certificate_id)["oss_status"] == "returned"
    assert "引戻しして訂正する" in browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    response = browser.post(f"/certificates/{certificate_id}/pull-back")
    assert response.status_code == 302 and "/certificates/wizard/" in response.headers["Location"]
    assert _get(dbq, certificate_id)["status"] == "draft"
    assert ("pull_back", "draft", True) in _events(dbq, certificate_id)


def test_correcting_a_mistyped_odometer_downwards_is_not_a_reversal(app, tenants, dbq, browser, site, sandbox):
    """The vehicle's last reading is the corrected certificate's own typo; a correction is checked
    against the inspection before it (here none), not against itself."""
    from tests.test_certificate_helpers import inspection_form

    certificate_id = _sent(app, tenants, dbq, "ODO10-0000001")  # sent with 45,678 km
    browser.login("a-inspector")
    response = browser.post(f"/certificates/{certificate_id}/pull-back")
    base = response.headers["Location"].rsplit("/", 1)[0]
    inspector = dbq(lambda s: s.get(Certificate, certificate_id).inspector_id)
    assert browser.post(f"{base}/inspection", inspection_form(inspector, odometer="4567")).status_code == 302
    draft = int(base.split("/wizard/")[1])
    assessment = dbq(lambda s: drafts.assess(s, s.get(CertificateDraft, draft)))
    assert assessment["previous_odometer_km"] is None
    assert "ODOMETER_REVERSAL" not in {w["code"] for w in assessment["warnings"]}
    # A new certificate for the same vehicle is still checked against the last reading.
    ids = tenants.ids["a"]

    def fresh(session):
        tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
        new = drafts.start_draft(session, tenant, ids["Site"], ids["users"]["inspector"])
        new.data = {**session.get(CertificateDraft, draft).data}
        new.data.pop("correction")
        session.flush()
        return drafts.assess(session, new)

    assert "ODOMETER_REVERSAL" in {w["code"] for w in dbq(fresh)["warnings"]}
