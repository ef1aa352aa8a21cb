"""The wizard's draft and its steps: scan, vehicle, inspection, insurance and checks.

The wizard keeps its state in ``CertificateDraft.data`` (database, tenant-scoped). Each step
validates its whole input before it touches the draft, so a bad input saves nothing. Form values
are parsed here (every failure is a Japanese sentence); the checks page adds the renewal dates
(``assess``), the weight tax computed beside the inquiry service's answer, and the fees.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import object_session

from app import audit
from app.domain import business_days
from app.domain.renewal import INSURANCE_SHORT_FOR_ALL_DATES, assess_renewal
from app.domain.wareki import format_wareki, parse_wareki, parse_wareki_month
from app.domain.weight_tax import BODIES
from app.domain.weight_tax import weight_tax as local_weight_tax
from app.integrations import OutsideSystemError
from app.models.certificate import Certificate, CertificateDraft, Vehicle
from app.models.tenancy import Inspector, Site
from app.domain.jibai import insurer_name
from app.services.certificates import delegation, jibai, obd, used_vehicles
from app.services.certificates.common import CertificateInputError, stored_date
from app.services.certificates.consents import NOT_FOUND as CONSENT_NOT_FOUND
from app.services.certificates.consents import valid_consent_for
from app.services.fees import fees_for
from app.services.certificates.labels import (
    APPLICATION_AGENTS,
    APPLICATION_TYPE_LABELS,
    ECO_LABELS,
    KEI_ONLY_AGENTS,
    USE_LABELS,
    VEHICLE_KIND_LABELS,
)


def _text(form, name):
    value = form.get(name)
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


ERA_START = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR]\s*\d)", re.IGNORECASE)


def parse_date_input(value, label):
    """ISO (2026-11-26, 2026/11/26) or 和暦 (令和8年11月26日, R8.11.26, R08.11.26)."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        raise CertificateInputError(f"{label}を入力してください。")
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
        return parse_wareki(text)
    except ValueError as exc:
        if not match and ERA_START.match(text) and "の形で入力" not in str(exc):
            raise CertificateInputError(f"{label}: {exc}") from None  # 和暦 but no such day / era
        raise CertificateInputError(
            f"{label}「{value}」は日付として読めません。令和8年11月26日、R8.11.26 または 2026-11-26 の形で"
            "入力してください。") from None


def parse_month_input(value, label):
    """A year and month, 和暦 (平成31年4月, H31.4) or Western (2019-04): "YYYY-MM", or "" if empty."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    try:
        return parse_wareki_month(text).strftime("%Y-%m")
    except ValueError as exc:
        if ERA_START.match(text) and "の形で入力" not in str(exc):
            raise CertificateInputError(f"{label}: {exc}") from None
        raise CertificateInputError(
            f"{label}「{value}」は年月として読めません。平成31年4月、H31.4 または 2019-04 の形で入力してください。") from None


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
    """A 車台番号 as typed or read, in the form we store and search (NFKC, upper case)."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def start_draft(session, tenant, site_id, user_id, purpose=None):
    if not tenant.owns_site(site_id):
        raise CertificateInputError("事業場を選び直してください。")
    data = used_vehicles.initial_data(used_vehicles.chosen_purpose(purpose))
    draft = CertificateDraft(business_id=tenant.business_id, site_id=site_id,
                             created_by_id=user_id, step="scan", data=data)
    session.add(draft)
    session.flush()
    return draft


def is_untouched(draft):
    """Nothing saved yet: a started draft whose scan never succeeded (and not a correction)."""
    data = draft.data or {}
    return draft.certificate_id is None and draft.step == "scan" and not data.get("vehicle") \
        and not data.get("correction")


def discard_if_untouched(session, draft):
    """After a failed scan: an untouched draft is deleted, so nothing is left behind. True if so."""
    if not is_untouched(draft):
        return False
    session.delete(draft)
    session.flush()
    return True


