"""An inquiry's thread: the association answers, the shop follows up, each side gets a mail;
the association's memos are kept apart and never reach the shop.

The shop side always goes through ``app.tenancy`` (``shop_thread`` and ``follow_up`` take the
tenant); memos have no tenant scope at all, so no shop query can even name them. Each function
changes the rows and writes the audit (session events, ``__audited__``); the caller commits,
then asks for the mail, so a mail that fails never undoes the message.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from app import audit
from app.models.support import INQUIRY_STATUSES, Inquiry, InquiryMemo, InquiryMessage
from app.public_urls import public_url
from app.services.mail import MailError, send_mail
from app.tenancy import Tenant, get_owned_or_404, tenant_criteria
from app.timeutil import utcnow_naive

log = logging.getLogger(__name__)

MAX_BODY = 10000

audit.ACTION_LABELS.update({
    "inquiry_reply_mailed": "回答メール送信",
    "inquiry_reply_mail_failed": "回答メール送信失敗",
    "inquiry_follow_up_mailed": "追記メール送信",
    "inquiry_follow_up_mail_failed": "追記メール送信失敗",
})


class ThreadError(ValueError):
    """The message cannot be saved; ``str(exc)`` is a Japanese sentence for the user."""


def _body(text: str | None, what: str) -> str:
    body = (text or "").strip()
    if not body:
        raise ThreadError(f"{what}を入力してください。")
    if len(body) > MAX_BODY:
        raise ThreadError(f"{what}は{MAX_BODY:,}文字以内で入力してください。")
    return body


def _message(inquiry: Inquiry, author, body: str, from_association: bool) -> InquiryMessage:
    return InquiryMessage(inquiry=inquiry, business_id=inquiry.business_id,
                          site_id=inquiry.site_id, author_id=author.id,
                          from_association=from_association, body=body)


# --- the association's side ---------------------------------------------------------------------


def reply(session, inquiry: Inquiry, author, text: str) -> InquiryMessage:
    """The association's answer, shown to the shop; an open inquiry becomes 対応中."""
    message = _message(inquiry, author, _body(text, "回答"), True)
    session.add(message)
    if inquiry.status == "open":
        inquiry.status = "in_progress"
    if inquiry.handled_by_id is None:
        inquiry.handled_by_id = author.id
    session.flush()
    return message


def add_memo(session, inquiry: Inquiry, author, text: str) -> InquiryMemo:
    """A staff-only memo: the association sees it, the shop never does."""
    memo = InquiryMemo(inquiry=inquiry, author_id=author.id, body=_body(text, "メモ"))
    session.add(memo)
    session.flush()
    return memo


def shop_address(inquiry: Inquiry) -> str | None:
    """Whom the association's answer is mailed to: the shop user who asked, else the business's
    contact address (an inquiry the association logged from a phone call)."""
    asker = inquiry.created_by
    if asker is not None and not asker.is_association and asker.active and asker.email:
        return asker.email
    return inquiry.business.contact_email or None


def mail_reply(session, message: InquiryMessage) -> bool:
    """Mail the answer to the shop with the link to the thread; False if it did not go."""
    inquiry = message.inquiry
    cfg = current_app.config
    subject = f"[{cfg['SERVICE_NAME']} お問い合わせ {inquiry.id}] 協会からの回答: {inquiry.subject}"
    body = "\n".join([
        f"{inquiry.business.name} {inquiry.site.name} 御中",
        "",
        f"お問い合わせ(受付番号 {inquiry.id}「{inquiry.subject}」)に協会から回答しました。",
        "",
        message.body,
        "",
        f"やり取りの確認・追記はこちら(ログインが必要です): "
        f"{public_url('ShopInquiryView.show', pk=inquiry.id)}",
        "",
        f"{cfg.get('ASSOCIATION_NAME', '')} {cfg.get('ASSOCIATION_CONTACT', '')}".strip(),
    ])
    return _mail(session, message, shop_address(inquiry), subject, body, "inquiry_reply")


# --- the shop's side ------------------------------------------------------------------------------


def shop_thread(session, inquiry_id, tenant: Tenant) -> list[InquiryMessage]:
    """The messages of one inquiry that the tenant may see (none for another tenant's)."""
    try:
        inquiry_id = int(inquiry_id)  # a URL's text
    except (TypeError, ValueError):
        return []
    return session.scalars(select(InquiryMessage).where(
        InquiryMessage.inquiry_id == inquiry_id, tenant_criteria(InquiryMessage, tenant))
        .order_by(InquiryMessage.id)).all()


def follow_up(session, inquiry_id, tenant: Tenant, author, text: str) -> InquiryMessage:
    """The shop adds to its own inquiry; a closed one opens again for the association."""
    inquiry = get_owned_or_404(session, Inquiry, inquiry_id, tenant)
    message = _message(inquiry, author, _body(text, "追記"), False)
    session.add(message)
    if inquiry.status == "closed":
        inquiry.status = "open"
    session.flush()
    return message


def mail_follow_up(session, message: InquiryMessage) -> bool:
    """Tell the association's support desk that the shop wrote again."""
    inquiry = message.inquiry
    cfg = current_app.config
    subject = f"[{cfg['SERVICE_NAME']} 問い合わせ {inquiry.id}] 事業場からの追記: {inquiry.subject}"
    body = "\n".join([
        f"{inquiry.business.name} {inquiry.site.name} から問い合わせに追記がありました"
        f"(対応状況: {INQUIRY_STATUSES.get(inquiry.status, inquiry.status)})。",
        "",
        message.body,
        "",
        f"問い合わせ記録: {public_url('InquiryAdminView.show', pk=inquiry.id)}",
    ])
    return _mail(session, message, cfg.get("ASSOCIATION_SUPPORT_EMAIL"), subject, body,
                 "inquiry_follow_up")


def _mail(session, message: InquiryMessage, to, subject, body, action) -> bool:
    try:
        if not to:
            raise MailError("no address to mail")
        send_mail(to, subject, body)
    except MailError as exc:
        log.error("inquiry %s message %s not mailed: %s", message.inquiry_id, message.id, exc)
        audit.record(session, f"{action}_mail_failed", entity=message.inquiry,
                     detail=str(exc)[:500])
        return False
    message.mailed_at = utcnow_naive()
    audit.record(session, f"{action}_mailed", entity=message.inquiry, detail=to)
    return True
