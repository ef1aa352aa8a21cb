"""Certificate use cases: the wizard's draft, the checks, confirmation, and the sender.

The wizard keeps its state in ``CertificateDraft.data`` (database, tenant-scoped). Each step
validates its whole input before it touches the draft, so a bad input saves nothing. Confirming
creates the ``Certificate`` and its ``OssRequest`` in one transaction with status ``queued``.

The sender (``process_certificate``, ``send_due``) takes a row with a lease, makes its outside
call outside any database transaction, and applies the answer only while it still holds the
lease. Idempotency keys make a repeated call harmless at the far end, the billable event is
unique in the database, so a sender killed at any point and started again changes no count.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import re
import unicodedata
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update

from app import audit
from app.domain import business_days
from app.domain.fees import inspection_fees
from app.domain.renewal import INSURANCE_SHORT_FOR_ALL_DATES, assess_renewal
from app.domain.wareki import format_wareki, parse_wareki
from app.domain.weight_tax import BODIES
from app.domain.weight_tax import weight_tax as local_weight_tax
from app.integrations import (
    AinasClient,
    AirasClient,
    CompulsoryInsuranceNotYetError,
    OutsideClosedError,
    OutsideSystemError,
    WeightTaxInquiryClient,
)
from app.integrations.base import advice_for
from app.models.certificate import Certificate, CertificateDraft, CertificateEvent, OssRequest, Vehicle
from app.models.tenancy import Inspector, Site
from app.services.billable import record_billable_event
from app.timeutil import JST

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "draft": "作成中", "queued": "送信待ち", "sent": "送信済", "linked": "連携済",
    "reported": "報告済", "completed": "申請完", "rejected": "却下", "failed": "エラー",
    "deleted": "削除",
}
OSS_STATUS_LABELS = {
    "queued": "送信待ち", "accepted": "依頼受付", "filing": "申請中", "paid": "納付済",
    "under_review": "審査中", "correction_requested": "補正", "returned": "差戻",
    "rejected": "却下", "withdrawn": "取下げ", "completed": "手続完了", "failed": "エラー",
}
VEHICLE_KIND_LABELS = {"registered": "登録車(普通・小型)", "kei": "軽自動車", "small_motorcycle": "小型二輪"}
# AIRAS's 自動車区分 codes are ours too (docs/integrations.md); only the two-wheeler differs.
AIRAS_VEHICLE_KIND = {"registered": "registered", "kei": "kei", "small_motorcycle": "motorcycle"}
APPLICATION_TYPE_LABELS = {"oss": "OSS申請", "hybrid": "ハイブリッド申請(窓口申請)"}
AIRAS_APPLICATION_TYPE_LABELS = {"oss": "OSS申請", "hybrid": "窓口申請"}
USE_LABELS = {"private": "自家用", "business": "事業用"}
BODY_LABELS = {"passenger": "乗用", "truck": "貨物", "bus": "乗合", "special": "特種"}
ECO_LABELS = {"": "該当なし(経年で判定)", "standard_rate": "エコカー(本則税率)", "exempt": "エコカー(免税)"}
# 申請代理人 (renewal-rules.md §7): 全軽自協 only for kei.
APPLICATION_AGENTS = {"jaspa": "日整連(支部)", "gyoseishoshi": "行政書士", "jada": "自販連",
                      "zenkeijikyo": "全軽自協"}
KEI_ONLY_AGENTS = {"zenkeijikyo"}

# What the sender still has to do for a certificate in each status.
SENDING_STATUSES = ("queued", "sent")
FOLLOWED_STATUSES = ("linked", "reported")
LINKED_STATUSES = ("linked", "reported", "completed")
ACTIVE_STATUSES = SENDING_STATUSES + FOLLOWED_STATUSES
OSS_FINAL = ("completed", "rejected", "withdrawn", "failed")

PREFLIGHT_ITEMS = ("chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector")


class CertificateInputError(ValueError):
    """Input the wizard cannot accept; ``messages`` are Japanese sentences saying what to do."""

    def __init__(self, messages):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


# ---------------------------------------------------------------------------------------------
# Settings and clients


def setting(key, default):
    return current_app.config.get(key, default)


@dataclass
class OutsideClients:
    airas: AirasClient
    ainas: AinasClient
    weight_tax: WeightTaxInquiryClient


def kei_base_url(mlit_base_url):
    """The kei inquiry sits next to MLIT's in the sandbox ({base}/mlit, {base}/kei)."""
    base = mlit_base_url.rstrip("/")
    return base[: -len("/mlit")] + "/kei" if base.endswith("/mlit") else base


def clients_from_config(config=None):
    """New clients (each with its own HTTP session: give every thread its own)."""
    config = config or current_app.config
    timeout = config["OUTSIDE_TIMEOUT_SECONDS"]
    mlit = config["MLIT_BASE_URL"]
    return OutsideClients(
        airas=AirasClient(config["AIRAS_BASE_URL"], timeout=timeout),
        ainas=AinasClient(config["AINAS_BASE_URL"], timeout=timeout),
        weight_tax=WeightTaxInquiryClient(mlit, config.get("MLIT_KEI_BASE_URL", kei_base_url(mlit)),
                                          timeout=timeout),
    )


def utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def as_jst(stored: dt.datetime | None) -> dt.datetime | None:
    return stored.replace(tzinfo=dt.timezone.utc).astimezone(JST) if stored else None


# ---------------------------------------------------------------------------------------------
# Parsing form values (every failure is a Japanese sentence)


