"""Whose fix is it (shop-workflow.md §8): for a rejected or stalled filing, who must act — the
shop (the 保適証's own fields: 引戻し and correct, or 削除 and issue again for 車台番号/自動車区分) or
the 申請代理人 (the AINAS side: the 日整連 branch files, pays and answers the 運輸支局) — and the
notes on timing people need: AIRAS reports to MOTAS at fixed times, the 代理人's desk works on
weekdays only. Pure: no Flask, no SQLAlchemy.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.domain.business_days import is_administrative_holiday

JST = ZoneInfo("Asia/Tokyo")

SHOP, AGENT = "shop", "agent"
PARTY_LABELS = {SHOP: "事業場(保適証の訂正)", AGENT: "申請代理人(日整連支部・AINAS側)"}

# The 日整連 proxy desk (代理申請 受付): weekdays 9:00–16:45 [S] (outside-systems.md §1.2, [A13]).
AGENT_DESK_OPEN, AGENT_DESK_CLOSE = dt.time(9, 0), dt.time(16, 45)
AGENT_DESK_HOURS = "平日9:00〜16:45"

# Reasons about the 保適証's own fields (or the shop's side of the request): the shop acts.
UNCORRECTABLE = frozenset({"VIN-KIND", "UNCORRECTABLE"})
SHOP_CODES = frozenset({"REGNO", "USER", "KIND-MISMATCH", "JIBAI-FORMAT", "JIBAI-PAPER-OSS", "JIBAI-PERIOD",
                        "JIBAI-NOT-REG", "E127", "INSPECTOR", "SITE-CODE", "DUP", "VALIDATION", "NOT-IN-AIRAS",
                        "CONSENT"}) | UNCORRECTABLE

MOTAS_NOTE = ("AIRASは登録された保適証を決まった時刻にまとめてMOTAS(国の審査システム)へ報告します。"
              "報告済になるのはその時刻の後です。報告の時刻の直前に登録した保適証は、すぐ報告済になって"
              "引戻しに時間がかかることがあります(報告の時刻は日整連の「保適証ステータスについて」で確認してください)。")
AGENT_HOURS_NOTE = ("代理人(日整連支部)の受付は{hours}です。土日・祝日や受付時間外の申請依頼は、次の受付日"
                    "({next_open})から処理されます。").format
REVIEW_NOTE = "運輸支局の審査は平日だけです。最終検査申請日が土日・祝日の近くなら、早めに送信してください。"


@dataclass(frozen=True)
class Verdict:
    """Who must act and how, in Japanese, with the outside system's error detail."""

    party: str
    title: str
    steps: tuple[str, ...]
    detail: str | None = None
    stalled: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def party_label(self):
        return PARTY_LABELS[self.party]


def _detail(system, code, reason):
    if not (code or reason):
        return None
    name = "AIRAS" if system == "airas" else "AINAS"
    return f"{name}のエラー詳細: {' '.join(filter(None, (code, reason)))}"


def shop_fix(code, reason, system="airas"):
    """The shop's verdict for a reason about the 保適証's fields."""
    if code in UNCORRECTABLE:
        return Verdict(SHOP, "事業場で保適証を削除して、新しい保適証を交付し直してください。", (
            "車台番号・自動車区分は訂正できません(引戻しでは直せません)。",
            "この画面の「AIRASで削除する」で削除し、車検証のとおりの内容で新しい保適証を作成します"
            "(新しい交付番号になり、AIRASの手数料が再度かかります)。",
            "OSS申請の場合は、代理人(日整連支部)に申請依頼の取下げを依頼し、新しい保適証で依頼し直します。"),
            _detail(system, code, reason))
    if code in ("NOT-IN-AIRAS", "E127", "JIBAI-NOT-REG"):
        return Verdict(SHOP, "事業場で送信の状況を確かめてください。", (
            "保適証がAIRASで連携済になっているか、自賠責が電子登録されているかを確かめてから再送します。",),
            _detail(system, code, reason))
    return Verdict(SHOP, "事業場で保適証を引戻しして、訂正してから送信し直してください。", (
        "この画面の「引戻しして訂正する」で訂正の入力を開き、エラー詳細の項目を車検証のとおりに直します。",
        "自動車検査員が確定すると、同じ交付番号のまま訂正をAIRASに送信します。"),
        _detail(system, code, reason))