def start_with_scan(session, tenant, site_id, user_id, reads, today, cert_file=None, purpose=None):
    """A new draft and its scan in the caller's one transaction: a failed scan raises and the
    caller's rollback leaves no draft."""
    draft = start_draft(session, tenant, site_id, user_id, purpose)
    save_scan(session, draft, reads, today, cert_file)
    return draft


audit.ACTION_LABELS.update({"certificate_drafts_expired": "保適証の下書きの期限切れ削除"})


def expire_drafts(session, now, days):
    """Delete unconfirmed drafts nobody has touched for ``days`` days (corrections of a pulled-back
    certificate are kept: the certificate waits for them), one audit entry per business."""
    cutoff = (now - dt.timedelta(days=days)).astimezone(dt.timezone.utc).replace(tzinfo=None)
    stale = session.scalars(select(CertificateDraft).where(
        CertificateDraft.certificate_id.is_(None), CertificateDraft.updated_at < cutoff)
        .order_by(CertificateDraft.id)).all()
    by_business = {}
    for draft in stale:
        if (draft.data or {}).get("correction"):
            continue
        by_business.setdefault(draft.business_id, []).append(draft.id)
        session.delete(draft)
    for business_id, ids in by_business.items():
        audit.record(session, "certificate_drafts_expired", entity_type="CertificateDraft",
                     business_id=business_id,
                     detail=f"{days}日間更新のなかった保適証の下書き {len(ids)} 件を削除(ID {', '.join(map(str, ids))})")
    session.flush()
    return sum(len(ids) for ids in by_business.values())


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


def parse_reads(reads, today, purpose=None):
    """The capture field's reads -> ({"ok": True, ...result}) or ({"ok": False, "error": ...}).
    For a 中古 kind (``purpose``) the codes must be its source document's (app/domain/used_vehicles.py)."""
    vehicle_qr = _qr_module()
    if vehicle_qr is None:
        return {"ok": False, "error": {"code": "UNAVAILABLE",
                                       "message": "二次元コードの読み取りは準備中です。手入力で進んでください。"}}
    try:
        if used_vehicles.is_used({"purpose": purpose}):
            result = used_vehicles.parse_document(reads, purpose, today)
        else:
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


def has_reads(reads):
    """True when the capture field (text or a list of reads) holds anything but blanks."""
    if isinstance(reads, str):
        return bool(reads.strip())
    return any(isinstance(r, str) and r.strip() for r in reads or ())


def save_scan(session, draft, reads, today, cert_file=None):
    """Parse the reads (and the 閲覧アプリ file, if given) into the draft's vehicle section.
    A 閲覧アプリ file alone (no reads) gives the vehicle too: it carries the codes' fields."""
    if cert_file and not has_reads(reads):
        vehicle = _vehicle_from_cert_file(cert_file)
    else:
        parsed = parse_reads(reads, today, used_vehicles.purpose_code(draft.data))
        if not parsed["ok"]:
            raise CertificateInputError(parsed["error"]["message"])
        vehicle = _vehicle_from_qr(parsed)
        if cert_file:
            vehicle.update(_from_cert_file(cert_file, vehicle["chassis_number"]))
    vehicle = used_vehicles.after_scan(draft.data, vehicle)
    _save(draft, "vehicle", vehicle, "vehicle")
    return vehicle


def _parsed_cert_file(data, scanned_chassis=None):
    module = _cert_file_module()
    if module is None:
        raise CertificateInputError("車検証情報ファイルの読み込みは準備中です。有効期間と使用者は手入力してください。")
    try:
        return module.parse_cert_file(data, scanned_chassis_number=scanned_chassis or None)
    except module.VehicleCertFileError as exc:
        raise CertificateInputError(exc.message) from None