def _text(form, name):
    value = form.get(name)
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def parse_date_input(value, label):
    """ISO (2026-11-26, 2026/11/26) or 和暦 (令和8年11月26日, R08.11.26)."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        raise CertificateInputError(f"{label}を入力してください。")
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
        return parse_wareki(text)
    except ValueError:
        raise CertificateInputError(
            f"{label}「{value}」は日付として読めません。2026-11-26 または 令和8年11月26日 の形で"
            "入力してください。") from None


def parse_int_input(value, label, *, required=True, minimum=0):
    text = unicodedata.normalize("NFKC", value or "").replace(",", "").strip()
    if not text:
        if required:
            raise CertificateInputError(f"{label}を入力してください。")
        return None
    if not re.fullmatch(r"\d+", text) or int(text) < minimum:
        raise CertificateInputError(f"{label}は{minimum}以上の半角数字で入力してください(入力値: {value})。")
    return int(text)


def _choice(value, allowed, label):
    if value not in allowed:
        raise CertificateInputError(f"{label}を選んでください。")
    return value


class _Collector:
    """Runs each field's parser and gathers every message, so one submit shows them all."""

    def __init__(self):
        self.messages = []

    def take(self, parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except CertificateInputError as exc:
            self.messages.extend(exc.messages)
            return None

    def check(self, condition, message):
        if not condition:
            self.messages.append(message)

    def raise_if_any(self):
        if self.messages:
            raise CertificateInputError(self.messages)


CHASSIS_RE = re.compile(r"[0-9A-Z][0-9A-Z\-]{1,30}")


def normalise_chassis(value):
    return unicodedata.normalize("NFKC", value or "").strip().upper()


# ---------------------------------------------------------------------------------------------
# Drafts


def start_draft(session, tenant, site_id, user_id):
    if not tenant.owns_site(site_id):
        raise CertificateInputError("事業場を選び直してください。")
    draft = CertificateDraft(business_id=tenant.business_id, site_id=site_id,
                             created_by_id=user_id, step="scan", data={})
    session.add(draft)
    session.flush()
    return draft


def open_drafts(session, query):
    """Unconfirmed drafts of a scoped query, newest first (to resume on any device)."""
    return session.scalars(query.where(CertificateDraft.certificate_id.is_(None))
                           .order_by(CertificateDraft.updated_at.desc()).limit(20)).all()


# Items a correction (引戻し) may not change, per wizard section (outside-systems.md §1.5;
# 交付年月日 is kept from the certificate, so it is not entered at all).
LOCKED_ITEMS = {"vehicle": {"chassis_number": "車台番号", "vehicle_kind": "自動車区分"},
                "inspection": {"inspection_date": "検査年月日", "inspector_id": "自動車検査員"}}


def _check_locked(draft, section, values):
    correction = (draft.data or {}).get("correction")
    if not correction:
        return
    changed = [label for key, label in LOCKED_ITEMS.get(section, {}).items()
               if values.get(key) != correction["locked"].get(key)]
    if changed:
        raise CertificateInputError(
            f"{'・'.join(changed)}は訂正できません。訂正が必要な場合は、この下書きを削除してから保適証を削除し、"
            "新しく作成してください(AIRASの手数料が再度かかります)。")


def _save(draft, section, values, next_step):
    if draft.certificate_id is not None:
        raise CertificateInputError("この下書きはすでに確定しています。保適証の一覧から確認してください。")
    _check_locked(draft, section, values)
    data = dict(draft.data or {})
    data[section] = values
    draft.data = data  # a new dict: JSON columns track assignment, not mutation
    draft.step = next_step


def _qr_module():
    try:
        from app.domain import vehicle_qr
    except ImportError:  # the parser is another feature; manual entry still works without it
        return None
    return vehicle_qr


def _cert_file_module():
    try:
        from app.domain import vehicle_cert_file
    except ImportError:
        return None
    return vehicle_cert_file


def parse_reads(reads, today):
    """The capture field's reads -> ({"ok": True, ...result}) or ({"ok": False, "error": ...})."""
    vehicle_qr = _qr_module()
    if vehicle_qr is None:
        return {"ok": False, "error": {"code": "UNAVAILABLE",
                                       "message": "二次元コードの読み取りは準備中です。手入力で進んでください。"}}
    try:
        result = vehicle_qr.parse_scans(reads, today=today)
    except vehicle_qr.VehicleQRError as exc:
        return {"ok": False, **vehicle_qr.error_to_dict(exc)}
    return {"ok": True, **vehicle_qr.result_to_dict(result)}


def _vehicle_from_qr(parsed):
    fields = parsed["fields"]
    return {
        "vehicle_kind": parsed["vehicle_kind"],
        "chassis_number": fields.get("chassis_number") or "",
        "plate_area": fields.get("plate_area") or "",
        "plate_class": fields.get("plate_class") or "",
        "plate_kana": fields.get("plate_kana") or "",
        "plate_serial": fields.get("plate_serial") or "",
        "model": fields.get("model") or "",
        "first_registration": fields.get("first_registration") or "",
        "expiry_date": fields.get("expiry_date") or "",
        "source": "qr",
        "warnings": [w["message"] for w in parsed.get("warnings", [])],
    }


def save_scan(session, draft, reads, today, cert_file=None):
    """Parse the reads (and the 閲覧アプリ file, if given) into the draft's vehicle section."""
    parsed = parse_reads(reads, today)
    if not parsed["ok"]:
        raise CertificateInputError(parsed["error"]["message"])
    vehicle = _vehicle_from_qr(parsed)
    if cert_file:
        vehicle.update(_from_cert_file(cert_file, vehicle["chassis_number"]))
    _save(draft, "vehicle", vehicle, "vehicle")
    return vehicle


def _from_cert_file(data, scanned_chassis):
    module = _cert_file_module()
    if module is None:
        raise CertificateInputError("車検証情報ファイルの読み込みは準備中です。有効期間と使用者は手入力してください。")
    try:
        result = module.parse_cert_file(data, scanned_chassis_number=scanned_chassis or None)
    except module.VehicleCertFileError as exc:
        raise CertificateInputError(exc.message) from None
    fields = result.fields
    extra = {key: fields.get(key) for key in ("expiry_date", "odometer_km") if fields.get(key)}
    name = fields.get("user_name") or fields.get("owner_name")
    address = fields.get("user_address") or fields.get("owner_address")
    if name:
        extra["owner_name"] = name
    if address:
        extra["owner_address"] = address
    extra["cert_file_warnings"] = [w.message for w in result.warnings]
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in extra.items()}


def save_vehicle(session, draft, form):
    c = _Collector()
    chassis = normalise_chassis(form.get("chassis_number"))
    c.check(bool(chassis), "車台番号を入力してください。")
    c.check(not chassis or CHASSIS_RE.fullmatch(chassis) is not None,
            f"車台番号「{chassis}」に使えない文字があります。車検証のとおり、ハイフンも含めて半角英数字で入力してください。")
    kind = c.take(_choice, form.get("vehicle_kind"), VEHICLE_KIND_LABELS, "自動車の区分")
    expiry = c.take(parse_date_input, form.get("expiry_date"), "現在の有効期間の満了日")
    first_registration = _text(form, "first_registration")
    c.check(not first_registration or re.fullmatch(r"\d{4}-\d{2}", first_registration) is not None,
            "初度登録年月は 2019-04 の形で入力してください。")
    owner_name, owner_address = _text(form, "owner_name"), _text(form, "owner_address")
    c.check(bool(owner_name), "使用者の氏名または名称を入力してください。")
    c.check(bool(owner_address), "使用者の住所を入力してください。")
    c.raise_if_any()
    previous = dict((draft.data or {}).get("vehicle") or {})
    values = {
        **previous,
        "vehicle_kind": kind, "chassis_number": chassis,
        "plate_area": _text(form, "plate_area"), "plate_class": form.get("plate_class", "").strip(),
        "plate_kana": _text(form, "plate_kana"), "plate_serial": form.get("plate_serial", "").strip(),
        "model": _text(form, "model"), "first_registration": first_registration,
        "expiry_date": expiry.isoformat(), "owner_name": owner_name, "owner_address": owner_address,
        "source": previous.get("source", "manual"),
    }
    _save(draft, "vehicle", values, "inspection")
    return values