def for_rejection(system, code, reason, *, filed_by_agent=False, now=None):
    """A 却下, 補正 or 差戻: the shop's fields, or the AINAS side (the 代理人)."""
    if code in SHOP_CODES or (system == "airas" and not filed_by_agent):
        return shop_fix(code, reason, system)
    notes = (agent_hours_note(now),) if now is not None and agent_hours_note(now) else ()
    return Verdict(AGENT, "申請代理人(日整連支部)が対応します。保適証の訂正は要りません。", (
        "AINAS側(代理人の申請・納付・運輸支局とのやり取り)の指摘です。代理人(日整連支部)に連絡し、"
        "指摘の内容と対応を確かめてください。",
        "代理人から保適証の訂正を求められたときだけ、引戻しして訂正します。"),
        _detail(system, code, reason), notes=notes)


def for_stall(stage, weekday_hours, now):
    """A filing without progress for ``weekday_hours``: who to ask, by where it waits.

    ``stage``: "airas" (AIRAS has not finished registering), "report" (waiting for the report to
    MOTAS) or "agent" (the 代理人 or the 運輸支局 has it)."""
    waited = f"平日の時間で{int(weekday_hours)}時間以上、状態が進んでいません。"
    if stage == "agent":
        note = agent_hours_note(now)
        return Verdict(AGENT, "申請代理人(日整連支部)に状況を問い合わせてください。", (
            waited, "車台番号の誤りなどで、申請が何日も止まることがあります。代理人に申請の状況を確かめてください。"),
            stalled=True, notes=tuple(filter(None, (note, REVIEW_NOTE))))
    if stage == "report":
        return Verdict(SHOP, "AIRASの保適証照会で報告状況を確かめてください。", (
            waited, "報告エラーが続く場合は協会のサポートに連絡してください。"), stalled=True, notes=(MOTAS_NOTE,))
    return Verdict(SHOP, "AIRASの保適証照会でこの保適証の状態を確かめてください。", (
        waited, "AIRASで作成済になっていない場合は、協会のサポートに連絡してください。"), stalled=True)


def agent_desk_open(moment):
    local = moment.astimezone(JST)
    return not is_administrative_holiday(local.date()) and AGENT_DESK_OPEN <= local.time() < AGENT_DESK_CLOSE


def next_agent_opening(moment):
    local = moment.astimezone(JST)
    day = local.date()
    if local.time() >= AGENT_DESK_CLOSE:
        day += dt.timedelta(days=1)
    while is_administrative_holiday(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, AGENT_DESK_OPEN, JST)


def agent_hours_note(now):
    """The 代理人's hours, when they matter now (outside them); else None."""
    if agent_desk_open(now):
        return None
    opening = next_agent_opening(now)
    weekdays = "月火水木金土日"
    return AGENT_HOURS_NOTE(hours=AGENT_DESK_HOURS,
                            next_open=f"{opening.month}月{opening.day}日({weekdays[opening.weekday()]}) 9:00")


def weekday_hours_between(start, end):
    """Hours between two moments counting only days the 運輸支局 works (no weekends, holidays,
    12/29–1/3), in Japan time: a filing sent on Friday evening is not 'stalled' on Monday morning."""
    start, end = start.astimezone(JST), end.astimezone(JST)
    total = 0.0
    cursor = start
    while cursor < end:
        next_day = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(0), JST)
        stop = min(end, next_day)
        if not is_administrative_holiday(cursor.date()):
            total += (stop - cursor).total_seconds() / 3600
        cursor = stop
    return total
