"""Two-step sign-off (issue 15.2): at a site that asks for it, the inspector confirms with their
password, the 事業場管理責任者 (or the 代務者 the manager names) approves, and only then is the
certificate sent. Either can send it back with a reason. Every refusal has its Japanese message."""
import re

import pytest
import requests
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.certificate import Certificate, CertificateDraft
from app.models.tenancy import Site
from app.services.certificates import common, confirmation, followup, sender, signoff
from app.tenancy import tenant_of
from tests.conftest import OPEN_MOMENT, PASSWORD, Browser
from tests.test_certificate_helpers import filled_draft, ready_site
from tests.test_certificate_wizard import dbq, sandbox  # noqa: F401  (fixtures)

EVERY = {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}


def add_user(session, app, username, role, business_id, site_ids):
    from app.security.models import KeizokuUser
    from app.services.accounts import _hash

    user = KeizokuUser(username=username, first_name="三郎", last_name="代務", email=f"{username}@example.jp",
                       active=True, business_id=business_id, sites=[session.get(Site, i) for i in site_ids],
                       roles=[app.appbuilder.sm.find_role(role)], must_change_password=False)
    user.password = _hash(PASSWORD)
    session.add(user)
    session.flush()
    return user.id


@pytest.fixture
def two_step(app, tenants, dbq):
    ids = tenants.ids["a"]

    def prepare(session):
        site = ready_site(session, ids["Site"])
        site.two_step_signoff = True
        add_user(session, app, "a-inspector2", "inspector", ids["Business"], [ids["Site"]])
        add_user(session, app, "a-clerk2", "clerk", ids["Business"], [ids["Site"]])
        session.commit()

    dbq(prepare)
    return ids


def _draft(dbq, app, ids, chassis):
    def make(session):
        from app.security.models import KeizokuUser

        user = session.get(KeizokuUser, ids["users"]["inspector"])
        draft = filled_draft(session, tenant_of(user), ids["Site"], user.id, chassis)
        session.commit()
        return draft.id
    return dbq(make)


def _confirmed(dbq, app, ids, chassis):
    """The inspector's client, the draft and the certificate they confirmed with their password."""
    draft = _draft(dbq, app, ids, chassis)
    inspector = _login(app, "a-inspector")
    assert inspector.post(f"/certificates/wizard/{draft}/certify", {**EVERY, "password": PASSWORD}).status_code == 302
    return inspector, draft, _cert(dbq, chassis)


def _login(app, username):
    client = Browser(app)
    client.login(username)
    return client


def _cert(dbq, chassis):
    return dbq(lambda s: {k: getattr(c, k) for k in ("id", "status", "approval_status", "airas_id", "next_attempt_at",
                                                     "returned_reason", "approved_by_id")}
               if (c := s.scalar(select(Certificate).where(Certificate.chassis_number == chassis)
                                 .order_by(Certificate.id.desc()))) else None)


def _received(sandbox):
    return requests.get(f"{sandbox.base_url}/_control/stats", timeout=5).json().get("airas", {}).get("received", 0)


def _flash(response):
    return response.get_data(as_text=True)


def _actions(dbq, certificate_id):
    return dbq(lambda s: [a.action for a in s.scalars(select(AuditLog).where(
        AuditLog.entity_type == "Certificate", AuditLog.entity_id == str(certificate_id)).order_by(AuditLog.id))])


def test_the_setting_is_off_by_default_and_confirmation_sends_at_once(app, tenants, dbq, sandbox):
    ids = tenants.ids["a"]
    dbq(lambda s: (ready_site(s, ids["Site"]), s.commit()))
    assert dbq(lambda s: s.get(Site, ids["Site"]).two_step_signoff) is False
    draft = _draft(dbq, app, ids, "OFF10-0000001")
    inspector = _login(app, "a-inspector")
    page = inspector.get(f"/certificates/wizard/{draft}/confirm").get_data(as_text=True)
    assert 'name="password"' not in page
    assert inspector.post(f"/certificates/wizard/{draft}/certify", EVERY).status_code == 302
    certificate = _cert(dbq, "OFF10-0000001")
    assert certificate["approval_status"] is None and certificate["status"] == "linked"


