"""OBD検査 (shop-workflow.md §4): an 「OBD検査対象」 vehicle (the 閲覧アプリ file's 備考, or ticked on
the inspection step) needs an OBD result dated on or before the 完成検査 (the 検査年月日) — 合格,
or a 特例番号 with the record of the コールセンター call — before its 保適証 can be confirmed.
The result is stored per certificate, printed on the 記録簿 and kept with it for 2 years.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import delete, func, select

from app import audit
from app.domain.wareki import format_wareki
from app.models.certificate_checks import OBD_RESULTS, ObdResult
from app.services.certificates.common import CertificateInputError, stored_date

audit.ACTION_LABELS.update({"obd_results_purged": "OBD検査の結果の削除(保存期間経過)"})

SPECIAL_NUMBER_RE = re.compile(r"[0-9A-Z\-]{4,40}")
MISSING_RESULT = ("OBD検査対象の車両です。完成検査(検査年月日)までに行ったOBD検査の結果"
                  "(合格、または特例番号とコールセンターとのやり取りの記録)を検査の手順で入力してください。")


def _text(form, name):
    value = form.get(name)
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def is_target(vehicle, inspection) -> bool:
    """「OBD検査対象」: from the 閲覧アプリ file's 備考, or ticked on the inspection step."""
    return bool((vehicle or {}).get("obd_target") or (inspection or {}).get("obd_target"))


def parse_inspection(form, inspection_date, vehicle, parse_date):
    """The OBD part of the inspection step: {"obd_target", "obd": {...} or None}.

    What is entered must be right (a date on or before the 完成検査, a 特例番号 with the call's
    record); a missing result is allowed here and blocks only the confirmation.
    """
    ticked = form.get("obd_target") in ("y", "on", "1")
    result = form.get("obd_result") or ""
    values = {"obd_target": ticked, "obd": None}
    if not result:
        return values
    messages = []
    if result not in OBD_RESULTS:
        raise CertificateInputError("OBD検査の結果を選んでください。")
    checked_on = None
    try:
        checked_on = parse_date(form.get("obd_checked_on"), "OBD検査の実施日")
    except CertificateInputError as exc:
        messages.extend(exc.messages)
    if checked_on and inspection_date and checked_on > inspection_date:
        messages.append(f"OBD検査の実施日({format_wareki(checked_on)})が完成検査の日(検査年月日 "
                        f"{format_wareki(inspection_date)})より後です。OBD検査は完成検査の日までに行い、その日付を入力してください。")
    number, note = _text(form, "obd_special_number").upper(), _text(form, "obd_call_note")
    if result == "special":
        if not number:
            messages.append("特例番号を入力してください(特定DTC照会アプリが使えないときにコールセンターから伝えられる番号です)。")
        elif not SPECIAL_NUMBER_RE.fullmatch(number):
            messages.append(f"特例番号「{number}」は半角英数字とハイフンで入力してください。")
        if not note:
            messages.append("特例番号を受けたコールセンターとのやり取り(日時・担当者・内容)を記録してください。"
                            "記録簿と一緒に2年間保存します。")
    if messages:
        raise CertificateInputError(messages)
    values["obd"] = {"result": result, "checked_on": checked_on.isoformat(),
                     "special_number": number if result == "special" else "",
                     "call_note": note if result == "special" else ""}
    return values


def confirmation_problems(data) -> list[str]:
    """The confirmation pre-flight's OBD blocker (empty when the vehicle is not a target)."""
    vehicle, inspection = data.get("vehicle") or {}, data.get("inspection") or {}
    if not is_target(vehicle, inspection):
        return []
    obd = inspection.get("obd")
    if not obd:
        return [MISSING_RESULT]
    if stored_date(obd["checked_on"]) > stored_date(inspection["inspection_date"]):
        return ["OBD検査の実施日が完成検査の日(検査年月日)より後です。検査の手順で確かめてください。"]
    return []


def store_result(session, draft, certificate):
    """Keep the draft's OBD result with the certificate (a correction replaces it)."""
    vehicle, inspection = draft.data.get("vehicle") or {}, draft.data.get("inspection") or {}
    existing = session.scalar(select(ObdResult).where(ObdResult.certificate_id == certificate.id))
    obd = inspection.get("obd") if is_target(vehicle, inspection) else None
    if obd is None:
        if existing is not None:
            session.delete(existing)
        return None
    row = existing or ObdResult(business_id=certificate.business_id, site_id=certificate.site_id,
                                certificate_id=certificate.id)
    row.chassis_number = certificate.chassis_number
    row.completion_inspection_date = certificate.inspection_date
    row.checked_on = stored_date(obd["checked_on"])
    row.result = obd["result"]
    row.special_number = obd["special_number"] or None
    row.call_note = obd["call_note"] or None
    row.target_source = "cert_file" if vehicle.get("obd_target") else "ticked"
    session.add(row)
    return row


def result_for_certificate(session, certificate_id):
    if certificate_id is None:
        return None
    return session.scalar(select(ObdResult).where(ObdResult.certificate_id == certificate_id))


def printable(result) -> dict | None:
    """The OBD result as the 記録簿 prints it."""
    if result is None:
        return None
    text = OBD_RESULTS[result.result]
    if result.result == "special":
        text += f" 特例番号 {result.special_number}"
    return {"label": text, "checked_on": result.checked_on, "call_note": result.call_note or ""}


def purge_expired(session, cutoff, log=print) -> int:
    """Delete OBD results whose 完成検査 is before ``cutoff`` (the records' 2-year retention)."""
    expired = select(ObdResult.business_id, func.count()).where(
        ObdResult.completion_inspection_date < cutoff).group_by(ObdResult.business_id)
    counts = session.execute(expired).all()
    if not counts:
        return 0
    session.execute(delete(ObdResult).where(ObdResult.completion_inspection_date < cutoff))
    for business_id, count in counts:
        audit.record(session, "obd_results_purged", entity_type="ObdResult", business_id=business_id,
                     detail=f"保存期間({cutoff} より前)を過ぎたOBD検査の結果 {count} 件を削除")
    session.commit()
    total = sum(count for _business, count in counts)
    log(f"OBD検査の結果 {total} 件を削除しました。")
    return total
