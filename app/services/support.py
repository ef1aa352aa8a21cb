"""Use cases of the guide and the support desk: the Q&A, notices and banners, inquiries, and
the application form (web entry, PDF, import into Business/Site rows by the association).

Every function takes the session (and, for shop data, the tenant) explicitly.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import jaconv
from flask import current_app, url_for
from sqlalchemy import select
from wtforms.validators import ValidationError

from app import audit
from app.domain.prices import CERTIFICATE, RECORD
from app.models.support import (
    INQUIRY_CHANNELS,
    INQUIRY_STATUSES,
    INQUIRY_TOPICS,
    ApplicationFormSubmission,
    FaqEntry,
    Inquiry,
    Notice,
)
from app.models.tenancy import Business, Site
from app.public_urls import public_url
from app.services import fees
from app.services.mail import MailError, send_mail
from app.timeutil import JST, now as jst_now, utcnow_naive
from app.views import validators as rules

log = logging.getLogger(__name__)

FAQ_SEED_PATH = Path(__file__).resolve().parent.parent / "domain" / "data" / "faq_seed.json"

audit.ACTION_LABELS.update({
    "inquiry_mailed": "問い合わせメール送信",
    "inquiry_mail_failed": "問い合わせメール送信失敗",
    "application_imported": "オンライン申込の取込",
})


# --- Q&A ----------------------------------------------------------------------------------------

def load_faq_seed(path: Path = FAQ_SEED_PATH) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _fill_names(text: str, names: dict[str, str]) -> str:
    for placeholder, value in names.items():
        text = text.replace(placeholder, value)
    return text


def seed_faq(session, path: Path = FAQ_SEED_PATH) -> tuple[int, int]:
    """Add the guide's entries that are missing (by slug); returns (added, already there).

    Entries already present are left as they are: the association may have edited them.
    ``{service_name}`` in the seed becomes the SERVICE_NAME setting and ``{association_name}``
    the ASSOCIATION_NAME setting (the seed states no usage figures: the service it was written
    for had its own, which would be false for this association).
    """
    seed = load_faq_seed(path)
    present = set(session.scalars(select(FaqEntry.slug).where(FaqEntry.slug.isnot(None))))
    names = {"{service_name}": current_app.config["SERVICE_NAME"],
             "{association_name}": current_app.config["ASSOCIATION_NAME"] or "協会"}
    added = 0
    for entry in seed["entries"]:
        if entry["slug"] in present:
            continue
        title, body = (_fill_names(entry[key], names) for key in ("title", "body"))
        session.add(FaqEntry(slug=entry["slug"], category=entry["category"], title=title,
                             body=body, sort_order=entry["order"], published=True))
        added += 1
    session.flush()
    return added, len(seed["entries"]) - added


def published_faq(session) -> list[tuple[str, list[FaqEntry]]]:
    """Published entries grouped by category, categories in the order of their first entry."""
    entries = session.scalars(
        select(FaqEntry).where(FaqEntry.published.is_(True))
        .order_by(FaqEntry.sort_order, FaqEntry.id)
    ).all()
    groups: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.category, []).append(entry)
    return list(groups.items())


def find_published_faq(session, entry_no: str) -> FaqEntry | None:
    """A published entry by its public number: the slug ("q13") or "faq-<id>"."""
    query = select(FaqEntry).where(FaqEntry.published.is_(True))
    match = re.fullmatch(r"faq-(\d+)", entry_no or "")
    if match:
        query = query.where(FaqEntry.id == int(match.group(1)), FaqEntry.slug.is_(None))
    else:
        query = query.where(FaqEntry.slug == entry_no)
    return session.scalars(query).first()


# Help in context: which guide entry answers the question a wizard or record step raises.
FAQ_TOPICS = {
    "oss": "q1",
    "oss_requirements": "q7",
    "agent": "q5",
    "browser": "q9",
    "os": "q10",
    "qr_reader": "q11",
    "qr_reader_compatibility": "q12",
    "prices": "q13",
    "billing_timing": "q14",
    "billing": "q15",
    "billing_per_site": "q16",
    "certificate_kinds": "q19",
    "hybrid": "q20",
    "compulsory_insurance_new": "q21",
    "oss_request": "q22",
    "weight_tax": "q23",
    "last_application_date": "q24",
    "compulsory_insurance_period": "q25",
    "validity_shortened": "q26",
    "odometer": "q27",
    "issuance_register": "q28",
    "hours": "q29",
    "records_start": "q30",
    "records_add_menu": "q31",
    "records_printer": "q33",
    "records_paper": "q34",
    "records_forms": "q35",
    "tablet": "q36",
    "parts_patterns": "q37",
    "tester": "q38",
    "periodic_record": "q39",
    "shop_copy": "q41",
    "retention": "q42",
}


def faq_link(topic_key: str) -> str:
    """The URL of the public Q&A entry for a wizard or record step (see FAQ_TOPICS)."""
    try:
        slug = FAQ_TOPICS[topic_key]
    except KeyError:
        raise KeyError(f"no FAQ entry for topic {topic_key!r}; add it to FAQ_TOPICS") from None
    return url_for("PublicGuideView.faq_entry", entry_no=slug)


# --- Notices and banners ------------------------------------------------------------------------

def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _showing(moment: datetime):
    at = _utc_naive(moment)
    return (
        Notice.published.is_(True),
        Notice.shown_from <= at,
        (Notice.shown_until.is_(None)) | (Notice.shown_until > at),
    )


def public_notices(session, moment: datetime) -> list[Notice]:
    return session.scalars(
        select(Notice).where(*_showing(moment), Notice.on_public.is_(True))
        .order_by(Notice.shown_from.desc(), Notice.id.desc())
    ).all()


def dashboard_notices(session, moment: datetime) -> list[Notice]:
    """Notices for the shop dashboard (the foundation's dashboard template lists them)."""
    return session.scalars(
        select(Notice).where(*_showing(moment), Notice.on_dashboard.is_(True))
        .order_by(Notice.shown_from.desc(), Notice.id.desc())
    ).all()


def report_outside_system_down(session, system: str, moment: datetime, *,
                               until: datetime | None = None, detail: str = "") -> Notice:
    """An outside system answers with errors or maintenance: show it on every shop page.

    Called by whoever talks to the clients (senders, scheduler jobs). One open notice per
    system: a second report extends it instead of adding another banner.
    """
    from app.integrations.base import SYSTEM_NAMES

    at = _utc_naive(moment)
    notice = session.scalars(
        select(Notice).where(Notice.outside_system == system, *_showing(moment))
    ).first()
    if notice is None:
        name = SYSTEM_NAMES.get(system, system)
        notice = Notice(
            title=f"{name}に接続できません",
            body=detail or "送信は自動で再試行されます。しばらく時間をおいてから状況をご確認ください。",
            kind="maintenance", shown_from=at, published=True, on_dashboard=True,
            on_public=False, outside_system=system,
        )
        session.add(notice)
    notice.shown_until = _utc_naive(until) if until is not None else None
    session.flush()
    return notice


def report_outside_system_up(session, system: str, moment: datetime) -> int:
    """The outside system answers again: end its open notices; returns how many ended."""
    at = _utc_naive(moment)
    open_notices = session.scalars(
        select(Notice).where(Notice.outside_system == system, *_showing(moment))
    ).all()
    for notice in open_notices:
        notice.shown_until = at
    session.flush()
    return len(open_notices)


def notice_date_text(notice: Notice) -> str:
    shown = notice.shown_from.replace(tzinfo=timezone.utc).astimezone(JST)
    return f"{shown.year}年{shown.month}月{shown.day}日"


@dataclass(frozen=True)
class Banner:
    level: str  # "warning" or "danger": the Bootstrap alert class
    text: str


def _hours():
    from app.gates import hours_from_config

    return hours_from_config(current_app.config)


def _next_daily_window(moment: datetime, hours) -> datetime:
    start = datetime.combine(moment.date(), hours.daily_start, moment.tzinfo)
    return start if start > moment else start + timedelta(days=1)


def _clock_text(start: datetime, moment: datetime) -> str:
    # Midnight of the next day reads as "24:00", as the guide and the operating hours say.
    if start.time() == time(0) and start.date() == moment.date() + timedelta(days=1):
        return "24:00"
    return f"{start.hour}:{start.minute:02d}"


def _next_closure_start(moment: datetime, hours) -> date:
    month, day = hours.closure_start
    start = date(moment.year, month, day)
    return start if start >= moment.date() else date(moment.year + 1, month, day)


def active_banners(session, moment: datetime | None = None) -> list[Banner]:
    """Banners for every shop page: the coming maintenance window or year-end closure,
    maintenance notices in force, and outside systems reported down."""
    moment = (moment or jst_now()).astimezone(JST)
    hours = _hours()
    banners = []
    lead = timedelta(minutes=int(current_app.config.get("MAINTENANCE_BANNER_LEAD_MINUTES", 60)))
    window = _next_daily_window(moment, hours)
    if window - moment <= lead:
        minutes = max(1, int((window - moment).total_seconds() // 60))
        end = f"{hours.daily_end.hour}:{hours.daily_end.minute:02d}"
        banners.append(Banner("warning", (
            f"{_clock_text(window, moment)}〜{end} はシステムメンテナンスのため停止します"
            f"(あと約{minutes}分)。入力中の内容は早めに保存してください。")))
    closure_lead = timedelta(days=int(current_app.config.get("CLOSURE_BANNER_LEAD_DAYS", 7)))
    closure = _next_closure_start(moment, hours)
    if closure - moment.date() <= closure_lead:
        end_month, end_day = hours.closure_end
        banners.append(Banner("warning", (
            f"{closure.month}月{closure.day}日〜{end_month}月{end_day}日は年末年始のため"
            "サービスを休止します。")))
    notices = session.scalars(
        select(Notice).where(*_showing(moment), Notice.kind == "maintenance")
        .order_by(Notice.shown_from, Notice.id)
    ).all()
    for notice in notices:
        level = "danger" if notice.outside_system else "warning"
        banners.append(Banner(level, f"{notice.title}: {notice.body}".rstrip(": ")))
    return banners


# --- Inquiries ----------------------------------------------------------------------------------

class InquiryError(ValueError):
    """The inquiry cannot be saved; ``str(exc)`` is a Japanese sentence for the user."""


def prepare_shop_inquiry(inquiry: Inquiry, tenant, user) -> None:
    """Fill what a shop does not choose when it sends an inquiry from inside the app.

    The tenant itself (business, site ownership) is set and checked by TenantModelView.
    """
    inquiry.channel = "app"
    inquiry.status = "open"
    inquiry.created_by_id = user.id
    inquiry.handled_by_id = None
    inquiry.notes = None
    inquiry.follow_up_on = None


def check_inquiry(session, inquiry: Inquiry) -> None:
    """The site must belong to the business; the choices must be known ones."""
    # Before the flush a form has set the relationships, not the foreign keys.
    site = inquiry.site or (session.get(Site, inquiry.site_id) if inquiry.site_id else None)
    business_id = inquiry.business.id if inquiry.business is not None else inquiry.business_id
    if site is None or site.business_id != business_id:
        raise InquiryError("選択した事業者の事業場を選んでください。")
    if inquiry.topic not in INQUIRY_TOPICS or inquiry.channel not in INQUIRY_CHANNELS:
        raise InquiryError("問い合わせの種類と受付方法を一覧から選んでください。")
    if inquiry.status not in INQUIRY_STATUSES:
        raise InquiryError("対応状況を一覧から選んでください。")


def _inquiry_mail_body(inquiry: Inquiry) -> str:
    sender = inquiry.created_by
    lines = [
        f"{current_app.config['SERVICE_NAME']} から問い合わせが届きました。",
        "",
        f"受付番号: {inquiry.id}",
        f"事業者: {inquiry.business.name}",
        f"事業場: {inquiry.site.name}",
        f"送信者: {sender.display_name if sender else ''} ({sender.email if sender else ''})",
        f"種類: {INQUIRY_TOPICS.get(inquiry.topic, inquiry.topic)}",
        f"件名: {inquiry.subject}",
        "",
        inquiry.body or "",
        "",
        f"問い合わせ記録: {public_url('InquiryAdminView.show', pk=inquiry.id)}",
    ]
    return "\n".join(lines)


def mail_inquiry(session, inquiry: Inquiry) -> bool:
    """Mail the inquiry to the association's support address; False if it did not go.

    The inquiry stays in the log either way, so the association sees it even without mail.
    """
    to = current_app.config.get("ASSOCIATION_SUPPORT_EMAIL")
    subject = f"[{current_app.config['SERVICE_NAME']} 問い合わせ {inquiry.id}] {inquiry.subject}"
    try:
        if not to:
            raise MailError("ASSOCIATION_SUPPORT_EMAIL is not set")
        send_mail(to, subject, _inquiry_mail_body(inquiry))
    except MailError as exc:
        log.error("inquiry %s of business %s not mailed: %s", inquiry.id, inquiry.business_id, exc)
        audit.record(session, "inquiry_mail_failed", entity=inquiry, detail=str(exc)[:500])
        return False
    inquiry.mailed_at = utcnow_naive()
    audit.record(session, "inquiry_mailed", entity=inquiry, detail=to)
    return True


def open_follow_ups(session, on_or_before: date | None = None):
    """Inquiries not closed that have a follow-up date, earliest first."""
    query = select(Inquiry).where(Inquiry.status != "closed", Inquiry.follow_up_on.isnot(None))
    if on_or_before is not None:
        query = query.where(Inquiry.follow_up_on <= on_or_before)
    return session.scalars(query.order_by(Inquiry.follow_up_on, Inquiry.id)).all()


# --- The application form -----------------------------------------------------------------------

@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    required: bool = False
    checks: tuple = ()  # validators of app/views/validators.py (form, field) -> None
    choices: tuple = ()  # ((value, label), ...) for a choice
    kind: str = "text"  # text, digits, kana, halfwidth_kana, email, choice, yesno
    help: str = ""
    max_length: int = 200


def _email(form, field):
    value = field.data or ""
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValidationError("メールアドレスの形式を確認してください(例: office@example.jp)。")


ACCOUNT_TYPES = (("1", "普通"), ("2", "当座"))
YES_NO = (("1", "はい"), ("0", "いいえ"))
AIRAS_CHOICES = (("1", "登録済"), ("0", "申込中(未登録)"))
AINAS_CHOICES = (("registered", "登録済"), ("hybrid_only", "ハイブリッド申請のみ(AINAS不要)"))

BUSINESS_FIELDS = (
    FormField("name", "事業者名(法人名・屋号)", True),
    FormField("name_kana", "事業者名フリガナ", True, (rules.katakana,), kind="kana",
              help="全角カタカナ"),
    FormField("corporate_number", "法人番号", False, (rules.corporate_number,), kind="digits",
              help="13桁。個人事業主の方は空欄", max_length=13),
    FormField("postal_code", "郵便番号", True, (rules.postal_code,), kind="digits",
              help="例: 150-0001", max_length=8),
    FormField("address", "所在地", True, max_length=300),
    FormField("phone", "電話番号", True, (rules.phone,), kind="digits", max_length=20),
    FormField("contact_name", "ご担当者名", True, max_length=100),
    FormField("contact_email", "ご担当者メールアドレス", True, (_email,), kind="email",
              help="利用登録通知書をお送りします", max_length=320),
    FormField("bank_code", "金融機関コード", True, (rules.Digits(4, "金融機関コード"),),
              kind="digits", help="4桁", max_length=4),
    FormField("branch_code", "支店コード", True, (rules.Digits(3, "支店コード"),),
              kind="digits", help="3桁", max_length=3),
    FormField("account_type", "預金種目", True, choices=ACCOUNT_TYPES, kind="choice"),
    FormField("account_number", "口座番号", True, (rules.Digits(7, "口座番号"),), kind="digits",
              help="7桁(7桁に満たない場合は先頭に0を補います)", max_length=7),
    FormField("account_holder_kana", "口座名義(カナ)", True, (rules.halfwidth_kana,),
              kind="halfwidth_kana", help="通帳の表記どおり。半角カナに変換して登録します",
              max_length=30),
)


def _records_need_numbers(form, field):
    from app.views.association import records_need_numbers

    records_need_numbers(form, field)


SITE_FIELDS = (
    FormField("name", "事業場名", True),
    FormField("postal_code", "郵便番号", False, (rules.postal_code,), kind="digits",
              max_length=8),
    FormField("address", "所在地", True, max_length=300),
    FormField("phone", "電話番号", False, (rules.phone,), kind="digits", max_length=20),
    FormField("certification_number", "認証番号", True, max_length=20),
    FormField("designation_number", "指定番号", True, max_length=20),
    FormField("district_code", "運輸支局コード", True, (rules.Digits(2, "運輸支局コード"),),
              kind="digits", help="2桁", max_length=2),
    FormField("airas_registered", "保適証サービス(AIRAS)", True, choices=AIRAS_CHOICES,
              kind="choice"),
    FormField("ainas_status", "OSS申請共同利用システム(AINAS)", True, choices=AINAS_CHOICES,
              kind="choice"),
    FormField("records_enabled", "記録簿メニューを利用する", True, (_records_need_numbers,),
              choices=YES_NO, kind="choice"),
    FormField("billed_separately", "この事業場だけで請求を分ける", True, choices=YES_NO,
              kind="choice"),
)
MAX_SITES = 20
BOOLEAN_SITE_KEYS = ("airas_registered", "records_enabled", "billed_separately")


def _normalize(field: FormField, value) -> str:
    text = "" if value is None else str(value)
    if field.kind == "halfwidth_kana":
        from app.reports.zengin import to_zengin_kana

        return to_zengin_kana(text)
    text = unicodedata.normalize("NFKC", text).strip()
    if field.kind == "kana":
        text = jaconv.hira2kata(text)
    if field.kind == "digits" and field.key == "account_number" and re.fullmatch(r"\d{1,6}", text):
        text = text.zfill(7)
    return text


def _check_fields(fields, values: dict, prefix: str, errors: dict) -> dict:
    """Normalized values of one block; messages go to ``errors`` keyed by the input's name."""
    clean = {f.key: _normalize(f, values.get(f.key)) for f in fields}
    form = SimpleNamespace(**{k: SimpleNamespace(data=v) for k, v in clean.items()})
    for field in fields:
        value = clean[field.key]
        name = f"{prefix}{field.key}"
        if not value:
            if field.required:
                errors[name] = f"{field.label}を入力してください。"
            continue
        if field.choices and value not in dict(field.choices):
            errors[name] = f"{field.label}を選択肢から選んでください。"
            continue
        for check in field.checks:
            data = value == "1" if field.key in BOOLEAN_SITE_KEYS else value
            try:
                check(form, SimpleNamespace(data=data))
            except ValidationError as exc:
                errors[name] = str(exc)
                break
        if name not in errors and len(value) > field.max_length:
            errors[name] = f"{field.label}は{field.max_length}文字以内で入力してください。"
    return clean


def _check_bank(business: dict, errors: dict) -> None:
    from app.reports.zengin import default_directory

    if "business-bank_code" in errors or "business-branch_code" in errors:
        return
    directory = default_directory()
    if directory.bank_kana(business["bank_code"]) is None:
        errors["business-bank_code"] = "この金融機関コードは見つかりません。通帳などでご確認ください。"
    elif directory.branch_kana(business["bank_code"], business["branch_code"]) is None:
        errors["business-branch_code"] = "この支店コードは見つかりません。通帳などでご確認ください。"


def site_rows(data: dict) -> list[dict]:
    """The filled-in site blocks (a block with every field empty is not a site)."""
    return [s for s in (data.get("sites") or [])
            if isinstance(s, dict) and any(str(v or "").strip() for k, v in s.items()
                                           if k not in BOOLEAN_SITE_KEYS + ("ainas_status",))]


def validate_application(data: dict) -> tuple[dict, dict]:
    """(normalized data, errors by input name). Errors are Japanese sentences.

    The same rules check the web form and the association's import, so a submission that
    was valid when sent is checked again against the rules in force when it is imported.
    """
    errors: dict[str, str] = {}
    business = _check_fields(BUSINESS_FIELDS, data.get("business") or {}, "business-", errors)
    if business.get("bank_code") and business.get("branch_code"):
        _check_bank(business, errors)
    sites = []
    rows = site_rows(data)
    if not rows:
        errors["sites"] = "事業場を1つ以上入力してください。"
    if len(rows) > MAX_SITES:
        errors["sites"] = f"事業場は{MAX_SITES}か所までです。それ以上は協会にご相談ください。"
    for index, row in enumerate(rows[:MAX_SITES]):
        sites.append(_check_fields(SITE_FIELDS, row, f"sites-{index}-", errors))
    return {"business": business, "sites": sites}, errors


def application_from_form(form) -> dict:
    """The nested data from the web form's flat inputs ("business-name", "sites-0-name")."""
    business = {f.key: form.get(f"business-{f.key}", "") for f in BUSINESS_FIELDS}
    sites = []
    for index in range(MAX_SITES):
        if f"sites-{index}-name" not in form:
            continue
        sites.append({f.key: form.get(f"sites-{index}-{f.key}", "") for f in SITE_FIELDS})
    return {"business": business, "sites": sites}


def _new_reference(session) -> str:
    # Digits only: the reference is read off paper, typed in and said on the phone.
    while True:
        number = f"{secrets.randbelow(10 ** 8):08d}"
        reference = f"{number[:4]}-{number[4:]}"
        taken = session.scalar(select(ApplicationFormSubmission.id)
                               .where(ApplicationFormSubmission.reference == reference))
        if taken is None:
            return reference


def submit_application(session, data: dict) -> ApplicationFormSubmission:
    """Keep validated web form data for the association; the PDF carries its reference."""
    submission = ApplicationFormSubmission(
        reference=_new_reference(session), business_name=data["business"]["name"],
        data=data, status="new",
    )
    session.add(submission)
    session.flush()
    return submission


def _display(field: FormField, value) -> str:
    if field.choices:
        return dict(field.choices).get(value, "")
    return value or ""


def application_pdf_context(data: dict | None = None, reference: str = "") -> dict:
    """What the 申込書 template prints: labels and values, blank when ``data`` is None."""
    from app.domain.wareki import format_wareki
    from app.reports.zengin import default_directory

    cfg = current_app.config
    business = (data or {}).get("business") or {}
    bank_name = branch_name = ""
    if business.get("bank_code"):
        directory = default_directory()
        bank_name = directory.bank_kana(business["bank_code"]) or ""
        branch_name = directory.branch_kana(business["bank_code"],
                                            business.get("branch_code", "")) or ""
    sites = [
        {f.key: _display(f, site.get(f.key)) for f in SITE_FIELDS}
        for site in ((data or {}).get("sites") or [])
    ]
    while len(sites) < 3:
        sites.append({f.key: "" for f in SITE_FIELDS})
    return {
        "filled": data is not None,
        "reference": reference,
        "issued_on": format_wareki(jst_now().date()) if data is not None else "",
        "business": {f.key: _display(f, business.get(f.key)) for f in BUSINESS_FIELDS},
        "labels": {f.key: f.label for f in BUSINESS_FIELDS},
        "site_labels": {f.key: f.label for f in SITE_FIELDS},
        "bank_name": bank_name,
        "branch_name": branch_name,
        "sites": sites,
        "association_name": cfg.get("ASSOCIATION_NAME", ""),
        "association_contact": cfg.get("ASSOCIATION_CONTACT", ""),
        "association_postal_address": cfg.get("ASSOCIATION_POSTAL_ADDRESS", ""),
        # The 預金口座振替依頼書 page names the 収納企業 as the bank knows it.
        "consignor_code": cfg.get("DEBIT_CONSIGNOR_CODE") or "",
        "service_name": cfg.get("SERVICE_NAME", "Keizoku"),
    }


def render_application_pdf(data: dict | None = None, reference: str = "") -> bytes:
    from app.reports.pdf import render_pdf

    return render_pdf("application_form.html", application_pdf_context(data, reference))


class ApplicationImportError(ValueError):
    """The submission cannot become Business/Site rows; ``messages`` say what to fix."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


def import_submission(session, submission: ApplicationFormSubmission, actor) -> Business:
    """Create the business and its sites from a web submission, checked by today's rules."""
    if submission.status != "new":
        raise ApplicationImportError(["このオンライン申込データはすでに処理済みです。"])
    data, errors = validate_application(submission.data or {})
    if errors:
        raise ApplicationImportError(sorted(set(errors.values())))
    values = dict(data["business"])
    values["corporate_number"] = values["corporate_number"] or None
    if values["corporate_number"] and session.scalar(
        select(Business.id).where(Business.corporate_number == values["corporate_number"])
    ):
        raise ApplicationImportError(
            ["この法人番号の事業者はすでに登録されています。事業者一覧から確認してください。"])
    business = Business(**values, active=True)
    session.add(business)
    for row in data["sites"]:
        site = dict(row)
        for key in BOOLEAN_SITE_KEYS:
            site[key] = site[key] == "1"
        for key in ("postal_code", "phone"):
            site[key] = site[key] or None
        session.add(Site(business=business, active=True, **site))
    session.flush()
    submission.status = "imported"
    submission.imported_business_id = business.id
    submission.imported_at = utcnow_naive()
    submission.imported_by_id = actor.id if actor is not None else None
    audit.record(session, "application_imported", entity=submission, business_id=business.id,
                 detail=f"reference {submission.reference}")
    session.flush()
    return business


# --- The public guide ---------------------------------------------------------------------------

def guide_facts(moment: datetime | None = None) -> dict:
    """Facts the guide's top page states, from the data that governs them."""
    moment = (moment or jst_now()).astimezone(JST)
    hours = _hours()
    on = moment.date()
    from app.extensions import db

    prices = fees.price_table(db.session)
    return {
        "certificate_price": prices.unit_price(CERTIFICATE, on).amount_yen,
        "record_price": prices.unit_price(RECORD, on).amount_yen,
        "open_from": f"{hours.daily_end.hour}:{hours.daily_end.minute:02d}",
        "open_until": "24:00" if hours.daily_start == time(0)
        else f"{hours.daily_start.hour}:{hours.daily_start.minute:02d}",
        "closure": (f"{hours.closure_start[0]}月{hours.closure_start[1]}日〜"
                    f"{hours.closure_end[0]}月{hours.closure_end[1]}日"),
        "association_name": current_app.config.get("ASSOCIATION_NAME", ""),
        "association_contact": current_app.config.get("ASSOCIATION_CONTACT", ""),
        "association_postal_address": current_app.config.get("ASSOCIATION_POSTAL_ADDRESS", ""),
    }