def test_two_step_inspector_password_then_manager_approval_then_sent(app, two_step, dbq, sandbox):
    ids = two_step
    draft = _draft(dbq, app, ids, "TWO10-0000001")
    inspector = _login(app, "a-inspector")
    page = inspector.get(f"/certificates/wizard/{draft}/confirm").get_data(as_text=True)
    assert 'name="password"' in page and "ご自分のパスワード" in page

    for password in ("", "wrong-password"):
        refused = inspector.post(f"/certificates/wizard/{draft}/certify", {**EVERY, "password": password})
        assert refused.status_code == 422
        assert "パスワードが正しくありません" in _flash(refused)
        assert _cert(dbq, "TWO10-0000001") is None

    done = inspector.post(f"/certificates/wizard/{draft}/certify", {**EVERY, "password": PASSWORD})
    assert done.status_code == 302
    certificate = _cert(dbq, "TWO10-0000001")
    assert certificate["status"] == "queued" and certificate["approval_status"] == "pending"
    assert certificate["airas_id"] is None and certificate["next_attempt_at"] is None
    show = inspector.get(f"/certificates/{certificate['id']}").get_data(as_text=True)
    assert "二段階の確認: 承認待ち" in show
    assert '<span class="label label-info">承認待ち</span>' in inspector.get("/certificates/list/").get_data(as_text=True)

    # Nothing reaches AIRAS before the approval: not the scheduler, not a resend, not a forced due time.
    assert dbq(lambda s: sender.send_due(s, OPEN_MOMENT, common.clients_from_config())) == 0
    refused = inspector.post(f"/certificates/{certificate['id']}/resend")
    assert "承認待ちの保適証は送信できません" in _flash(inspector.get(refused.headers["Location"]))
    dbq(lambda s: (setattr(s.get(Certificate, certificate["id"]), "next_attempt_at",
                           common.utc_naive(OPEN_MOMENT)), s.commit()))
    assert dbq(lambda s: sender.claim(s, certificate["id"], OPEN_MOMENT)) is None
    assert _received(sandbox) == 0

    # The inspector who confirmed cannot approve; another inspector (not named) cannot either.
    own = inspector.post(f"/certificates/approvals/{certificate['id']}/approve", follow_redirects=True)
    assert "確定した本人は承認できません" in _flash(own)
    other = _login(app, "a-inspector2")
    assert "承認できるのは、事業場管理責任者と、指名された代務者だけです" in _flash(
        other.post(f"/certificates/approvals/{certificate['id']}/approve", follow_redirects=True))
    clerk = _login(app, "a-clerk")
    assert clerk.get("/certificates/approvals/").status_code == 403
    assert _cert(dbq, "TWO10-0000001")["approval_status"] == "pending"

    # Another business's manager does not even see it.
    outsider = _login(app, "b-manager")
    assert outsider.post(f"/certificates/approvals/{certificate['id']}/approve").status_code == 404
    assert "TWO10-0000001" not in outsider.get("/certificates/approvals/").get_data(as_text=True)

    manager = _login(app, "a-manager")
    listing = manager.get("/certificates/approvals/").get_data(as_text=True)
    assert "TWO10-0000001" in listing and "承認して送信する" in listing
    approved = manager.post(f"/certificates/approvals/{certificate['id']}/approve")
    assert approved.status_code == 302 and approved.headers["Location"].endswith(f"/certificates/{certificate['id']}")
    certificate = _cert(dbq, "TWO10-0000001")
    assert certificate["approval_status"] == "approved" and certificate["status"] == "linked"
    assert certificate["approved_by_id"] == ids["users"]["manager"]
    assert _received(sandbox) == 1
    actions = _actions(dbq, certificate["id"])
    assert "certificate_confirm" in actions and "certificate_approve" in actions
    again = manager.post(f"/certificates/approvals/{certificate['id']}/approve", follow_redirects=True)
    assert "承認待ちではありません" in _flash(again)