def matched_vehicle(session, business_id, chassis_number):
    """The business's earlier record of this vehicle, by 車台番号 (any of its sites)."""
    if not chassis_number:
        return None
    return session.scalar(select(Vehicle).where(Vehicle.business_id == business_id,
                                                Vehicle.chassis_number == chassis_number))


def site_inspectors(session, draft):
    return session.scalars(select(Inspector).where(
        Inspector.business_id == draft.business_id, Inspector.site_id == draft.site_id,
        Inspector.active.is_(True)).order_by(Inspector.id)).all()


def save_inspection(session, draft, form, today):
    vehicle = (draft.data or {}).get("vehicle")
    if not vehicle:
        raise CertificateInputError("先に車両の確認を済ませてください。")
    c = _Collector()
    inspection_date = c.take(parse_date_input, form.get("inspection_date"), "検査年月日")
    application_raw = form.get("application_date") or ""
    application_date = (c.take(parse_date_input, application_raw, "申請予定日")
                        if application_raw.strip() else inspection_date)
    if inspection_date:
        c.check(inspection_date <= today, "検査年月日が未来の日付です。検査をした日を入力してください。")
        c.check(inspection_date >= today - dt.timedelta(days=14),
                "検査年月日から15日を過ぎた保適証は交付できません。検査をやり直してください。")
    if inspection_date and application_date:
        c.check(inspection_date <= application_date <= inspection_date + dt.timedelta(days=14),
                "申請予定日は検査年月日から14日後までの日付にしてください(保適証の有効期間は15日です)。")
    inspector_id = c.take(parse_int_input, form.get("inspector_id"), "自動車検査員", minimum=1)
    if inspector_id is not None:
        c.check(inspector_id in {i.id for i in site_inspectors(session, draft)},
                "自動車検査員をこの事業場の一覧から選んでください。")
    odometer = c.take(parse_int_input, form.get("odometer_km"), "走行距離計表示値")
    years = c.take(parse_int_input, form.get("validity_years"), "有効期間(年)", minimum=1)
    c.check(years in (None, 1, 2), "有効期間は1年または2年を選んでください。")
    use = c.take(_choice, form.get("use"), USE_LABELS, "用途(自家用・事業用)")
    body = c.take(_choice, form.get("body"), BODIES, "車体の区分")
    eco = c.take(_choice, form.get("eco", ""), ECO_LABELS, "エコカー減税の区分")
    vehicle_weight = c.take(parse_int_input, form.get("vehicle_weight_kg"), "車両重量(kg)", required=False, minimum=1)
    gross_weight = c.take(parse_int_input, form.get("gross_weight_kg"), "車両総重量(kg)", required=False, minimum=1)
    application_type = c.take(_choice, form.get("application_type"), APPLICATION_TYPE_LABELS, "申請方法")
    agent = form.get("application_agent") or ""
    consent = form.get("consent") in ("y", "on", "1", "true", True)
    site = session.get(Site, draft.site_id)
    if application_type == "oss":
        c.check(vehicle["vehicle_kind"] != "small_motorcycle",
                "二輪車は継続検査OSSの対象外です。ハイブリッド申請(窓口申請)を選んでください。")
        c.check(site.ainas_status == "registered",
                "この事業場はOSS申請(AINAS)を利用できません。ハイブリッド申請(窓口申請)を選んでください。")
        c.check(agent in APPLICATION_AGENTS, "OSS申請では申請代理人を選んでください。")
        c.check(agent not in KEI_ONLY_AGENTS or vehicle["vehicle_kind"] == "kei",
                "全軽自協は軽自動車の申請代理人です。別の申請代理人を選んでください。")
        c.check(consent, "OSS申請には使用者の承諾書が必要です。承諾書を受け取ってから「承諾書を取得済み」にしてください。")
    c.raise_if_any()
    values = {
        "inspection_date": inspection_date.isoformat(), "application_date": application_date.isoformat(),
        "inspector_id": inspector_id, "odometer_km": odometer, "validity_years": years, "use": use,
        "body": body, "eco": eco, "vehicle_weight_kg": vehicle_weight, "gross_weight_kg": gross_weight,
        "application_type": application_type, "application_agent": agent if application_type == "oss" else "",
        "consent": consent,
    }
    _save(draft, "inspection", values, "insurance")
    return values


INSURANCE_NUMBER_NOISE = re.compile(r"[-‐－ー―\s]")


def _policy(form, index, label):
    prefix = f"policy{index}_"
    number = INSURANCE_NUMBER_NOISE.sub("", _text(form, prefix + "certificate_number")).upper()
    c = _Collector()
    c.check(bool(number), f"{label}の証明書番号を入力してください。")
    c.check(not number or re.fullmatch(r"[0-9A-Z]{4,20}", number) is not None,
            f"{label}の証明書番号は英数字で入力してください(ハイフンとスペースは自動で取り除きます)。")
    insurer = _text(form, prefix + "insurer_name")
    c.check(bool(insurer), f"{label}の保険会社名を入力してください。")
    start = c.take(parse_date_input, form.get(prefix + "start_date"), f"{label}の保険期間の始期")
    end = c.take(parse_date_input, form.get(prefix + "end_date"), f"{label}の保険期間の終期")
    if start and end:
        c.check(start < end, f"{label}の終期が始期より前になっています。保険期間を確認してください。")
    c.raise_if_any()
    return {"certificate_number": number, "insurer_name": insurer, "start_date": start.isoformat(),
            "end_date": end.isoformat(), "electronic": form.get(prefix + "electronic") in ("y", "on", "1")}


