"""Client for the e-JIBAI check: does this 自賠責 (証明書番号 + 保険会社) have electronic data?

AIRAS's browser shows 「手入力(電子情報あり)」 or plain 「手入力」 for the same two items; shops
use it to choose OSS or hybrid before sending (shop-workflow.md §3). The sandbox plays it under
``{base}/jibai``. Wire format: docs/integrations.md, "e-JIBAI check".
"""
from __future__ import annotations

from datetime import datetime

from app.integrations.base import JST, OutsideSystemClient


class JibaiClient(OutsideSystemClient):
    system = "jibai"

    @property
    def system_name(self) -> str:
        return "自賠責の電子情報の照会"

    def lookup(self, certificate_number: str, insurer_name: str) -> dict:
        """{"electronic": bool, "chassis_number", "issued_at" (aware datetime or None),
        "start_date", "end_date"}; an unknown certificate is an answer (electronic False)."""
        body, response = self._request("GET", "/v1/certificates", params={
            "certificate_number": certificate_number, "insurer_name": insurer_name})
        self._expect(body, response, "electronic")
        if not isinstance(body["electronic"], bool):
            raise self._protocol_error(response, f"electronic is not a boolean: {body['electronic']!r}")
        issued_at = None
        if body.get("issued_at"):
            try:
                issued_at = datetime.fromisoformat(body["issued_at"])
            except (TypeError, ValueError):
                raise self._protocol_error(response, f"issued_at is not ISO 8601: {body['issued_at']!r}") from None
            issued_at = issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=JST)
        return {"electronic": body["electronic"], "chassis_number": body.get("chassis_number"),
                "issued_at": issued_at, "start_date": body.get("start_date"), "end_date": body.get("end_date")}
