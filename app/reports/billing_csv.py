"""Per-site invoice detail as CSV for Excel users in Japan (billing-formats.md §4).

Encoding, the cp932 check and the formula guard are those of every CSV the product writes
(``app/reports/csv_export.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from app.domain.invoice_tax import rate_percent_label
from app.domain.prices import KIND_LABELS
from app.reports.csv_export import ENCODINGS, CsvEncodingError, render_csv

__all__ = ["COLUMNS", "CsvEncodingError", "InvoiceSummary", "render_invoice_csv"]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _month_text(value: Any) -> str:
    """「2026年5月分」: Excel turns "2026-05" (and 「2026年5月」) into a date; this stays text."""
    year, month = str(value).split("-")
    return f"{int(year)}年{int(month)}月分"


def _code_text(value: Any) -> str:
    """指定番号 as text: Excel drops the leading zeros of a bare number ("0567" → 567), so a
    number alone is written the way the 指定書 names it, 「第0567号」."""
    text = _text(value)
    return f"第{text}号" if text.isascii() and text.isdigit() else text


def _integer(value: Any) -> str:
    # Counts and money are int (yen); a float would be a caller bug that hides rounding.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an int, got {value!r}")
    return str(value)


def _kind(value: Any) -> str:
    try:
        return KIND_LABELS[value]
    except KeyError:
        raise ValueError(f"unknown billable kind {value!r}") from None


def _tax_treatment(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"tax_included must be a bool, got {value!r}")
    return "税込" if value else "税抜"


def _tax_rate(value: Any) -> str:
    if not isinstance(value, Decimal):
        raise ValueError(f"tax_rate must be a Decimal, got {value!r}")
    return rate_percent_label(value)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    render: Callable[[Any], str]


COLUMNS = (
    Column("invoice_number", "請求書番号", _text),
    Column("billing_month", "ご利用月", _month_text),  # "2026-05" → 「2026年5月分」
    Column("business_name", "事業者名", _text),
    Column("site_name", "事業場名", _text),
    Column("designation_number", "指定番号", _code_text),  # None for a certified-only shop
    Column("kind", "区分", _kind),
    Column("quantity", "件数", _integer),
    Column("unit_price_yen", "単価（円）", _integer),
    Column("amount_yen", "金額（円）", _integer),
    Column("tax_included", "税区分", _tax_treatment),
    Column("tax_rate", "税率", _tax_rate),
)


def _table(rows: list[dict]) -> list[list[str]]:
    table = [[c.header for c in COLUMNS]]
    for number, row in enumerate(rows, start=1):
        missing = [c.key for c in COLUMNS if c.key not in row]
        if missing:
            raise ValueError(f"invoice CSV row {number} lacks {', '.join(missing)}")
        cells = [column.render(row[column.key]) for column in COLUMNS]
        # Checked after rendering, which has made sure these are ints.
        expected = row["quantity"] * row["unit_price_yen"]
        if row["amount_yen"] != expected:
            raise ValueError(f"invoice CSV row {number}: amount_yen {row['amount_yen']} != quantity × unit price {expected}")
        table.append(cells)
    return table


@dataclass(frozen=True)
class InvoiceSummary:
    """What the 適格請求書 states beside the lines: the issuer's 登録番号, per tax rate the total
    and its 消費税額等, and the amount billed (billing-formats.md §3.1 items 1, 4, 5)."""

    invoice_number: str
    billing_month: str  # "2026-05"
    business_name: str
    issuer_name: str
    registration_number: str  # "T" + 13 digits
    rate_totals: list  # Invoice.rate_totals: [{"tax_rate", "tax_included", "gross_yen", "tax_yen", ...}]
    total_yen: int


def _summary_rows(summary: InvoiceSummary) -> list[list[str]]:
    def row(label, amount="", treatment="", rate=""):
        return [summary.invoice_number, _month_text(summary.billing_month), summary.business_name, "", "",
                label, "", "", amount, treatment, rate]

    rows = []
    for total in summary.rate_totals:
        rate = _tax_rate(Decimal(total["tax_rate"]))
        rows.append(row(f"{rate}対象 合計", _integer(total["gross_yen"]), "税込", rate))
        rows.append(row(f"{rate}対象 うち消費税等", _integer(total["tax_yen"]), "", rate))
    rows.append(row("ご請求額（税込）", _integer(summary.total_yen), "税込"))
    rows.append(row(f"適格請求書発行事業者 {summary.issuer_name} 登録番号 {summary.registration_number}"))
    return rows


def render_invoice_csv(rows: list[dict], encoding: str = "utf-8-sig", summary: InvoiceSummary | None = None) -> bytes:
    """The per-site detail lines of an invoice as CSV bytes with a Japanese header row, then
    (with ``summary``) rows for each tax rate's total and tax, the amount billed and the issuer's
    登録番号, labelled in the 区分 column with the amount in the 金額 column.

    Each row is a dict with the keys of ``COLUMNS`` (``kind`` a billable kind, money in int yen,
    ``tax_rate`` a Decimal, ``tax_included`` a bool). ``encoding`` is ``"utf-8-sig"`` (UTF-8 with
    BOM) or ``"cp932"``; cp932 raises ``CsvEncodingError`` when a character cannot be encoded.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    table = _table(rows)
    if summary is not None:
        table += _summary_rows(summary)
    return render_csv(table[0], table[1:], encoding)
