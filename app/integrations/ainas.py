"""Client for AINAS (OSS申請共同利用システム): send the OSS申請依頼データ and follow it.

The shop is the 依頼人; the 代理人 (日整連 支部) files it. AINAS's layout and status names are
not public, so the status words below are our placeholders ([I], outside-systems.md §2.3, §5.5).
"""

from __future__ import annotations

from urllib.parse import quote

from app.integrations.base import OutsideSystemClient

# AINAS status word -> our OSS request status code.
AINAS_STATUS_CODES = {
    "依頼受付": "accepted",
    "申請中": "filing",
    "納付済": "paid",
    "審査中": "under_review",
    "補正": "correction_requested",
    "差戻": "returned",
    "却下": "rejected",
    "取下げ": "withdrawn",
    "手続完了": "completed",
}
FINAL_STATUS_CODES = frozenset({"completed", "rejected", "withdrawn"})

# 電子車検証更新区分: who writes the new validity into the e-車検証 ("requester" = the shop as
# 記録等事務代行者, 「依頼人(申請個別指定)」 [S][B8]; the other two values are [I]).
CERTIFICATE_UPDATE_BY = ("requester", "agent", "office")

OSS_REQUEST_REQUIRED_FIELDS = (
    "site_code",
    "application_agent",
    "vehicle_kind",
    "chassis_number",
    "user_of_vehicle",
    "consent_obtained",
    "validity_years",
    "odometer_km",
    "weight_tax_yen",
    "inspection_fee_yen",
    "certificate_update_by",
)
OSS_REQUEST_OPTIONAL_FIELDS = (
    "registration_number",
    "airas_id",
    "weight_tax_basis",  # "standard" / "eco" / "aged"
    "recording_agent_number",  # 委託番号 of the 記録等事務代行者 (required for kei when "requester")
)


class AinasClient(OutsideSystemClient):
    system = "ainas"

    def submit_request(self, payload: dict, idempotency_key: str) -> dict:
        """Send the 申請依頼. Sending the same key again returns the request already stored."""
        body, response = self._request("POST", "/v1/requests", payload=payload,
                                       idempotency_key=idempotency_key)
        return self._request_result(body, response)

    def get_status(self, request_id: str) -> dict:
        body, response = self._request("GET", f"/v1/requests/{quote(request_id, safe='')}")
        return self._request_result(body, response)

    def _request_result(self, body: dict, response) -> dict:
        result = self._status_result(body, response, id_field="request_id",
                                     status_codes=AINAS_STATUS_CODES, raw_field="ainas_status")
        result["final"] = result["status"] in FINAL_STATUS_CODES
        result["paid_lines"] = body.get("paid_lines", [])
        return result