def save_insurance(session, draft, form):
    inspection = (draft.data or {}).get("inspection")
    if not inspection:
        raise CertificateInputError("先に検査の内容を入力してください。")
    c = _Collector()
    policies = [c.take(_policy, form, 1, "自賠責(1枚目)")]
    if any(_text(form, f"policy2_{name}") for name in ("certificate_number", "insurer_name", "start_date")):
        policies.append(c.take(_policy, form, 2, "自賠責(2枚目)"))
    c.raise_if_any()
    policies.sort(key=lambda p: p["start_date"])
    if len(policies) == 2:
        c.check(policies[1]["start_date"] <= policies[0]["end_date"],
                "2枚の自賠責の間に空白期間があります。続けて契約した自賠責の保険期間を確認してください。")
        c.check(policies[0]["certificate_number"] != policies[1]["certificate_number"],
                "2枚の自賠責に同じ証明書番号が入力されています。")
    if inspection["application_type"] == "oss":
        c.check(all(p["electronic"] for p in policies),
                "OSS申請では電子自賠責が必要です。電子自賠責にするか、申請方法をハイブリッド申請(窓口申請)に戻してください。")
    c.raise_if_any()
    values = {"policies": policies}
    _save(draft, "insurance", values, "checks")
    return values


# ---------------------------------------------------------------------------------------------
# Checks: dates (assess_renewal), weight tax both ways, fees


def _d(text):
    return dt.date.fromisoformat(text) if text else None


def _first_registration(vehicle):
    text = vehicle.get("first_registration") or ""
    return dt.date.fromisoformat(text + "-01") if re.fullmatch(r"\d{4}-\d{2}", text) else None


def assess(session, draft):
    """The dates and warnings of renewal-rules.md §8 for the draft, in plain Japanese."""
    data = draft.data or {}
    vehicle, inspection, insurance = data.get("vehicle"), data.get("inspection"), data.get("insurance")
    if not (vehicle and inspection and insurance):
        raise CertificateInputError("車両・検査・自賠責の入力を先に済ませてください。")
    if not vehicle.get("expiry_date"):
        # Electronic 車検証 codes carry no expiry (999999): it must come from the 閲覧アプリ
        # file or be typed on the vehicle step before the dates can be checked.
        raise CertificateInputError(
            "有効期間の満了する日が未入力です。車両の確認画面で入力するか、車検証閲覧アプリの"
            "ファイルを読み込んでください。")
    policies = insurance["policies"]
    previous = matched_vehicle(session, draft.business_id, vehicle["chassis_number"])
    previous_km = _previous_odometer(session, draft, previous)
    try:
        result = assess_renewal(
            current_expiry=_d(vehicle["expiry_date"]),
            inspection_date=_d(inspection["inspection_date"]),
            application_date=_d(inspection["application_date"]),
            validity_years=inspection["validity_years"],
            insurance_end=_d(policies[-1]["end_date"]),
            current_insurance_end=_d(policies[0]["end_date"]),
            vehicle_kind=vehicle["vehicle_kind"],
            odometer_km=inspection["odometer_km"],
            previous_odometer_km=previous_km,
        )
    except ValueError as exc:
        raise CertificateInputError(str(exc)) from None
    warnings = [{"code": w.code, "message": w.message} for w in result.warnings]
    last = result.last_application_date
    if last and business_days.is_weekend_or_holiday(last):
        warnings.append({"code": "LAST_DAY_IS_HOLIDAY", "message": (
            f"最終検査申請日({format_wareki(last)})は土日・祝日です。運輸支局の審査は平日だけなので、"
            "その前の平日までに申請してください。")})
    return {
        "certificate_valid_until": result.certificate_valid_until.isoformat(),
        "window_start": result.window_start.isoformat(),
        "new_expiry_date": result.new_expiry_date.isoformat(),
        "last_application_date": last.isoformat() if last else None,
        "last_application_date_differs": result.last_application_date_is_insurance_end is False,
        "insurance_end": policies[-1]["end_date"],
        "previous_odometer_km": previous_km,
        "warnings": warnings,
        "blocked": any(w["code"] == INSURANCE_SHORT_FOR_ALL_DATES for w in warnings),
    }


def weight_tax_comparison(draft, inquiry_client, on_date):
    """Our table computation beside the inquiry service's answer, with a difference flag."""
    data = draft.data
    vehicle, inspection = data["vehicle"], data["inspection"]
    local = {"amount_yen": None, "note": ""}
    try:
        computed = local_weight_tax(
            vehicle_kind=vehicle["vehicle_kind"], use=inspection["use"], body=inspection["body"],
            vehicle_weight_kg=inspection["vehicle_weight_kg"], gross_weight_kg=inspection["gross_weight_kg"],
            years=inspection["validity_years"], first_registration=_first_registration(vehicle),
            application_date=_d(inspection["application_date"]),
            inspection_date=_d(inspection["inspection_date"]), eco=inspection["eco"] or None)
        local = {"amount_yen": computed.amount_yen, "note": computed.note,
                 "warnings": [w.message for w in computed.warnings]}
    except ValueError as exc:
        local["note"] = str(exc)
    inquiry = {"amount_yen": None, "note": "", "available": False}
    if vehicle["vehicle_kind"] in ("registered", "kei") and inquiry_client is not None:
        try:
            answer = inquiry_client.lookup(vehicle["chassis_number"], vehicle["vehicle_kind"], on_date)
            inquiry = {"amount_yen": answer["amount_yen"], "available": True,
                       "note": answer["message"] or ("照会サービスの税額です。" if answer["found"] else "")}
        except OutsideSystemError as exc:
            inquiry["note"] = exc.message
    amounts = [a for a in (inquiry["amount_yen"], local["amount_yen"]) if a is not None]
    differs = inquiry["amount_yen"] is not None and local["amount_yen"] is not None \
        and inquiry["amount_yen"] != local["amount_yen"]
    return {"local": local, "inquiry": inquiry, "differs": differs,
            "recommended_yen": amounts[0] if amounts else None}


def fee_for(draft):
    inspection, vehicle = draft.data["inspection"], draft.data["vehicle"]
    fees = inspection_fees(vehicle_kind=vehicle["vehicle_kind"], application_type=inspection["application_type"],
                           on_date=_d(inspection["application_date"]))
    return {"amount_yen": fees.total_yen, "note": fees.note}


