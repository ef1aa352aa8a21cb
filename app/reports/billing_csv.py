"""Per-site invoice detail as CSV for Excel users in Japan (billing-formats.md §4).

UTF-8 with BOM is the default (Excel then reads UTF-8); cp932 is the option for importers that
need Shift_JIS. Lines end in CR LF and fields are quoted only when they contain a comma, a
double quote or a line break (RFC 4180, ``csv.QUOTE_MINIMAL``).

A cp932 export never changes a character silently: a few look-alikes are mapped to the cp932
form Windows itself uses (§4 "Handling"), and any other character cp932 cannot hold stops the
export with a Japanese message listing row, column and character.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from app.domain.invoice_tax import rate_percent_label
from app.domain.prices import KIND_LABELS

ENCODINGS = ("utf-8-sig", "cp932")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


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
    # Free text typed by people: guarded against spreadsheet formula injection.
    user_text: bool = False


COLUMNS = (
    Column("invoice_number", "請求書番号", _text),
    Column("billing_month", "ご利用月", _text),  # e.g. "2026-05"; keep it text in the caller
    Column("business_name", "事業者名", _text, user_text=True),
    Column("site_name", "事業場名", _text, user_text=True),
    Column("designation_number", "指定番号", _text),  # None for a certified-only shop
    Column("kind", "区分", _kind),
    Column("quantity", "件数", _integer),
    Column("unit_price_yen", "単価（円）", _integer),
    Column("amount_yen", "金額（円）", _integer),
    Column("tax_included", "税区分", _tax_treatment),
    Column("tax_rate", "税率", _tax_rate),
)

# Characters with a cp932 form that Windows itself produces for them (§4 "Handling").
CP932_LOOKALIKES = str.maketrans(
    {
        "\u301c": "\uff5e",  # 〜 WAVE DASH → ～
        "\u2212": "\uff0d",  # − MINUS SIGN → －
        "\u2016": "\u2225",  # ‖ → ∥
        "\u2014": "\u2015",  # — EM DASH → ―
        "\u00a0": " ",  # NO-BREAK SPACE → space
    }
)

# OWASP "CSV Injection": Excel runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvEncodingError(ValueError):
    """Characters that the chosen encoding cannot hold; the message is for the user."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems  # (row number counting the header as 1, column header, character)
        shown = "、".join(f"{row}行目「{header}」の「{char}」" for row, header, char in problems[:10])
        more = f" ほか{len(problems) - 10}件" if len(problems) > 10 else ""
        super().__init__(
            f"Shift_JIS（cp932）で表せない文字があるため出力できません: {shown}{more}。"
            "UTF-8（BOM付き）で出力するか、該当する名称を修正してから出力してください。"
        )


def _guard_formula(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _table(rows: list[dict]) -> list[list[str]]:
    table = [[c.header for c in COLUMNS]]
    for number, row in enumerate(rows, start=1):
        missing = [c.key for c in COLUMNS if c.key not in row]
        if missing:
            raise ValueError(f"invoice CSV row {number} lacks {', '.join(missing)}")
        cells = []
        for column in COLUMNS:
            cell = column.render(row[column.key])
            cells.append(_guard_formula(cell) if column.user_text else cell)
        # Checked after rendering, which has made sure these are ints.
        expected = row["quantity"] * row["unit_price_yen"]
        if row["amount_yen"] != expected:
            raise ValueError(f"invoice CSV row {number}: amount_yen {row['amount_yen']} != quantity × unit price {expected}")
        table.append(cells)
    return table


def _cp932_problems(table: list[list[str]]) -> list[tuple[int, str, str]]:
    problems = []
    headers = table[0]
    for row_number, cells in enumerate(table, start=1):
        for header, cell in zip(headers, cells):
            for char in cell:
                try:
                    char.encode("cp932")
                except UnicodeEncodeError:
                    problems.append((row_number, header, char))
    return problems


def render_invoice_csv(rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    """The per-site detail lines of an invoice as CSV bytes with a Japanese header row.

    Each row is a dict with the keys of ``COLUMNS`` (``kind`` a billable kind, money in int yen,
    ``tax_rate`` a Decimal, ``tax_included`` a bool). ``encoding`` is ``"utf-8-sig"`` (UTF-8 with
    BOM) or ``"cp932"``; cp932 raises ``CsvEncodingError`` when a character cannot be encoded.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    table = _table(rows)
    if encoding == "cp932":
        table = [[cell.translate(CP932_LOOKALIKES) for cell in cells] for cells in table]
        problems = _cp932_problems(table)
        if problems:
            raise CsvEncodingError(problems)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(table)
    return buffer.getvalue().encode(encoding)
