"""Two-step sign-off (shop-workflow.md §2): a per-site choice (``Site.two_step_signoff``).

At such a site the 自動車検査員 confirms with their own password, and the certificate then waits
(``approval_status = "pending"``, nothing due for the sender) until the 事業場管理責任者 or the
代務者 the manager names approves it. The person who confirmed cannot also approve. Either the
confirming inspector or an approver can send it back with a reason: the wizard draft opens again
and nothing was sent. The sender takes only certificates whose ``approval_status`` is None (the
site does not use the second check) or ``approved`` (``sendable``). Every step is audited and
shown in the certificate's timeline.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from werkzeug.security import check_password_hash

from app import audit
from app.models.certificate import Certificate, CertificateDraft
from app.models.tenancy import Site
from app.security.models import KeizokuUser
from app.services.certificates.common import CertificateInputError, utc_naive
from app.services.certificates.events import record_event
from app.tenancy import get_owned_or_404, scope

audit.ACTION_LABELS.update({
    "certificate_approve": "保適証の承認",
    "certificate_send_back": "保適証の差戻し",
    "signoff_deputy": "承認の代務者の指名",
})

APPROVAL_LABELS = {"pending": "承認待ち", "approved": "承認済", "returned": "差戻し"}
APPROVER_ROLE = "site_manager"
DEPUTY_ROLES = ("site_manager", "inspector")

WRONG_PASSWORD = ("パスワードが正しくありません。この事業場では、保適証の確定にご自分のパスワードの入力が"
                  "必要です(二段階の確認)。")
NOT_PENDING = "この保適証は承認待ちではありません。保適証の画面で状態を確認してください。"
SELF_APPROVAL = "確定した本人は承認できません。事業場管理責任者(または代務者)が承認してください。"
NOT_APPROVER = "この保適証を承認できるのは、事業場管理責任者と、指名された代務者だけです。"
NOT_SENDER_BACK = "差戻しできるのは、確定した自動車検査員と、事業場管理責任者(または代務者)だけです。"
NO_REASON = "差し戻す理由を入力してください(確定した検査員に表示されます)。"
REASON_LIMIT = 500


def sendable():
    """The sender's condition: never a certificate waiting for the second check."""
    return or_(Certificate.approval_status.is_(None), Certificate.approval_status != "pending")


def site_requires(session, site_id):
    site = session.get(Site, site_id)
    return bool(site is not None and site.two_step_signoff)


def check_confirmer(session, draft, user, password):
    """Before confirming at a two-step site: the confirming user's own password, again."""
    if not site_requires(session, draft.site_id):
        return
    if not password or not check_password_hash(getattr(user, "password", None) or "", password):
        raise CertificateInputError(WRONG_PASSWORD)


def hold_for_approval(session, certificate, now):
    """Called by ``confirm``: at a two-step site the certificate waits for approval; else None."""
    if not site_requires(session, certificate.site_id):
        certificate.approval_status = None
        return
    certificate.approval_status = "pending"
    certificate.approved_by_id = certificate.approved_at = certificate.returned_reason = None
    certificate.next_attempt_at = None  # nothing for the sender until it is approved
    record_event(session, certificate, now, "keizoku", "await_approval", certificate.status, certificate.status,
                 message="事業場管理責任者の承認待ちです。承認されるまで送信しません。")


def may_approve(session, site, user):
    """The site's 事業場管理責任者 (a site_manager login of that site) or its named 代務者."""
    if user is None or site is None:
        return False
    if site.signoff_deputy_id is not None and site.signoff_deputy_id == user.id:
        return True
    return APPROVER_ROLE in getattr(user, "role_names", ()) and any(s.id == site.id for s in user.sites)


def _pending(session, tenant, certificate_id):
    certificate = get_owned_or_404(session, Certificate, certificate_id, tenant)
    if certificate.approval_status != "pending" or certificate.status not in ("queued",):
        raise CertificateInputError(NOT_PENDING)
    return certificate