def save_checks(session, draft, form):
    """Accept the checks page: not blocked, amounts given, a tax difference acknowledged."""
    assessment = assess(session, draft)
    if assessment["blocked"]:
        raise CertificateInputError("自賠責が新しい有効期間を覆わないため、保適証を交付できません。"
                                    "自賠責を追加で契約し、自賠責の入力をやり直してください。")
    c = _Collector()
    tax = c.take(parse_int_input, form.get("weight_tax_yen"), "納付する自動車重量税額")
    fee = c.take(parse_int_input, form.get("inspection_fee_yen"), "検査手数料")
    differs = form.get("weight_tax_differs") == "1"
    c.check(not differs or form.get("weight_tax_difference_checked") in ("y", "on", "1"),
            "照会サービスの税額と計算した税額が違います。どちらが正しいか確かめてから「税額の違いを確認した」にチェックしてください。")
    c.raise_if_any()
    values = {"weight_tax_yen": tax, "inspection_fee_yen": fee, "weight_tax_differs": differs,
              "weight_tax_local_yen": parse_int_input(form.get("weight_tax_local_yen"), "", required=False),
              "weight_tax_inquiry_yen": parse_int_input(form.get("weight_tax_inquiry_yen"), "", required=False),
              "assessment": assessment}
    _save(draft, "checks", values, "confirm")
    return values


# ---------------------------------------------------------------------------------------------
# Pre-flight and confirmation


def preflight(session, draft, today):
    """The items that cannot be corrected at AIRAS, as they will be sent (renewal-rules.md §1.2)."""
    data = draft.data or {}
    if not all(data.get(k) for k in ("vehicle", "inspection", "insurance", "checks")):
        raise CertificateInputError("入力が済んでいない手順があります。最初の手順から順に進めてください。")
    vehicle, inspection = data["vehicle"], data["inspection"]
    inspector = session.get(Inspector, inspection["inspector_id"])
    today = issue_date_of(draft, today)
    return [
        {"key": "chassis_number", "label": "車台番号(ハイフンを含めて車検証のとおりか)",
         "value": vehicle["chassis_number"]},
        {"key": "vehicle_kind", "label": "自動車区分", "value": VEHICLE_KIND_LABELS[vehicle["vehicle_kind"]]},
        {"key": "issue_date", "label": "交付年月日", "value": format_wareki(today)},
        {"key": "inspection_date", "label": "検査年月日",
         "value": format_wareki(_d(inspection["inspection_date"]))},
        {"key": "inspector", "label": "自動車検査員",
         "value": f"{inspector.name}(検査員コード {inspector.inspector_code})" if inspector else "(未選択)"},
    ]


def _previous_odometer(session, draft, vehicle):
    """The odometer at the vehicle's previous inspection. For a correction, the vehicle's last
    reading is the corrected certificate's own: take the inspection before it instead."""
    if vehicle is None:
        return None
    correction = (draft.data or {}).get("correction")
    if not correction:
        return vehicle.last_odometer_km
    return session.scalar(select(Certificate.odometer_km).where(
        Certificate.vehicle_id == vehicle.id, Certificate.id != correction["certificate_id"],
        Certificate.status != "deleted").order_by(Certificate.inspection_date.desc(), Certificate.id.desc())
        .limit(1))


def issue_date_of(draft, today):
    """交付年月日: today, or for a correction the certificate's own (it cannot be corrected)."""
    correction = (draft.data or {}).get("correction")
    return _d(correction["issue_date"]) if correction else today


def _registration(vehicle):
    parts = {k: vehicle.get(k) or "" for k in ("plate_area", "plate_class", "plate_kana", "plate_serial")}
    return parts if any(parts.values()) else None


def _plate_text(vehicle):
    parts = _registration(vehicle)
    return " ".join(v for v in parts.values() if v.strip()) if parts else None


def _site_problems(site, application_type):
    problems = []
    if not site.airas_shop_code:
        problems.append("事業場の運輸支局コードと指定番号が登録されていません。協会に登録を依頼してください。")
    if not site.airas_registered:
        problems.append("この事業場は保適証サービス(AIRAS)の利用登録が済んでいません。協会に確認してください。")
    if application_type == "oss" and site.ainas_status != "registered":
        problems.append("この事業場はOSS申請(AINAS)を利用できません。申請方法をハイブリッド申請にしてください。")
    return problems


def airas_payload(draft, site, inspector, today, assessment):
    vehicle, inspection = draft.data["vehicle"], draft.data["inspection"]
    return {
        # A hybrid application is always 窓口申請 at AIRAS (renewal-rules.md §1.3).
        "application_type": inspection["application_type"],
        "site_code": site.airas_shop_code,
        "inspector_code": inspector.inspector_code,
        "vehicle_kind": AIRAS_VEHICLE_KIND[vehicle["vehicle_kind"]],
        "registration_number": _registration(vehicle),
        "chassis_number": vehicle["chassis_number"],
        "inspection_date": inspection["inspection_date"],
        "issue_date": today.isoformat(),
        "odometer_km": inspection["odometer_km"],
        "compulsory_insurance": draft.data["insurance"]["policies"],
        "user_of_vehicle": {"name": vehicle["owner_name"], "address": vehicle["owner_address"]},
        "new_expiry_date": assessment["new_expiry_date"],
        "certificate_valid_until": assessment["certificate_valid_until"],
        "last_application_date": assessment["last_application_date"],
    }


def oss_payload(draft, site):
    vehicle, inspection, checks = draft.data["vehicle"], draft.data["inspection"], draft.data["checks"]
    basis = {"standard_rate": "eco", "exempt": "eco"}.get(inspection["eco"] or "", "standard")
    return {
        "site_code": site.airas_shop_code,
        "application_agent": APPLICATION_AGENTS[inspection["application_agent"]],
        "vehicle_kind": AIRAS_VEHICLE_KIND[vehicle["vehicle_kind"]],
        "chassis_number": vehicle["chassis_number"],
        "registration_number": _registration(vehicle),
        "user_of_vehicle": {"name": vehicle["owner_name"], "address": vehicle["owner_address"]},
        "consent_obtained": bool(inspection["consent"]),
        "validity_years": inspection["validity_years"],
        "odometer_km": inspection["odometer_km"],
        "weight_tax_yen": checks["weight_tax_yen"],
        "inspection_fee_yen": checks["inspection_fee_yen"],
        "weight_tax_basis": basis,
        "certificate_update_by": "requester",
    }


