"""Client for AIRAS (保適証サービス): register an electronic 保適証 and read its status back.

The payload uses our field names (docs/integrations.md, "AIRAS"); AIRAS's own status words
(ステータス, 報告状況) come back raw next to our status code, because shops and support quote them.
"""

from __future__ import annotations

from urllib.parse import quote

from app.integrations.base import OutsideSystemClient

# AIRAS ステータス -> our certificate status code (glossary "Status words (certificate)").
# 作成中 after an accepted upload means AIRAS has the data but has not finished registering it.
AIRAS_STATUS_CODES = {
    "作成中": "sent",
    "作成済": "linked",
    "報告済": "reported",
    "申請完": "completed",
    "却下": "rejected",
    "削除": "deleted",
}
# 作成済 "or later" is the billable moment (連携済).
LINKED_STATUS_CODES = frozenset({"linked", "reported", "completed"})

APPLICATION_TYPES = ("oss", "hybrid")  # 申請種別: OSS申請 / 窓口申請
VEHICLE_KINDS = ("registered", "kei", "motorcycle")  # 自動車区分 (AIRAS code list unknown: [I])

CERTIFICATE_REQUIRED_FIELDS = (
    "application_type",
    "site_code",
    "inspector_code",
    "vehicle_kind",
    "chassis_number",
    "inspection_date",
    "issue_date",
    "odometer_km",
    "compulsory_insurance",
    "user_of_vehicle",
)
CERTIFICATE_OPTIONAL_FIELDS = (
    "registration_number",  # {"plate_area","plate_class","plate_kana","plate_serial"}; null for 中古新規
    "certificate_valid_until",
    "last_application_date",
    "new_expiry_date",
)
INSURANCE_FIELDS = ("certificate_number", "insurer_name", "start_date", "end_date", "electronic")


class AirasClient(OutsideSystemClient):
    system = "airas"

    def submit_certificate(self, payload: dict, idempotency_key: str) -> dict:
        """Register a 保適証. Sending the same key again returns the record already stored."""
        body, response = self._request("POST", "/v1/certificates", payload=payload,
                                       idempotency_key=idempotency_key)
        return self._certificate_result(body, response)

    def get_status(self, airas_id: str) -> dict:
        body, response = self._request("GET", f"/v1/certificates/{quote(airas_id, safe='')}")
        return self._certificate_result(body, response)

    def delete_certificate(self, airas_id: str) -> dict:
        """削除 at AIRAS (a new 保適証 afterwards costs AIRAS's fee again).

        Deleting a 保適証 already deleted answers the deleted record (replayed), so a retry
        after a lost answer succeeds.
        """
        body, response = self._request("DELETE", f"/v1/certificates/{quote(airas_id, safe='')}")
        return self._certificate_result(body, response)

    def pull_back_certificate(self, airas_id: str) -> dict:
        """引戻し: AIRAS puts the 保適証 back to 作成中 so that it can be corrected.

        Calling it again for a 保適証 already pulled back answers the same record (replayed).
        """
        body, response = self._request("POST", f"/v1/certificates/{quote(airas_id, safe='')}/pullback")
        return self._certificate_result(body, response)

    def resubmit_certificate(self, airas_id: str, payload: dict, idempotency_key: str) -> dict:
        """Register the corrected 保適証 again under its 交付番号 (after 引戻し).

        Each correction needs its own key: the key of the first 登録 or of an earlier correction
        with another body is an IDEMPOTENCY-CONFLICT, not a replay.
        """
        body, response = self._request("PUT", f"/v1/certificates/{quote(airas_id, safe='')}", payload=payload,
                                       idempotency_key=idempotency_key)
        return self._certificate_result(body, response)

    def _certificate_result(self, body: dict, response) -> dict:
        result = self._status_result(body, response, id_field="airas_id",
                                     status_codes=AIRAS_STATUS_CODES, raw_field="airas_status")
        result["issue_number"] = body.get("issue_number")
        result["report_status"] = body.get("report_status")
        result["chassis_number"] = body.get("chassis_number")  # whose 保適証 AIRAS answered about
        result["linked"] = result["status"] in LINKED_STATUS_CODES
        return result
