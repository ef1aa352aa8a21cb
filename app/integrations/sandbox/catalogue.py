"""What the sandbox says and when it is open: outside-systems.md §5 as data.

Messages marked [I] in outside-systems.md §5.4 are placeholders in AIRAS style, not quotations.
"""

from __future__ import annotations

# code -> where it applies, when it fires and what the outside system says.
#   stage "sync":   refused at 登録 / 依頼受付 with HTTP 422 (nothing is stored)
#   stage "review": accepted, then 却下 at review with the message as エラー詳細
REASONS = {
    "E127": {"systems": {"airas"}, "stage": "sync", "message": "自賠責保険証明書情報該当なし"},
    "JIBAI-NOT-REG": {"systems": {"airas"}, "stage": "sync",
                      "message": "指定した自賠責保険証明書情報が電子登録されていない場合があるため、"
                                 "時間をおいて、交付してください。"},
    "JIBAI-FORMAT": {"systems": {"airas"}, "stage": "sync",
                     "message": "自賠責保険証明書番号にハイフン・スペースは入力できません。"},
    "JIBAI-PAPER-OSS": {"systems": {"airas"}, "stage": "sync",
                        "message": "OSS申請の場合、電子自賠責以外は指定できません。"},
    "JIBAI-PERIOD": {"systems": {"airas"}, "stage": "sync", "message": "自賠責保険期間が不足しています。"},
    "INSPECTOR": {"systems": {"airas"}, "stage": "sync", "message": "検査員コードが登録されていません。"},
    "SITE-CODE": {"systems": {"airas", "ainas"}, "stage": "sync", "message": "整備工場コードが正しくありません。"},
    "DUP": {"systems": {"airas"}, "stage": "sync", "message": "同一車台番号の保適証が既に登録されています。"},
    "VIN-KIND": {"systems": {"airas"}, "stage": "review",
                 "message": "車台番号及び自動車区分が自動車検査証の記録と一致しません。"},
    "REGNO": {"systems": {"airas"}, "stage": "review",
              "message": "自動車登録番号が自動車検査証の記録と一致しません。"},
    "USER": {"systems": {"airas"}, "stage": "review",
             "message": "使用者の氏名又は住所が自動車検査証の記録と一致しません。"},
    # AIRAS finds it at review; AINAS at 依頼受付, where it can see the 保適証's 申請種別.
    "KIND-MISMATCH": {"systems": {"airas", "ainas"}, "stage": "review", "ainas_stage": "sync",
                      "message": "保適証の申請種別が申請方法と一致しません。"},
    "NOT-IN-AIRAS": {"systems": {"ainas"}, "stage": "sync", "message": "保安基準適合証の情報が取得できませんでした。"},
    "CONSENT": {"systems": {"ainas"}, "stage": "sync", "message": "使用者の承諾書が確認できません。"},
}



def stage(code: str, system: str) -> str:
    reason = REASONS[code]
    return reason.get(f"{system}_stage", reason["stage"])


VALIDATION_MESSAGE = "必須項目が入力されていないか、形式が正しくありません。"
IDEMPOTENCY_CONFLICT_MESSAGE = "同じ送信キーで異なる内容が送信されました。"
NOT_DELETABLE_MESSAGE = "現在のステータスでは削除できません。"
# 引戻し and the corrected 登録 (outside-systems.md §5.2, §5.4; wording [I]).
NOT_PULLABLE_MESSAGE = "現在のステータスでは引戻しできません。"
NOT_PULLABLE_FILED_MESSAGE = "現在のステータスでは引戻しできません。申請代理人に連絡してください。"
NOT_PULLED_BACK_MESSAGE = "引戻しされていない保適証は訂正できません。"
UNCORRECTABLE_MESSAGE = "この項目は訂正できません。保適証を削除して新たに作成してください。"
# Items a correction may not change (§1.5: [S] for the first three, [I] for 検査年月日 and 検査員).
UNCORRECTABLE_FIELDS = ("vehicle_kind", "chassis_number", "issue_date", "inspection_date", "inspector_code")
RECORD_NOT_FOUND_MESSAGE = "指定されたデータがありません。"
WEIGHT_TAX_NOT_FOUND_MESSAGE = "該当する車両情報がありません。"
SERVER_ERROR_MESSAGE = "システムエラーが発生しました。しばらくしてから再度お試しください。"

# A 車台番号 ending in one of these triggers the fault every time (outside-systems.md §5.4).
CHASSIS_SUFFIX_FAULTS = {
    "-9000127": "E127",  # the e-JIBAI record never arrives (a wrong number)
    "-9000409": "DUP",
    "-9000001": "VIN-KIND",
    "-9000002": "REGNO",
}

SERVICE_NAMES = {
    "airas": "保適証サービス",
    "ainas": "OSS申請共同利用システム",
    "mlit": "次回自動車重量税額照会サービス",
    "kei": "軽自動車次回重量税額照会サービス",
    "jibai": "自賠責保険証明書情報照会",
    "parking": "放置違反金照会",
}

# Opening hours, Asia/Tokyo, every day except the year-end closure (§5.1; [S][A13], [O][E2]).
DEFAULT_HOURS = {
    "airas": {"open": "08:00", "close": "20:00"},
    "ainas": {"open": "08:00", "close": "22:00"},
    "mlit": {"open": "08:00", "close": "23:00"},
    "kei": {"open": "08:00", "close": "23:00"},
    # cchecks: e-JIBAI check as AIRAS's hours; the 放置違反金 query [I] placeholder hours.
    "jibai": {"open": "08:00", "close": "20:00"},
    "parking": {"open": "08:00", "close": "20:00"},
}
YEAR_END_CLOSED = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))

# AIRAS reports to MOTAS in batches at fixed times ([O] that they exist; the times are [I]).
REALISTIC_REPORT_TIMES = ["09:00", "11:00", "13:00", "15:00", "17:00", "19:00"]

FEE_PER_REGISTRATION_YEN = 36  # AIRAS fee per 登録 ([S][A4])
AGENT_FEE_PER_FILING_YEN = 208  # 日整連 proxy fee per filing (2017, [S])

# Time profiles (§5.1). Tests start from "instant" and override what they need.
PROFILES = {
    # instant: AINAS requests stay 依頼受付 (ainas_step_seconds 0), so a 保適証 stays 作成済.
    "instant": {"link_delay_seconds": 0.0, "review_delay_seconds": 0.0, "ainas_step_seconds": 0.0,
                "report_times": [], "enforce_hours": False},
    "fast": {"link_delay_seconds": 3.0, "review_delay_seconds": 20.0, "ainas_step_seconds": 15.0,
             "report_times": [], "enforce_hours": False},
    "realistic": {"link_delay_seconds": 5.0, "review_delay_seconds": 3600.0, "ainas_step_seconds": 1800.0,
                  "report_times": REALISTIC_REPORT_TIMES, "enforce_hours": True},
}
