"""Client for the 次回自動車重量税額照会 services: MLIT's for registered cars, the kei one for kei.

Both take a 車台番号 (all characters, half-width) and an optional 検査予定日 and answer the
weight tax due at the next 継続検査 (outside-systems.md §4). Their data reflects filings up to
the previous day, so an amount is a cross-check beside our own computation, never the only source.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import requests

from app.integrations.base import DEFAULT_TIMEOUT, OutsideRejectedError, OutsideSystemClient, parse_date

NOT_FOUND_CODE = "NOT-FOUND"


class _InquiryService(OutsideSystemClient):
    def __init__(self, system: str, base_url: str, timeout, session):
        self.system = system
        super().__init__(base_url, timeout, session)

    def lookup(self, chassis_number: str, on_date: date | None) -> dict:
        params = {"chassis_number": chassis_number}
        if on_date is not None:
            params["planned_inspection_date"] = on_date.isoformat()
        try:
            body, response = self._request("GET", "/v1/next-weight-tax", params=params)
        except OutsideRejectedError as exc:
            if exc.code != NOT_FOUND_CODE:
                raise
            return {"found": False, "amount_yen": None, "basis_date": None,
                    "message": exc.reason or "該当する車両情報がありません。", "system": self.system}
        self._expect(body, response, "weight_tax_yen")
        amount = body["weight_tax_yen"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise self._protocol_error(response, f"weight_tax_yen is not a yen amount: {amount!r}")
        return {"found": True, "amount_yen": amount, "basis_date": parse_date(body.get("basis_date")),
                "message": body.get("notes") or "", "system": self.system}


class WeightTaxInquiryClient:
    """Ask the right inquiry service for the weight tax of the next 継続検査.

    `base_url` is MLIT's (registered cars), `kei_base_url` the kei service's.
    """

    def __init__(self, base_url: str, kei_base_url: str, timeout=DEFAULT_TIMEOUT,
                 session: requests.Session | None = None):
        session = session or requests.Session()
        self._services = {
            "registered": _InquiryService("mlit", base_url, timeout, session),
            "kei": _InquiryService("kei", kei_base_url, timeout, session),
        }

    def lookup(self, chassis_number: str, vehicle_kind: str, on_date: date | None = None) -> dict:
        """{"found", "amount_yen" (int or None), "basis_date", "message", "system"}.

        An unknown 車台番号 is an answer (found=False, the service's message), not an error.
        """
        service = self._services.get(vehicle_kind)
        if service is None:
            raise ValueError(f"no weight-tax inquiry for vehicle_kind {vehicle_kind!r}")
        # The services want half-width characters; a full-width 車台番号 from an IME is the same number.
        normalised = unicodedata.normalize("NFKC", chassis_number).strip()
        return service.lookup(normalised, on_date)