def test_send_back_needs_a_reason_and_reopens_the_draft(app, two_step, dbq, sandbox):
    ids = two_step
    inspector, draft, certificate = _confirmed(dbq, app, ids, "BACK10-000001")

    clerk = _login(app, "a-clerk2")
    assert clerk.post(f"/certificates/approvals/{certificate['id']}/send-back", {"reason": "x"}).status_code == 403
    manager = _login(app, "a-manager")
    empty = manager.post(f"/certificates/approvals/{certificate['id']}/send-back", {"reason": "  "},
                         follow_redirects=True)
    assert "差し戻す理由を入力してください" in _flash(empty)
    too_long = manager.post(f"/certificates/approvals/{certificate['id']}/send-back", {"reason": "あ" * 501},
                            follow_redirects=True)
    assert "500文字以内" in _flash(too_long)
    assert _cert(dbq, "BACK10-000001")["approval_status"] == "pending"

    back = manager.post(f"/certificates/approvals/{certificate['id']}/send-back",
                        {"reason": "走行距離が記録簿と違います"}, follow_redirects=True)
    assert "差し戻しました" in _flash(back)
    returned = _cert(dbq, "BACK10-000001")
    assert returned["approval_status"] == "returned" and returned["status"] == "deleted"
    assert returned["returned_reason"] == "走行距離が記録簿と違います" and returned["airas_id"] is None
    assert dbq(lambda s: s.get(Certificate, certificate["id"]).oss_request.status) == "withdrawn"
    show = inspector.get(f"/certificates/{certificate['id']}").get_data(as_text=True)
    assert "差戻しの理由: 走行距離が記録簿と違います" in show
    assert dbq(lambda s: s.get(CertificateDraft, draft).certificate_id) is None
    assert "certificate_send_back" in _actions(dbq, certificate["id"])

    # The inspector corrects and confirms again: a new certificate, waiting again; the inspector
    # may also send their own back.
    assert inspector.get(f"/certificates/wizard/{draft}/confirm").status_code == 200
    assert inspector.post(f"/certificates/wizard/{draft}/certify", {**EVERY, "password": PASSWORD}).status_code == 302
    second = _cert(dbq, "BACK10-000001")
    assert second["id"] != certificate["id"] and second["approval_status"] == "pending"
    own = inspector.post(f"/certificates/approvals/{second['id']}/send-back",
                         {"reason": "自賠責の番号を直します", "back": "show"})
    assert own.headers["Location"].endswith(f"/certificates/{second['id']}")
    assert _cert(dbq, "BACK10-000001")["approval_status"] == "returned"
    assert _received(sandbox) == 0


def test_the_manager_names_a_deputy_who_may_approve(app, two_step, dbq, sandbox):
    ids = two_step
    inspector, draft, certificate = _confirmed(dbq, app, ids, "DEP10-0000001")
    from app.security.models import KeizokuUser

    deputy_id = dbq(lambda s: s.scalar(select(KeizokuUser.id).where(KeizokuUser.username == "a-inspector2")))
    clerk_id = dbq(lambda s: s.scalar(select(KeizokuUser.id).where(KeizokuUser.username == "a-clerk2")))

    manager = _login(app, "a-manager")
    page = manager.get("/certificates/approvals/").get_data(as_text=True)
    assert "承認の代務者" in page and f'value="{deputy_id}"' in page and f'value="{clerk_id}"' not in page
    clerk = manager.post("/certificates/approvals/deputy", {"site_id": str(ids["Site"]), "deputy_id": str(clerk_id)},
                         follow_redirects=True)
    assert "代務者は、この事業場の事業場管理責任者か自動車検査員の利用者から選んでください" in _flash(clerk)
    inspector_naming = inspector.post("/certificates/approvals/deputy", {"site_id": str(ids["Site"]),
                                                                         "deputy_id": str(deputy_id)})
    assert inspector_naming.status_code == 403
    named = manager.post("/certificates/approvals/deputy", {"site_id": str(ids["Site"]), "deputy_id": str(deputy_id)},
                         follow_redirects=True)
    assert "承認の代務者を保存しました" in _flash(named)
    assert dbq(lambda s: s.get(Site, ids["Site"]).signoff_deputy_id) == deputy_id

    deputy = _login(app, "a-inspector2")
    assert deputy.post(f"/certificates/approvals/{certificate['id']}/approve").status_code == 302
    approved = _cert(dbq, "DEP10-0000001")
    assert approved["approval_status"] == "approved" and approved["approved_by_id"] == deputy_id
    assert approved["status"] == "linked"
    assert dbq(lambda s: s.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "signoff_deputy"))) == 1