def confirm(session, draft, user_id, acknowledged, now):
    """Certify: the Certificate (queued) and its OssRequest, in the caller's one transaction."""
    today = now.astimezone(JST).date()
    items = preflight(session, draft, today)
    missing = [item["label"] for item in items if item["key"] not in acknowledged]
    if missing:
        raise CertificateInputError(
            "訂正できない項目の確認が済んでいません: " + "、".join(missing) + "。車検証と照らし合わせてチェックしてください。")
    if draft.certificate_id is not None:
        raise CertificateInputError("この下書きはすでに確定しています。保適証の一覧から確認してください。")
    data = draft.data
    vehicle, inspection, checks = data["vehicle"], data["inspection"], data["checks"]
    site = session.get(Site, draft.site_id)
    problems = _site_problems(site, inspection["application_type"])
    if _d(inspection["inspection_date"]) < today - dt.timedelta(days=14):
        problems.append("検査年月日から15日を過ぎたため、この保適証は交付できません。検査をやり直してください。")
    inspector = session.get(Inspector, inspection["inspector_id"])
    if inspector is None or inspector.site_id != draft.site_id or not inspector.active:
        problems.append("自動車検査員が見つかりません。検査の手順で選び直してください。")
    assessment = assess(session, draft)  # again: the draft may be days old, the rules are dated
    if assessment["blocked"]:
        problems.append("自賠責が新しい有効期間を覆わないため、保適証を交付できません。")
    live = session.scalar(select(Certificate.id).where(
        Certificate.business_id == draft.business_id, Certificate.chassis_number == vehicle["chassis_number"],
        Certificate.status.in_(ACTIVE_STATUSES),
        Certificate.certificate_valid_until >= today))
    if live is not None:
        problems.append("この車台番号の保適証はすでに有効なものがあります。保適証の一覧で確認してください"
                        "(作り直す場合はAIRASで古い保適証を削除してからにします)。")
    if problems:
        raise CertificateInputError(problems)

    known = matched_vehicle(session, draft.business_id, vehicle["chassis_number"])
    if known is None:
        known = Vehicle(business_id=draft.business_id, site_id=draft.site_id,
                        chassis_number=vehicle["chassis_number"], vehicle_kind=vehicle["vehicle_kind"])
        session.add(known)
    known.vehicle_kind = vehicle["vehicle_kind"]
    known.registration_number = _plate_text(vehicle)
    known.model = vehicle.get("model") or None
    known.first_registration = vehicle.get("first_registration") or None
    known.last_odometer_km = inspection["odometer_km"]
    known.last_inspection_date = _d(inspection["inspection_date"])
    session.flush()

    issue_date = issue_date_of(draft, today)
    fields = dict(
        vehicle_id=known.id, inspector_id=inspector.id, certified_by_id=user_id,
        application_type=inspection["application_type"], vehicle_kind=vehicle["vehicle_kind"],
        chassis_number=vehicle["chassis_number"], registration_number=_plate_text(vehicle),
        model=vehicle.get("model") or None, inspection_date=_d(inspection["inspection_date"]),
        issue_date=issue_date, odometer_km=inspection["odometer_km"],
        validity_years=inspection["validity_years"],
        new_expiry_date=_d(assessment["new_expiry_date"]),
        certificate_valid_until=_d(assessment["certificate_valid_until"]),
        last_application_date=_d(assessment["last_application_date"]),
        weight_tax_yen=checks["weight_tax_yen"], inspection_fee_yen=checks["inspection_fee_yen"],
        details={"vehicle": vehicle, "inspection": inspection, "insurance": data["insurance"],
                 "checks": {**checks, "assessment": assessment}},
        payload=airas_payload(draft, site, inspector, issue_date, assessment),
    )
    correction = data.get("correction")
    if correction:
        from app.services.certificate_corrections import apply_correction  # it builds on this module

        certificate = apply_correction(session, draft, correction, fields, site, now)
    else:
        certificate = Certificate(business_id=draft.business_id, site_id=draft.site_id, status="queued",
                                  idempotency_key=str(uuid.uuid4()), attempts=0,
                                  next_attempt_at=utc_naive(now), **fields)
        session.add(certificate)
        session.flush()
    if inspection["application_type"] == "oss" and not correction:
        session.add(OssRequest(business_id=draft.business_id, site_id=draft.site_id,
                               certificate_id=certificate.id, status="queued",
                               payload=oss_payload(draft, site), idempotency_key=str(uuid.uuid4()),
                               attempts=0, next_attempt_at=utc_naive(now)))
    # Two devices confirming the same draft: only the first one's update matches.
    claimed = session.execute(update(CertificateDraft).where(
        CertificateDraft.id == draft.id, CertificateDraft.certificate_id.is_(None)).values(
        certificate_id=certificate.id, step="done"))
    if claimed.rowcount != 1:
        raise CertificateInputError("この下書きは別の端末ですでに確定されました。保適証の一覧から確認してください。")
    if correction:
        _event(session, certificate, now, "keizoku", "correct", "draft", "queued",
               message=f"訂正を確定しました(交付番号 {certificate.issue_number or '―'})。AIRASへの送信待ちです。")
        audit.record(session, "certificate_correct", entity=certificate,
                     detail=f"{certificate.chassis_number} {certificate.application_type} "
                            f"{certificate.idempotency_key}")
        return certificate
    _event(session, certificate, now, "keizoku", "confirm", None, "queued",
           message="保適証を確定しました。送信待ちです。")
    audit.record(session, "certificate_confirm", entity=certificate,
                 detail=f"{certificate.chassis_number} {certificate.application_type}")
    return certificate


# ---------------------------------------------------------------------------------------------
# The sender


def _event(session, certificate, now, system, action, before, after, *, code=None, message=None,
           attempt=None, success=True):
    session.add(CertificateEvent(
        business_id=certificate.business_id, site_id=certificate.site_id, certificate_id=certificate.id,
        occurred_at=utc_naive(now), system=system, action=action, status_before=before,
        status_after=after, code=code, message=message, attempt=attempt, success=success))


def backoff_seconds(attempts, retry_after=None):
    """Exponential backoff from the configured base, never sooner than the far end asked."""
    base = float(setting("CERTIFICATE_RETRY_BASE_SECONDS", 30))
    cap = float(setting("CERTIFICATE_RETRY_MAX_SECONDS", 1800))
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    if setting("CERTIFICATE_HONOUR_RETRY_AFTER", True) and retry_after:
        delay = max(delay, float(retry_after))
    return delay * (1 + random.random() * 0.1)  # spread a crowd of retries


