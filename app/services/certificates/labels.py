"""The Japanese words for certificate statuses and the wizard's choices (screens, PDFs, lists)."""


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
APPLICATION_TYPE_LABELS = {"oss": "OSS申請", "hybrid": "ハイブリッド申請(窓口申請)"}
AIRAS_APPLICATION_TYPE_LABELS = {"oss": "OSS申請", "hybrid": "窓口申請"}
USE_LABELS = {"private": "自家用", "business": "事業用"}
BODY_LABELS = {"passenger": "乗用", "truck": "貨物", "bus": "乗合", "special": "特種"}
ECO_LABELS = {"": "該当なし(経年で判定)", "standard_rate": "エコカー(本則税率)", "exempt": "エコカー(免税)"}


# 申請代理人 (renewal-rules.md §7): 全軽自協 only for kei.
APPLICATION_AGENTS = {"jaspa": "日整連(支部)", "gyoseishoshi": "行政書士", "jada": "自販連",
                      "zenkeijikyo": "全軽自協"}
KEI_ONLY_AGENTS = {"zenkeijikyo"}
