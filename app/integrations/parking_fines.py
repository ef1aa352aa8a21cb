"""Client for the 放置違反金 query by plate (a 日整連 system; shop-workflow.md §6).

The answer is only a possibility, 有 or 無. On 有 the shop FAXes the police a 同意書兼照会書 and
records their answer before the car goes further. The sandbox plays it under ``{base}/parking``.
Wire format: docs/integrations.md, "放置違反金 query".
"""
from __future__ import annotations

from datetime import datetime

from app.integrations.base import JST, OutsideSystemClient

POSSIBILITIES = ("有", "無")


class ParkingFineClient(OutsideSystemClient):
    system = "parking"

    @property
    def system_name(self) -> str:
        return "放置違反金の照会"

    def query(self, plate: dict, chassis_number: str) -> dict:
        """{"query_id", "possibility" ("有"/"無"), "answered_at" (aware datetime)}."""
        body, response = self._request("POST", "/v1/queries", payload={
            "registration_number": {k: plate.get(k) or "" for k in ("area", "class", "kana", "serial")},
            "chassis_number": chassis_number})
        self._expect(body, response, "query_id", "possibility", "answered_at")
        if body["possibility"] not in POSSIBILITIES:
            raise self._protocol_error(response, f"unknown possibility {body['possibility']!r}")
        try:
            answered_at = datetime.fromisoformat(body["answered_at"])
        except (TypeError, ValueError):
            raise self._protocol_error(response, f"answered_at is not ISO 8601: {body['answered_at']!r}") from None
        return {"query_id": body["query_id"], "possibility": body["possibility"],
                "answered_at": answered_at if answered_at.tzinfo else answered_at.replace(tzinfo=JST)}