def _claim(session, certificate_id, now, *, statuses=ACTIVE_STATUSES, due_only=True):
    """Take the row for this sender (or a shop command), or None when it is not due, not in one of
    ``statuses``, or another sender has it."""
    token = uuid.uuid4().hex
    moment = utc_naive(now)
    lease = dt.timedelta(seconds=float(setting("CERTIFICATE_LEASE_SECONDS", 120)))
    due = (Certificate.next_attempt_at <= moment,) if due_only else ()
    result = session.execute(update(Certificate).where(
        Certificate.id == certificate_id, *due, Certificate.status.in_(statuses),
        or_(Certificate.lease_until.is_(None), Certificate.lease_until < moment),
    ).values(lease_until=moment + lease, lease_token=token).execution_options(synchronize_session=False))
    session.commit()
    return token if result.rowcount == 1 else None


def _still_ours(session, certificate_id, token):
    certificate = session.get(Certificate, certificate_id, populate_existing=True)
    if certificate is None or certificate.lease_token != token:
        log.warning("certificate %s: lease lost, answer not applied", certificate_id)
        return None
    return certificate


def _set_status(session, certificate, status, now, system, action, **event):
    before = certificate.status
    certificate.status = status
    _event(session, certificate, now, system, action, before, status, **event)


def _mark_linked(session, certificate, now):
    """The billable moment (連携済): one event per certificate, enforced by the database."""
    if certificate.linked_at is None:
        certificate.linked_at = utc_naive(now)
    record_billable_event(session, kind="certificate", object_id=certificate.id,
                          business_id=certificate.business_id, site_id=certificate.site_id,
                          occurred_at=certificate.linked_at)


def _apply_airas_result(session, certificate, result, now, action):
    certificate.airas_id = result["airas_id"]
    certificate.issue_number = result.get("issue_number") or certificate.issue_number
    certificate.airas_status = result["airas_status"]
    certificate.report_status = result.get("report_status")
    if certificate.sent_at is None:
        certificate.sent_at = utc_naive(now)
    status = result["status"]
    if status == "rejected":
        certificate.reason_code, certificate.reason = result["reason_code"], result["reason"]
        certificate.advice = result["advice"]
    else:
        certificate.reason_code = certificate.reason = certificate.advice = None
    certificate.first_insurance_error_at = None
    if result["linked"]:
        _mark_linked(session, certificate, now)
    if action == "resubmit":
        certificate.details = {**certificate.details, "correction": {**certificate.details["correction"],
                                                                     "pending": False}}
    if status != certificate.status or action in ("submit", "resubmit"):
        _set_status(session, certificate, status, now, "airas", action, code=result.get("reason_code"),
                    message=_airas_message(result), attempt=certificate.attempts)


def _airas_message(result):
    text = f"AIRAS: {result['airas_status']}"
    if result.get("issue_number"):
        text += f"(交付番号 {result['issue_number']})"
    if result.get("reason"):
        text += f" {result['reason']} {result.get('advice') or ''}"
    return text


def _on_error(session, record, certificate, exc, now, system, action):
    """A failed outside call: wait and retry, or stop with the reason and what to do."""
    if record is certificate and certificate.status in FOLLOWED_STATUSES:
        # Reading back a linked certificate failed: it stays linked; the next round reads again.
        _event(session, certificate, now, system, action, certificate.status, certificate.status,
               code=exc.code, message=exc.message, success=False)
        return
    record.attempts = (record.attempts or 0) + 1
    max_attempts = int(setting("CERTIFICATE_MAX_ATTEMPTS", 12))
    moment = utc_naive(now)
    waiting_status = record.status
    retry = exc.retryable
    if isinstance(exc, CompulsoryInsuranceNotYetError) and record is certificate:
        first = certificate.first_insurance_error_at or moment
        certificate.first_insurance_error_at = first
        if moment - first > exc.give_up_after:
            retry = False
    if isinstance(exc, OutsideClosedError) and exc.opens_at is not None:
        record.next_attempt_at = utc_naive(exc.opens_at)
        record.attempts -= 1  # waiting for opening hours is not a failure
    elif retry and record.attempts < max_attempts:
        record.next_attempt_at = moment + dt.timedelta(seconds=backoff_seconds(record.attempts, exc.retry_after))
    else:
        rejected = exc.code not in ("PROTOCOL", "NOT_FOUND", "TIMEOUT", "CONNECTION", "SERVER_ERROR") \
            and not exc.retryable
        waiting_status = "rejected" if rejected else "failed"
        record.next_attempt_at = None
    record.reason_code = exc.code
    record.reason = exc.reason or exc.message
    record.advice = exc.message if waiting_status not in ("rejected",) else advice_for(exc.code)
    if waiting_status == "failed" and retry:
        record.advice = ("何度送信しても届きませんでした。時間をおいて「再送する」を押すか、協会のサポートに連絡してください。"
                         f"({exc.message})")
    before = record.status
    record.status = waiting_status
    _event(session, certificate, now, system, action, before, waiting_status, code=exc.code,
           message=exc.message, attempt=record.attempts, success=False)


def _next_time(certificate, now):
    """When the sender should look at this certificate again (None: never)."""
    moment = utc_naive(now)
    if certificate.status not in ACTIVE_STATUSES:
        return None  # rejected, failed, completed, deleted: nothing more to send or read
    if certificate.status in SENDING_STATUSES:
        return certificate.next_attempt_at
    candidates = []
    oss = certificate.oss_request
    if oss is not None and oss.status not in OSS_FINAL and oss.next_attempt_at is not None:
        candidates.append(oss.next_attempt_at)
    if certificate.status in FOLLOWED_STATUSES:
        stop_after = (certificate.certificate_valid_until or certificate.inspection_date) + dt.timedelta(days=30)
        if now.astimezone(JST).date() <= stop_after:
            follow = float(setting("CERTIFICATE_FOLLOW_SECONDS", 900))
            candidates.append(moment + dt.timedelta(seconds=follow))
    return min(candidates) if candidates else None


def _release(session, certificate, token, now):
    if certificate.lease_token == token:
        certificate.next_attempt_at = _next_time(certificate, now)
        certificate.lease_until = None
        certificate.lease_token = None
    session.commit()