def test_services_refuse_without_a_pending_certificate(app, two_step, db_session):
    ids = two_step
    from app.security.models import KeizokuUser

    manager = db_session.get(KeizokuUser, ids["users"]["manager"])
    tenant = tenant_of(manager)
    draft = filled_draft(db_session, tenant, ids["Site"], ids["users"]["inspector"], "SVC10-0000001")
    certificate = confirmation.confirm(db_session, draft, ids["users"]["inspector"], set(EVERY["confirmed"]),
                                       OPEN_MOMENT)
    assert certificate.approval_status == "pending"
    with pytest.raises(common.CertificateInputError, match="承認待ちの保適証は送信できません"):
        followup.request_resend(db_session, certificate, OPEN_MOMENT)
    signoff.approve(db_session, tenant, certificate.id, manager, OPEN_MOMENT)
    with pytest.raises(common.CertificateInputError, match="承認待ちではありません"):
        signoff.send_back(db_session, tenant, certificate.id, manager, "理由", OPEN_MOMENT)
    assert re.search("承認", signoff.NOT_APPROVER)


def test_the_token_api_needs_the_password_too_and_only_queues_for_approval(app, two_step, dbq, sandbox):
    from tests.api_helpers import ApiClient, issue_token

    ids = two_step
    draft = _draft(dbq, app, ids, "API10-0000001")
    api = ApiClient(app, issue_token(app, "a-inspector")[1])
    refused = api.post(f"/api/v1/certificate-drafts/{draft}/confirm", {"confirmed": EVERY["confirmed"]})
    assert refused.status_code == 422 and "パスワードが正しくありません" in refused.get_json()["error"]["message"]
    done = api.post(f"/api/v1/certificate-drafts/{draft}/confirm", {"confirmed": EVERY["confirmed"],
                                                                    "password": PASSWORD})
    assert done.status_code == 201 and done.get_json()["approval_status"] == "pending"
    assert done.get_json()["status"] == "queued" and _received(sandbox) == 0


def test_a_correction_waits_for_approval_and_a_sent_back_one_stays_pulled_back(app, tenants, dbq, sandbox):
    """At a two-step site the corrected 保適証 (after 引戻し) also waits; sent back, it stays 作成中 at
    AIRAS with its correction draft open again."""
    from app.security.models import KeizokuUser
    from app.services.certificates import corrections
    from tests.test_certificate_corrections import _sent

    ids = tenants.ids["a"]
    dbq(lambda s: (ready_site(s, ids["Site"]), s.commit()))
    certificate_id = _sent(app, tenants, dbq, "CORR10-0000001")  # sent before the site turned it on
    dbq(lambda s: (setattr(s.get(Site, ids["Site"]), "two_step_signoff", True), s.commit()))

    def pull_back_and_confirm(session):
        certificate = session.get(Certificate, certificate_id)
        draft = corrections.pull_back(session, certificate, common.clients_from_config(), OPEN_MOMENT,
                                      ids["users"]["inspector"])
        confirmation.confirm(session, draft, ids["users"]["inspector"], set(EVERY["confirmed"]), OPEN_MOMENT)
        session.commit()
        return draft.id

    draft_id = dbq(pull_back_and_confirm)
    assert _cert(dbq, "CORR10-0000001")["approval_status"] == "pending"
    assert dbq(lambda s: sender.claim(s, certificate_id, OPEN_MOMENT)) is None

    def send_back(session):
        manager = session.get(KeizokuUser, ids["users"]["manager"])
        signoff.send_back(session, tenant_of(manager), certificate_id, manager, "使用者の住所が違います", OPEN_MOMENT)
        session.commit()

    dbq(send_back)
    returned = _cert(dbq, "CORR10-0000001")
    assert returned["status"] == "draft" and returned["approval_status"] == "returned" and returned["airas_id"]
    assert dbq(lambda s: s.get(CertificateDraft, draft_id).certificate_id) is None
    assert dbq(lambda s: corrections.open_correction_draft(s, s.get(Certificate, certificate_id)).id) == draft_id
