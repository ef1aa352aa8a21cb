"""e-JIBAI before sending (shop-workflow.md §3): on the 自賠責 step each policy's 証明書番号 and
保険会社 are checked through the e-JIBAI client; the page says 電子情報あり or なし and an OSS
draft without electronic data is steered to hybrid. After confirming, a 自賠責 issued less than
an hour ago holds the certificate until its data can be at AIRAS; the sender then sends it.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app

from app.domain import jibai as rules
from app.integrations import OutsideSystemError
from app.integrations.jibai import JibaiClient
from app.services.certificates.common import CertificateInputError, as_jst, utc_naive
from app.services.certificates.events import record_event

STATE_LABELS = {"electronic": "電子情報あり", "none": "電子情報なし(手入力)", "unavailable": "照会できませんでした"}
HOLD_CODE = "JIBAI-WAIT"


class JibaiSteering(CertificateInputError):
    """A refusal on the 自賠責 step that carries each policy's check, so the page can show it."""

    def __init__(self, messages, checks, can_switch):
        super().__init__(messages)
        self.context = {"jibai_checks": checks, "can_switch_to_hybrid": can_switch}


def client_from_config(config=None) -> JibaiClient:
    config = config or current_app.config
    return JibaiClient(config["JIBAI_BASE_URL"], timeout=config["OUTSIDE_TIMEOUT_SECONDS"])


def insurer_choices() -> list[tuple[str, str]]:
    """(value, label) for the 保険会社 choice: the 略称表 name and its official name."""
    return [(row["abbreviation"], f"{row['abbreviation']}({row['official_name']})") for row in rules.insurers()]


def check_policy(client, policy, chassis_number, label) -> dict:
    """One policy through the e-JIBAI check: {"state", "label", "issued_at", "message"}."""
    try:
        answer = client.lookup(policy["certificate_number"], policy["insurer_name"])
    except OutsideSystemError as exc:
        return {"state": "unavailable", "label": STATE_LABELS["unavailable"], "issued_at": None,
                "message": f"{label}: 電子情報を照会できませんでした({exc.code})。電子自賠責かどうかは、"
                           "下の「電子自賠責」の印で判断し、送信時にAIRASが確かめます。"}
    state = "electronic" if answer["electronic"] else "none"
    result = {"state": state, "label": STATE_LABELS[state],
              "issued_at": answer["issued_at"].isoformat() if answer["issued_at"] else None, "message": ""}
    if state == "electronic" and answer["chassis_number"] and answer["chassis_number"] != chassis_number:
        result["mismatch"] = (
            f"{label}の電子情報の車台番号({answer['chassis_number']})が、この車両の車台番号({chassis_number})と"
            "違います。証明書番号を自賠責の証明書で確かめてください(このまま送るとエラー127になります)。")
    return result


def apply_checks(client, policies, labels, chassis_number, application_type, switch_to_hybrid):
    """Check every policy, record the answer in it, and return (application_type, messages).

    ``electronic`` follows the check's answer; when the check could not be made, the shop's own
    tick stays. An OSS draft with a policy without electronic data is refused unless the shop
    chose to switch to hybrid (窓口申請), which is then the new application type.
    """
    checks, messages = [], []
    for policy, label in zip(policies, labels):
        result = check_policy(client, policy, chassis_number, label)
        if result["state"] != "unavailable":
            policy["electronic"] = result["state"] == "electronic"
        policy["jibai_check"] = {k: result[k] for k in ("state", "issued_at")}
        checks.append({"policy": label, **result})
        if result.get("mismatch"):
            messages.append(result["mismatch"])
    paper = [c["policy"] for c, p in zip(checks, policies) if not p["electronic"]]
    can_switch = bool(paper) and application_type == "oss"
    if can_switch and switch_to_hybrid:
        application_type = "hybrid"
    elif can_switch:
        messages.append(
            f"{'・'.join(paper)}には電子情報がありません(AIRASでは「手入力」と表示されます)。OSS申請には電子情報のある"
            "電子自賠責が必要です。「ハイブリッド申請に切り替えて次へ」を押すと、窓口申請(ハイブリッド申請)で進めます。")
    if messages:
        raise JibaiSteering(messages, checks, can_switch)
    return application_type, checks


def send_not_before(certificate) -> dt.datetime | None:
    """When the certificate's last-issued e-JIBAI data can be at AIRAS (aware), or None."""
    policies = ((certificate.details or {}).get("insurance") or {}).get("policies") or []
    issued = [dt.datetime.fromisoformat(p["jibai_check"]["issued_at"]) for p in policies
              if p.get("electronic") and (p.get("jibai_check") or {}).get("issued_at")]
    return rules.send_not_before(issued)


def hold_reason(until: dt.datetime) -> str:
    return (f"自賠責の発行から1時間たっていないため、電子情報がAIRASに届くのを待っています"
            f"({as_jst(utc_naive(until)).strftime('%H:%M')}以降に自動で送信します)。"
            "早く送るとエラー127(自賠責保険証明書情報該当なし)になります。")


def hold_if_recent(session, certificate, now) -> bool:
    """Right after confirming: hold a certificate whose 自賠責 was issued less than an hour ago."""
    until = send_not_before(certificate)
    if until is None or until <= now:
        return False
    certificate.next_attempt_at = utc_naive(until)
    certificate.reason_code, certificate.reason = HOLD_CODE, hold_reason(until)
    certificate.advice = "そのままお待ちください。送信待ちの保適証は自動で送信されます。"
    record_event(session, certificate, now, "keizoku", "hold", certificate.status, certificate.status,
                 code=HOLD_CODE, message=certificate.reason)
    return True


def e127_explanation() -> str:
    return rules.E127_EXPLANATION