def approve(session, tenant, certificate_id, user, now):
    """The second check: the certificate becomes due for the sender at once. The caller commits
    and may then call ``sender.send_now``."""
    certificate = _pending(session, tenant, certificate_id)
    if certificate.certified_by_id == user.id:
        raise CertificateInputError(SELF_APPROVAL)
    if not may_approve(session, session.get(Site, certificate.site_id), user):
        raise CertificateInputError(NOT_APPROVER)
    certificate.approval_status = "approved"
    certificate.approved_by_id = user.id
    certificate.approved_at = utc_naive(now)
    certificate.next_attempt_at = utc_naive(now)
    record_event(session, certificate, now, "keizoku", "approve", certificate.status, certificate.status,
                 message=f"{_name(user)}が承認しました。送信します。")
    audit.record(session, "certificate_approve", entity=certificate,
                 detail=f"{certificate.chassis_number} approved by {user.username}")
    return certificate


def send_back(session, tenant, certificate_id, user, reason, now):
    """Not sent: the certificate is withdrawn (a pulled-back one stays pulled back) and its wizard
    draft opens again for the inspector, with the reason on the certificate's page."""
    certificate = _pending(session, tenant, certificate_id)
    reason = (reason or "").strip()
    if not reason:
        raise CertificateInputError(NO_REASON)
    if len(reason) > REASON_LIMIT:
        raise CertificateInputError(f"差し戻す理由は{REASON_LIMIT}文字以内で入力してください。")
    if certificate.certified_by_id != user.id and not may_approve(
            session, session.get(Site, certificate.site_id), user):
        raise CertificateInputError(NOT_SENDER_BACK)
    before = certificate.status
    draft = session.scalar(select(CertificateDraft).where(
        CertificateDraft.certificate_id == certificate.id, CertificateDraft.site_id == certificate.site_id)
        .order_by(CertificateDraft.id.desc()).limit(1))  # a correction's draft is newer than the first
    pulled_back = bool(certificate.airas_id)  # a correction: the 保適証 stays 作成中 at AIRAS
    certificate.status = "draft" if pulled_back else "deleted"
    certificate.approval_status = "returned"
    certificate.returned_reason = reason
    certificate.next_attempt_at = None
    certificate.advice = (f"差戻しのため送信していません。理由: {reason} "
                          "下書きを直して、もう一度確定してください。")
    oss = certificate.oss_request
    if oss is not None and oss.request_id is None and oss.status == "queued":
        oss.status, oss.next_attempt_at = "withdrawn", None
        oss.reason, oss.advice = "差戻しのため送信していません。", None
    if draft is not None:
        draft.certificate_id = None
        draft.step = "confirm"
    record_event(session, certificate, now, "keizoku", "send_back", before, certificate.status,
                 message=f"{_name(user)}が差し戻しました。理由: {reason}")
    audit.record(session, "certificate_send_back", entity=certificate,
                 detail=f"{certificate.chassis_number} by {user.username}: {reason}")
    return draft


def pending_certificates(session, tenant):
    """The tenant's certificates waiting for the second check, oldest first."""
    return session.scalars(scope(select(Certificate), Certificate, tenant).where(
        Certificate.approval_status == "pending", Certificate.status == "queued").order_by(
        Certificate.created_at, Certificate.id)).all()


def deputy_candidates(session, tenant, site):
    """Active users of the site who may stand in for the manager (managers and inspectors)."""
    users = session.scalars(scope(select(KeizokuUser), KeizokuUser, tenant).where(
        KeizokuUser.active.is_(True)).order_by(KeizokuUser.id)).all()
    return [u for u in users if any(s.id == site.id for s in u.sites) and u.role_names & set(DEPUTY_ROLES)]


def name_deputy(session, tenant, site_id, user, deputy_id):
    """The site's 事業場管理責任者 names (or, with None, clears) the 代務者 who may approve."""
    site = get_owned_or_404(session, Site, site_id, tenant)
    if APPROVER_ROLE not in user.role_names or not any(s.id == site.id for s in user.sites):
        raise CertificateInputError("代務者を指名できるのは、その事業場の事業場管理責任者だけです。")
    deputy = None
    if deputy_id not in (None, ""):
        deputy = next((u for u in deputy_candidates(session, tenant, site) if str(u.id) == str(deputy_id)), None)
        if deputy is None:
            raise CertificateInputError("代務者は、この事業場の事業場管理責任者か自動車検査員の利用者から選んでください。")
    site.signoff_deputy_id = deputy.id if deputy else None
    audit.record(session, "signoff_deputy", entity=site,
                 detail=f"{site.name}: {deputy.username if deputy else '(なし)'} by {user.username}")
    return deputy


def _name(user):
    return getattr(user, "display_name", None) or user.username