def _airas_step(session, certificate_id, token, clients, now):
    certificate = _still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    payload, key, airas_id = certificate.payload, certificate.idempotency_key, certificate.airas_id
    if certificate.status == "queued":
        # A corrected certificate (after 引戻し) is registered again under its AIRAS id.
        action = "resubmit" if correction_pending(certificate) else "submit"
    else:
        action = "status"
    session.commit()  # no transaction stays open while we wait for the outside system
    try:
        if action == "submit":
            result = clients.airas.submit_certificate(payload, key)
        elif action == "resubmit":
            result = clients.airas.resubmit_certificate(airas_id, payload, key)
        else:
            result = clients.airas.get_status(airas_id)
    except OutsideSystemError as exc:
        certificate = _still_ours(session, certificate_id, token)
        if certificate is not None:
            _on_error(session, certificate, certificate, exc, now, "airas", action)
        return certificate
    certificate = _still_ours(session, certificate_id, token)
    if certificate is not None:
        certificate.attempts = 0 if result["status"] != "sent" else certificate.attempts
        _apply_airas_result(session, certificate, result, now, action)
        if certificate.status == "sent":
            poll = float(setting("CERTIFICATE_POLL_SECONDS", 30))
            certificate.next_attempt_at = utc_naive(now) + dt.timedelta(seconds=poll)
    return certificate


def correction_pending(certificate):
    return bool(certificate.airas_id and ((certificate.details or {}).get("correction") or {}).get("pending"))


def _ainas_step(session, certificate_id, token, clients, now):
    certificate = _still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    oss = certificate.oss_request
    if oss.status == "queued":
        action, body, key = "submit", {**oss.payload, "airas_id": certificate.airas_id}, oss.idempotency_key
    else:
        action, request_id = "status", oss.request_id
    session.commit()
    try:
        if action == "submit":
            result = clients.ainas.submit_request(body, key)
        else:
            result = clients.ainas.get_status(request_id)
    except OutsideSystemError as exc:
        certificate = _still_ours(session, certificate_id, token)
        if certificate is not None:
            _on_error(session, certificate.oss_request, certificate, exc, now, "ainas", action)
        return certificate
    certificate = _still_ours(session, certificate_id, token)
    if certificate is None:
        return None
    oss = certificate.oss_request
    before = oss.status
    oss.request_id, oss.ainas_status, oss.status = result["request_id"], result["ainas_status"], result["status"]
    oss.reason_code, oss.reason = result["reason_code"], result["reason"]
    oss.advice = result["advice"]
    oss.attempts = 0
    if oss.sent_at is None:
        oss.sent_at = utc_naive(now)
    follow = float(setting("CERTIFICATE_FOLLOW_SECONDS", 900))
    oss.next_attempt_at = None if result["final"] else utc_naive(now) + dt.timedelta(seconds=follow)
    if before != oss.status or action == "submit":
        _event(session, certificate, now, "ainas", action, before, oss.status, code=result["reason_code"],
               message=f"AINAS: {result['ainas_status']}(依頼番号 {result['request_id']})")
    return certificate


def _due(stamp, now):
    return stamp is not None and stamp <= utc_naive(now)


def process_certificate(session, certificate_id, clients, now):
    """Do what is due for one certificate (send, read back, send the OSS request, follow).

    Returns True when this sender held the row. Safe to call from several senders at once.
    """
    token = _claim(session, certificate_id, now)
    if token is None:
        return False
    certificate = None
    for _step in range(4):  # submit -> (already linked) -> AINAS, without waiting a round
        certificate = _still_ours(session, certificate_id, token)
        if certificate is None:
            return True
        if certificate.status in SENDING_STATUSES and _due(certificate.next_attempt_at, now):
            certificate = _airas_step(session, certificate_id, token, clients, now)
        elif certificate.status in FOLLOWED_STATUSES and certificate.oss_request is not None \
                and certificate.oss_request.status == "queued" and _due(certificate.oss_request.next_attempt_at, now):
            certificate = _ainas_step(session, certificate_id, token, clients, now)
        elif _step == 0 and certificate.status in FOLLOWED_STATUSES and _due(certificate.next_attempt_at, now):
            certificate.next_attempt_at = None  # followed once this round
            certificate = _airas_step(session, certificate_id, token, clients, now)
            if certificate is not None and certificate.oss_request is not None \
                    and certificate.oss_request.status not in OSS_FINAL + ("queued",):
                certificate = _ainas_step(session, certificate_id, token, clients, now)
            break
        else:
            break
        if certificate is None:
            return True
        session.commit()
    if certificate is not None:
        certificate = _still_ours(session, certificate_id, token)
        if certificate is not None:
            _release(session, certificate, token, now)
    return True


def due_certificate_ids(session, now, limit=100):
    moment = utc_naive(now)
    ids = session.scalars(select(Certificate.id).where(
        Certificate.status.in_(ACTIVE_STATUSES), Certificate.next_attempt_at <= moment,
        or_(Certificate.lease_until.is_(None), Certificate.lease_until < moment),
    ).order_by(Certificate.next_attempt_at, Certificate.id).limit(limit)).all()
    session.commit()
    return ids


def send_due(session, now, clients, *, limit=100):
    """The scheduler's resend job: everything due by ``now``. Returns how many rows it handled.

    One certificate's failure (a database hiccup, a bug) is logged and does not stop the rest.
    """
    handled = 0
    for certificate_id in due_certificate_ids(session, now, limit):
        try:
            handled += process_certificate(session, certificate_id, clients, now)
        except Exception:  # noqa: BLE001 - the lease runs out and the row is tried again
            log.exception("certificate %s: sending failed", certificate_id)
            session.rollback()
    return handled


def send_now(session, certificate_id, clients, now):
    """Right after confirming: one go at once; whatever is left the scheduler finishes."""
    try:
        process_certificate(session, certificate_id, clients, now)
    except Exception:  # noqa: BLE001 - the shop's confirmation stands; the job retries
        log.exception("certificate %s: immediate send failed; the scheduler retries", certificate_id)
        session.rollback()


def request_resend(session, certificate, now):
    """A shop or support asks for another try of a failed or waiting send (same keys)."""
    if certificate.status not in ("failed", "queued", "sent") and not (
            certificate.oss_request is not None and certificate.oss_request.status == "failed"):
        raise CertificateInputError("この保適証は再送できる状態ではありません。")
    before = certificate.status
    if certificate.status == "failed":
        certificate.status = "sent" if certificate.airas_id and not correction_pending(certificate) else "queued"
    oss = certificate.oss_request
    if oss is not None and oss.status == "failed":
        oss.status = "accepted" if oss.request_id else "queued"
        oss.attempts, oss.next_attempt_at = 0, utc_naive(now)
    certificate.attempts = 0
    certificate.next_attempt_at = utc_naive(now)
    _event(session, certificate, now, "keizoku", "resend", before, certificate.status,
           message="再送を受け付けました。")
