"""Every CSV the product writes goes through this module (billing-formats.md §4, issue 14.8).

It decides three things once for all of them:

- **Formula guard** (OWASP "CSV Injection"): Excel runs a cell that starts with ``=``, ``+``,
  ``@``, a tab or a CR, or ``-`` as a formula. Every cell is checked, not only the ones that hold
  names, because any value may have been typed by someone (an inspector named
  ``=HYPERLINK(...)``). Such a cell gets a leading ``'``, which Excel shows as text. A ``-`` cell
  is left alone only when it is a plain negative number (``-120``, ``-1,200``): a refund must stay
  a number, but ``-2+3+cmd|...`` must not run. The full-width ``＝ ＋ ＠`` are treated the same,
  because Japanese Excel takes them as the start of a formula when they are typed [I].
- **Encodings**: UTF-8 with BOM (what Excel needs to read UTF-8) by default, cp932 as the option;
  a cp932 export maps a few look-alikes to the cp932 form Windows uses and refuses anything else it
  cannot hold, with a Japanese message naming row, column and character. Never silently.
- **The content type**: one ``charset`` per encoding, the one that matches the bytes.

Lines end in CR LF; fields are quoted only where RFC 4180 needs it (``csv.QUOTE_MINIMAL``).
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Sequence

# encoding → the Content-Type of the bytes it produces (one charset each).
CONTENT_TYPES = {
    "utf-8-sig": "text/csv; charset=utf-8",
    "cp932": "text/csv; charset=shift_jis",
}
ENCODINGS = tuple(CONTENT_TYPES)

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

_FORMULA_STARTS = ("=", "+", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff20")
_NEGATIVE_NUMBER = re.compile(r"-\d[\d,]*(\.\d+)?")


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


def neutralise(cell: str) -> str:
    """The cell as Excel should show it: text, never a formula."""
    if cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    if cell.startswith("-") and not _NEGATIVE_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def content_type(encoding: str) -> str:
    _check_encoding(encoding)
    return CONTENT_TYPES[encoding]


def _check_encoding(encoding: str) -> None:
    if encoding not in CONTENT_TYPES:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")


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


def render_csv(header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8-sig") -> bytes:
    """``header`` and ``rows`` as CSV bytes; ``None`` is an empty cell, everything else ``str()``.

    Raises ``CsvEncodingError`` when ``encoding`` is ``"cp932"`` and a character cannot be held.
    """
    _check_encoding(encoding)
    table = [[neutralise("" if cell is None else str(cell)) for cell in cells] for cells in [header, *rows]]
    if encoding == "cp932":
        table = [[cell.translate(CP932_LOOKALIKES) for cell in cells] for cells in table]
        problems = _cp932_problems(table)
        if problems:
            raise CsvEncodingError(problems)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(table)
    return buffer.getvalue().encode(encoding)
