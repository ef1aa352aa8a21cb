"""記録事務代行 (issue 15.7, shop-workflow.md §7): the 電子車検証更新区分 chosen in the wizard, the
site's 委託番号 as 記録等事務代行者, and the blockers checked before sending.

Only OSS filings can use it; a hybrid 保適証 is excluded. Kei is excluded when the 車検証 is the old
paper A4 one, when the printed face would change, or when a paper must be shown (放置違反金 receipt,
軽自動車税 arrears) [S]. A kei filing that uses it carries the site's 委託番号 [S]; for registered
cars the number is not sent (whether AINAS wants it is not known [I]).
"""
from __future__ import annotations

import re
import unicodedata

from app import audit
from app.models.tenancy import Site
from app.services.certificates.common import CertificateInputError

REQUESTER = "requester"  # 「依頼人(申請個別指定)」: the shop rewrites the e-車検証 itself
UPDATE_BY_LABELS = {
    REQUESTER: "依頼人(申請個別指定)・記録事務代行(当事業場で電子車検証を書き換える)",
    "agent": "代理人",
    "office": "運輸支局・軽自動車検査協会",
}
# The kei cases that exclude 記録事務代行: form field -> what the clerk ticks.
KEI_EXCLUSIONS = {
    "kei_paper_certificate": "車検証が紙(A4)のままの",
    "face_changes": "車検証の券面の記載事項(氏名・住所など)が変わる",
    "paper_to_show": "窓口で提示する書類(放置違反金の納付書、軽自動車税の滞納分の納税証明書など)がある",
}
AGENT_NUMBER_RE = re.compile(r"[0-9A-Z\-]{1,20}")

audit.ACTION_LABELS.update({"recording_agent_number": "記録等事務代行者の委託番号"})


def default_update_by(site):
    """A site registered as 記録等事務代行者 (it has a 委託番号) rewrites by default."""
    return REQUESTER if site is not None and site.recording_agent_number else "office"


def inspection_values(form, site, application_type):
    """The inspection step's 記録事務代行 choices, as stored in the draft."""
    update_by = form.get("certificate_update_by") or (default_update_by(site) if application_type == "oss" else "")
    if update_by and update_by not in UPDATE_BY_LABELS:
        raise CertificateInputError("電子車検証更新区分を選び直してください。")
    return {"certificate_update_by": update_by,
            "delegation_checks": {key: form.get(key) in ("y", "on", "1", True) for key in KEI_EXCLUSIONS}}


def problems(vehicle_kind, inspection, site):
    """Why 記録事務代行 cannot be used for this filing (Japanese), or []: the pre-flight's entries."""
    if inspection.get("certificate_update_by") != REQUESTER:
        return []
    other = f"電子車検証更新区分を「{UPDATE_BY_LABELS['office']}」にしてください。"
    if inspection.get("application_type") != "oss":
        return ["記録事務代行(電子車検証更新区分「依頼人(申請個別指定)」)はOSS申請だけです。ハイブリッド申請(窓口申請)では"
                + other]
    if vehicle_kind != "kei":
        return []
    found = []
    if not (site and site.recording_agent_number):
        found.append("軽自動車の記録事務代行には事業場の委託番号(記録等事務代行者)が必要です。「記録等事務代行の設定」で"
                     "委託番号を登録するか、" + other)
    checks = inspection.get("delegation_checks") or {}
    found += [f"{label}軽自動車は記録事務代行の対象外です。{other}"
              for key, label in KEI_EXCLUSIONS.items() if checks.get(key)]
    return found


def oss_fields(vehicle_kind, inspection, site):
    """The 申請依頼's 電子車検証更新区分 and, for kei with 記録事務代行, the site's 委託番号."""
    update_by = inspection.get("certificate_update_by") or REQUESTER  # drafts from before 15.7
    fields = {"certificate_update_by": update_by}
    if update_by == REQUESTER and vehicle_kind == "kei" and site.recording_agent_number:
        fields["recording_agent_number"] = site.recording_agent_number
    return fields


def set_recording_agent_number(session, tenant, site_id, value):
    """A site's 委託番号 (empty clears it), audited; tenant explicit."""
    if not tenant.owns_site(site_id):
        raise CertificateInputError("事業場を選び直してください。")
    number = unicodedata.normalize("NFKC", value or "").strip().upper()
    if number and not AGENT_NUMBER_RE.fullmatch(number):
        raise CertificateInputError(f"委託番号「{value}」は半角の英数字とハイフン(20文字まで)で入力してください。")
    site = session.get(Site, site_id)
    before = site.recording_agent_number
    site.recording_agent_number = number or None
    audit.record(session, "recording_agent_number", entity=site,
                 detail=f"{site.name}: {before or '(なし)'} → {number or '(なし)'}")
    session.flush()
    return site