def _vehicle_from_cert_file(data):
    """The vehicle section from a 閲覧アプリ file alone (registered and kei cars)."""
    result = _parsed_cert_file(data)
    fields = result.fields
    if fields.get("vehicle_kind") not in VEHICLE_KIND_LABELS:
        raise CertificateInputError("車検証情報ファイルから自動車の区分が読めませんでした。二次元コードを読み取ってください。")
    plate = fields.get("plate") or {}
    vehicle = {
        "vehicle_kind": fields["vehicle_kind"],
        "chassis_number": normalise_chassis(fields.get("chassis_number")),
        "plate_area": plate.get("area") or "", "plate_class": plate.get("class") or "",
        "plate_kana": plate.get("kana") or "", "plate_serial": plate.get("serial") or "",
        "model": fields.get("model") or "", "first_registration": fields.get("first_registration") or "",
        "expiry_date": "", "source": "cert_file", "warnings": [],
    }
    vehicle.update(_cert_file_extras(result))
    return vehicle


def _from_cert_file(data, scanned_chassis):
    return _cert_file_extras(_parsed_cert_file(data, scanned_chassis))


def _cert_file_extras(result):
    fields = result.fields
    extra = {key: fields.get(key) for key in ("expiry_date", "odometer_km", "obd_target") if fields.get(key)}
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
    expiry = (c.take(parse_date_input, form.get("expiry_date"), "現在の有効期間の満了日")
              if used_vehicles.needs_current_expiry(draft.data) or _text(form, "expiry_date") else None)
    first_registration = c.take(parse_month_input, form.get("first_registration"), "初度登録年月")
    owner_name, owner_address = _text(form, "owner_name"), _text(form, "owner_address")
    person = used_vehicles.new_person_label(draft.data)
    c.check(bool(owner_name), f"{person}の氏名または名称を入力してください。")
    c.check(bool(owner_address), f"{person}の住所を入力してください。")
    previous = dict((draft.data or {}).get("vehicle") or {})
    c.messages.extend(used_vehicles.vehicle_problems(draft.data, previous, owner_name, owner_address))
    c.raise_if_any()
    values = {
        **previous,
        "vehicle_kind": kind, "chassis_number": chassis,
        "plate_area": _text(form, "plate_area"), "plate_class": form.get("plate_class", "").strip(),
        "plate_kana": _text(form, "plate_kana"), "plate_serial": form.get("plate_serial", "").strip(),
        "model": _text(form, "model"), "first_registration": first_registration,
        "expiry_date": expiry.isoformat() if expiry else "", "owner_name": owner_name,
        "owner_address": owner_address, "source": previous.get("source", "manual"),
        **used_vehicles.vehicle_marks(draft.data),
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
    """The draft's site's active 自動車検査員, for the inspection step's choice."""
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
    obd_values = c.take(obd.parse_inspection, form, inspection_date, vehicle, parse_date_input) or {}
    agent = form.get("application_agent") or ""
    # The 承諾書 is looked up by 車台番号 (consents.py), not ticked.
    consent = valid_consent_for(session, draft.business_id, vehicle["chassis_number"], inspection_date or today)
    site = session.get(Site, draft.site_id)
    if application_type == "oss":
        c.check(vehicle["vehicle_kind"] != "small_motorcycle",
                "二輪車は継続検査OSSの対象外です。ハイブリッド申請(窓口申請)を選んでください。")
        c.check(site.ainas_status == "registered",
                "この事業場はOSS申請(AINAS)を利用できません。ハイブリッド申請(窓口申請)を選んでください。")
        c.check(agent in APPLICATION_AGENTS, "OSS申請では申請代理人を選んでください。")
        c.check(agent not in KEI_ONLY_AGENTS or vehicle["vehicle_kind"] == "kei",
                "全軽自協は軽自動車の申請代理人です。別の申請代理人を選んでください。")
        c.check(consent is not None, CONSENT_NOT_FOUND.format(chassis=vehicle["chassis_number"]))
    c.messages.extend(used_vehicles.inspection_problems(draft.data, application_type))
    recording = c.take(delegation.inspection_values, form, site, application_type) or {}
    c.messages.extend(delegation.problems(vehicle["vehicle_kind"], {**recording, "application_type": application_type},
                                          site))
    c.raise_if_any()
    values = {
        "inspection_date": inspection_date.isoformat(), "application_date": application_date.isoformat(),
        "inspector_id": inspector_id, "odometer_km": odometer, "validity_years": years, "use": use,
        "body": body, "eco": eco, "vehicle_weight_kg": vehicle_weight, "gross_weight_kg": gross_weight,
        "application_type": application_type, "application_agent": agent if application_type == "oss" else "",
        "consent": consent is not None, "consent_id": consent.id if consent is not None else None,
        **recording, **obd_values,
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
    typed_insurer = _text(form, prefix + "insurer_name")
    insurer = insurer_name(typed_insurer)  # the 略称表 name AIRAS takes (shop-workflow.md §3)
    c.check(bool(typed_insurer), f"{label}の保険会社を選んでください。")
    c.check(not typed_insurer or insurer is not None,
            f"{label}の保険会社「{typed_insurer}」は保険会社名略称表にありません。一覧から選んでください。")
    start = c.take(parse_date_input, form.get(prefix + "start_date"), f"{label}の保険期間の始期")
    end = c.take(parse_date_input, form.get(prefix + "end_date"), f"{label}の保険期間の終期")
    if start and end:
        c.check(start < end, f"{label}の終期が始期より前になっています。保険期間を確認してください。")
    c.raise_if_any()
    return {"certificate_number": number, "insurer_name": insurer, "start_date": start.isoformat(),
            "end_date": end.isoformat(), "electronic": form.get(prefix + "electronic") in ("y", "on", "1")}


def save_insurance(session, draft, form, jibai_client=None):
    """The 自賠責 step. With ``jibai_client`` each policy is checked for electronic data first
    (services/certificates/jibai.py); a choice to switch an OSS draft to hybrid is saved with it."""
    inspection = (draft.data or {}).get("inspection")
    if not inspection:
        raise CertificateInputError("先に検査の内容を入力してください。")
    c = _Collector()
    policies = [c.take(_policy, form, 1, "自賠責(1枚目)")]
    if any(_text(form, f"policy2_{name}") for name in ("certificate_number", "insurer_name", "start_date")):
        policies.append(c.take(_policy, form, 2, "自賠責(2枚目)"))
    c.raise_if_any()
    if jibai_client is not None:
        application_type, _checks = jibai.apply_checks(
            jibai_client, policies, ["自賠責(1枚目)", "自賠責(2枚目)"], draft.data["vehicle"]["chassis_number"],
            inspection["application_type"], form.get("switch_to_hybrid") == "1")
        if application_type != inspection["application_type"]:
            inspection = {**inspection, "application_type": application_type, "application_agent": ""}
            _save(draft, "inspection", inspection, "insurance")
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


def _first_registration(vehicle):
    text = vehicle.get("first_registration") or ""
    return dt.date.fromisoformat(text + "-01") if re.fullmatch(r"\d{4}-\d{2}", text) else None


def assess(session, draft):
    """The dates and warnings of renewal-rules.md §8 for the draft, in plain Japanese."""
    data = draft.data or {}
    vehicle, inspection, insurance = data.get("vehicle"), data.get("inspection"), data.get("insurance")
    if not (vehicle and inspection and insurance):
        raise CertificateInputError("車両・検査・自賠責の入力を先に済ませてください。")
    used = used_vehicles.assessment(data)  # 中古新規・中古予備検査: dates from the 検査年月日
    if used is not None:
        return used
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
            current_expiry=stored_date(vehicle["expiry_date"]),
            inspection_date=stored_date(inspection["inspection_date"]),
            application_date=stored_date(inspection["application_date"]),
            validity_years=inspection["validity_years"],
            insurance_end=stored_date(policies[-1]["end_date"]),
            current_insurance_end=stored_date(policies[0]["end_date"]),
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
            application_date=stored_date(inspection["application_date"]),
            inspection_date=stored_date(inspection["inspection_date"]), eco=inspection["eco"] or None)
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
    fees = fees_for(object_session(draft), vehicle_kind=vehicle["vehicle_kind"],
                    application_type=inspection["application_type"],
                    on_date=stored_date(inspection["application_date"]))
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
