"""Effective-dated unit prices per billable kind.

The prices are rows with a date, not code: shipped in ``data/prices.json`` (the seed), kept by the
association in the ``unit_price`` table (``services/fees.price_table`` builds a ``PriceTable``
from it). Whether 31 円 / 33 円 include consumption tax is not stated by the product guide;
the decision (tax-included) and its reasoning are recorded in the data file itself
(billing-formats.md §3.3).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

PRICES_PATH = Path(__file__).parent / "data" / "prices.json"

# The billable kinds (glossary: 保適証 = certificate, 記録簿 = record).
CERTIFICATE = "certificate"
RECORD = "record"
BILLABLE_KINDS = (CERTIFICATE, RECORD)
# How each kind is named on invoices and in the CSV detail (billing-formats.md §3.1 item 3).
KIND_LABELS = {CERTIFICATE: "電子保適証作成", RECORD: "記録簿作成"}


class PriceDataError(ValueError):
    """The price data file is malformed."""


class PriceNotFound(LookupError):
    """No price row covers the requested kind and date."""


@dataclass(frozen=True)
class Price:
    kind: str
    amount_yen: int
    tax_included: bool
    # Combined national + local rate as an exact decimal (Decimal("0.10") = 10%).
    tax_rate: Decimal
    effective_from: dt.date
    source: str


class PriceTable:
    """All price rows, answering "what did one unit of this kind cost on that day"."""

    def __init__(self, prices: list[Price]):
        self._by_kind: dict[str, list[Price]] = {}
        for price in prices:
            self._by_kind.setdefault(price.kind, []).append(price)
        for kind, rows in self._by_kind.items():
            rows.sort(key=lambda p: p.effective_from)
            dates = [p.effective_from for p in rows]
            if len(set(dates)) != len(dates):
                raise PriceDataError(f"kind {kind!r} has two prices with the same effective_from")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PriceTable:
        try:
            rows = data["prices"]
        except (KeyError, TypeError) as exc:
            raise PriceDataError("price data must be an object with a 'prices' list") from exc
        return cls([_parse_row(i, row) for i, row in enumerate(rows)])

    @classmethod
    def from_file(cls, path: Path) -> PriceTable:
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def all_prices(self) -> list[Price]:
        return [price for kind in BILLABLE_KINDS for price in self._by_kind.get(kind, [])]

    def unit_price(self, kind: str, on_date: dt.date) -> Price:
        if isinstance(on_date, dt.datetime) or not isinstance(on_date, dt.date):
            # The billable moment must already be reduced to its Japan-time date by the caller.
            raise TypeError(f"expected a datetime.date in Japan time, got {type(on_date).__name__}")
        rows = self._by_kind.get(kind)
        if not rows:
            raise PriceNotFound(f"no price for kind {kind!r}")
        applicable = [p for p in rows if p.effective_from <= on_date]
        if not applicable:
            raise PriceNotFound(
                f"no price for kind {kind!r} on {on_date.isoformat()}; "
                f"the first one starts {rows[0].effective_from.isoformat()}"
            )
        return applicable[-1]


def _parse_row(index: int, row: dict[str, Any]) -> Price:
    where = f"prices[{index}]"
    try:
        kind = row["kind"]
        amount = row["amount_yen"]
        tax_included = row["tax_included"]
        rate_text = row["tax_rate"]
        effective_from = dt.date.fromisoformat(row["effective_from"])
        source = row["source"]
    except KeyError as exc:
        raise PriceDataError(f"{where}: missing field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise PriceDataError(f"{where}: effective_from must be an ISO date") from exc
    if kind not in BILLABLE_KINDS:
        raise PriceDataError(f"{where}: unknown kind {kind!r}")
    # bool is an int subclass; a price of True yen is a data error, not 1 yen.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise PriceDataError(f"{where}: amount_yen must be a non-negative integer")
    if not isinstance(tax_included, bool):
        raise PriceDataError(f"{where}: tax_included must be true or false")
    try:
        # A string keeps the rate exact; a JSON float (0.1) would not be.
        if not isinstance(rate_text, str):
            raise InvalidOperation
        tax_rate = Decimal(rate_text)
    except InvalidOperation as exc:
        raise PriceDataError(f"{where}: tax_rate must be a decimal string such as \"0.10\"") from exc
    if not Decimal(0) <= tax_rate < Decimal(1):
        raise PriceDataError(f"{where}: tax_rate must be between 0 and 1")
    if not isinstance(source, str) or not source.strip():
        raise PriceDataError(f"{where}: source must name where the price comes from")
    return Price(kind, amount, tax_included, tax_rate, effective_from, source)


@lru_cache(maxsize=1)
def default_price_table() -> PriceTable:
    return PriceTable.from_file(PRICES_PATH)


def price_seed_rows() -> list[dict[str, Any]]:
    """The shipped prices as rows of the unit_price table (its seed)."""
    return [{"kind": p.kind, "amount_yen": p.amount_yen, "tax_included": p.tax_included,
             "tax_rate": str(p.tax_rate), "effective_from": p.effective_from, "source": p.source}
            for p in PriceTable.from_file(PRICES_PATH).all_prices()]


def unit_price(kind: str, on_date: dt.date, table: PriceTable | None = None) -> Price:
    """The price of one unit of ``kind`` on ``on_date`` (the Japan date of the billable moment)."""
    return (table or default_price_table()).unit_price(kind, on_date)
