"""Inspection forms of 自動車点検基準 別表第３〜第６ and the results entered on them.

The law is data: ``beppyo3.json`` … ``beppyo6.json`` in this folder hold each table as the
law prints it (devices → parts → checks), with the text version, its source and the
amendments the data covers. This module turns a table into the version in force on a date and
answers which checks an inspection of a given interval includes.

Two columns per table, and the longer one lists only additions (別表第３ 「１２月ごと（３月ごとの
点検に次の点検を加えたもの）」): a 12-month inspection under 別表第３ is every 3-month check plus
every 12-month one. Each check's ``intervals`` lists every inspection at which it is done. In
別表第５ a few checks are printed in both columns (the 6-month entry with a dispensation for
大型特殊自動車); at 12 months only the 12-month entry is done (``superseded_by``).

別表第６ 注①: a car whose first 自動車検査証 runs three years is inspected in year 2 with the
12-month set and in year 3 with the 24-month set; the caller chooses the interval.

Results: each check gets a list of symbols (作業区分). `validate_result` says which
combinations are allowed; `encode_results` / `decode_results` store a record's results in one
short text column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

__all__ = [
    "FORMS",
    "SKIP_SYMBOLS",
    "SYMBOLS",
    "SYMBOL_MEANINGS",
    "WORK_SYMBOLS",
    "Check",
    "Device",
    "Form",
    "Note",
    "Part",
    "applicable_checks",
    "decode_results",
    "encode_results",
    "load_form",
    "validate_result",
]

_DATA_DIR = Path(__file__).parent

FORMS: tuple[str, ...] = ("beppyo3", "beppyo4", "beppyo5", "beppyo6")

# 作業区分 as printed in the legend of the standard forms, in legend order.
SYMBOL_MEANINGS: dict[str, str] = {
    "✓": "点検良好",
    "×": "交換",
    "A": "調整",
    "C": "清掃",
    "T": "締付",
    "L": "給油（水）",
    "O": "分解",
    "△": "修理",
    "P": "省略",
    "/": "該当なし",
    "☆": "省略（走行距離が少ないため・短い周期の欄）",
    "★": "省略（走行距離が少ないため・長い周期の欄）",
}
SYMBOLS: tuple[str, ...] = tuple(SYMBOL_MEANINGS)
# Symbols that record what was found or done; they may be combined (e.g. T then ✓).
WORK_SYMBOLS = frozenset("✓×ACTL△")
# Symbols that say the check was not done; each stands alone.
SKIP_SYMBOLS = frozenset("P☆★")
NOT_APPLICABLE = "/"
DISASSEMBLED = "O"  # printed as a circle round the other symbols, so never alone

_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")

# Note kinds under which the law lets the check be left undone (行わないことができる).
_SKIPPABLE_KINDS = frozenset({"distance_skip", "platinum_plug_skip", "large_special_optional"})


@dataclass(frozen=True)
class Note:
    """One note of the table's （注）, e.g. ※2 (the distance rule)."""

    mark: str  # "※2"
    kind: str  # distance_skip, passenger_only, distributor_only, ...
    text: str  # the law's wording of the note
    effective_from: date | None = None
    distance_km: int | None = None
    per_months: int | None = None

    @property
    def printed_mark(self) -> str:
        """The mark as the law prints it before a check and in its note: 「（※１）」."""
        return "（" + self.mark.translate(_FULL_WIDTH_DIGITS) + "）"


@dataclass(frozen=True)
class Check:
    id: str  # stable: "<device>.<part>.<law column>.<number>"
    device: str
    part: str
    number: int | None  # the law's number within its cell (None when the cell has one check)
    wording: str  # the law's wording of the 点検内容
    law_column: int  # the interval column the law prints it in (months)
    intervals: tuple[int, ...]  # every inspection (months) at which it is done
    notes: tuple[Note, ...]  # the ※ notes in force that apply to it
    effective_from: date | None = None
    superseded_by: str | None = None
    unconfirmed: bool = False
    unconfirmed_reason: str | None = None
    skip_symbol: str | None = None  # ☆ or ★ when the distance rule lets it be skipped

    @property
    def marks(self) -> tuple[str, ...]:
        return tuple(note.mark for note in self.notes)

    @property
    def label(self) -> str:
        """The wording with its marks and number, as the law prints it."""
        marks = "".join(f"（{mark}）" for mark in self.marks)
        number = f"{self.number} " if self.number is not None else ""
        return f"{marks}{number}{self.wording}"

    def has_note(self, kind: str) -> bool:
        return any(note.kind == kind for note in self.notes)

    @property
    def skippable(self) -> bool:
        return any(note.kind in _SKIPPABLE_KINDS for note in self.notes)


@dataclass(frozen=True)
class Part:
    name: str
    code: str
    checks: tuple[Check, ...]
    spans_device_column: bool = False  # the law prints device and part as one cell


@dataclass(frozen=True)
class Device:
    name: str
    code: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Form:
    id: str  # "beppyo6"
    title: str
    law: str
    effective_date: date  # the text version in force on the date asked for
    source: dict
    intervals: tuple[int, int]  # (short, long) in months
    columns: dict[int, str]  # interval → the law's column heading
    notes: tuple[Note, ...]
    devices: tuple[Device, ...]
    interval_note: str | None = None  # 別表第６ 注①, the law's wording
    towed: bool = False  # 被牽引自動車 (別表第４): no engine, so no exhaust measurements
    _by_id: dict[str, Check] = field(default_factory=dict, repr=False, compare=False)

    def checks(self) -> list[Check]:
        return [check for device in self.devices for part in device.parts for check in part.checks]

    def check(self, check_id: str) -> Check:
        try:
            return self._by_id[check_id]
        except KeyError:
            raise KeyError(f"{self.id} has no check {check_id!r}") from None


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@lru_cache(maxsize=None)
def _raw_form(form: str) -> dict:
    if form not in FORMS:
        raise ValueError(f"点検基準の別表「{form}」はありません。{', '.join(FORMS)} のいずれかを指定してください。")
    with open(_DATA_DIR / f"{form}.json", encoding="utf-8") as fh:
        return json.load(fh)


def _version_date(raw: dict, on_date: date) -> date:
    """The date the text in force on `on_date` took effect."""
    covers_from = date.fromisoformat(raw["covers_from"])
    if on_date < covers_from:
        raise ValueError(
            f"{on_date.isoformat()} 時点の{raw['title']}は収録していません。"
            f"{covers_from.isoformat()} 以降の点検日を指定してください。"
        )
    starts = [covers_from] + [date.fromisoformat(a["date"]) for a in raw["amendments"]]
    return max(start for start in starts if start <= on_date)


def _skip_symbol(notes: tuple[Note, ...], law_column: int, short: int) -> str | None:
    # The standard forms print the distance mark as ☆ in the short column and ★ in the long one.
    if any(note.kind == "distance_skip" for note in notes):
        return "☆" if law_column == short else "★"
    return None


@lru_cache(maxsize=None)
def _build_form(form: str, version: date) -> Form:
    raw = _raw_form(form)
    short, long_ = raw["intervals"]
    notes = tuple(
        Note(
            mark=n["mark"],
            kind=n["kind"],
            text=n["text"],
            effective_from=_parse_date(n.get("effective_from")),
            distance_km=n.get("distance_km"),
            per_months=n.get("per_months"),
        )
        for n in raw["notes"]
    )
    in_force = {n.mark: n for n in notes if n.effective_from is None or n.effective_from <= version}

    devices = []
    for d in raw["devices"]:
        parts = []
        for p in d["parts"]:
            checks = []
            for c in p["checks"]:
                effective_from = _parse_date(c.get("effective_from"))
                if effective_from is not None and effective_from > version:
                    continue
                check_notes = tuple(in_force[m] for m in c["marks"] if m in in_force)
                checks.append(
                    Check(
                        id=c["id"],
                        device=d["name"],
                        part=p["name"],
                        number=c["number"],
                        wording=c["wording"],
                        law_column=c["law_column"],
                        intervals=tuple(c["intervals"]),
                        notes=check_notes,
                        effective_from=effective_from,
                        superseded_by=c.get("superseded_by"),
                        unconfirmed=c.get("unconfirmed", False),
                        unconfirmed_reason=c.get("unconfirmed_reason"),
                        skip_symbol=_skip_symbol(check_notes, c["law_column"], short),
                    )
                )
            if checks:
                parts.append(
                    Part(p["name"], p["code"], tuple(checks), p.get("spans_device_column", False))
                )
        devices.append(Device(d["name"], d["code"], tuple(parts)))

    result = Form(
        id=raw["form"],
        title=raw["title"],
        law=raw["law"],
        effective_date=version,
        source=raw["source"],
        intervals=(short, long_),
        columns={int(k): v for k, v in raw["columns"].items()},
        notes=tuple(in_force.values()),
        devices=tuple(devices),
        interval_note=raw.get("interval_note"),
        towed=raw.get("towed", False),
    )
    result._by_id.update({check.id: check for check in result.checks()})
    return result


def load_form(form: str, on_date: date) -> Form:
    """The table `form` ("beppyo3" … "beppyo6") in the version in force on `on_date`."""
    return _build_form(form, _version_date(_raw_form(form), on_date))


def applicable_checks(form: str | Form, interval_months: int, on_date: date | None = None) -> list[Check]:
    """Checks of an inspection at `interval_months` (the longer interval adds to the shorter).

    `form` is a form id (then `on_date` picks the version) or a loaded `Form`.
    """
    if isinstance(form, str):
        if on_date is None:
            raise ValueError("on_date is required when the form is given by id")
        form = load_form(form, on_date)
    if interval_months not in form.intervals:
        raise ValueError(
            f"{form.title}の点検時期は{form.intervals[0]}か月または{form.intervals[1]}か月です"
            f"（{interval_months}か月は選べません）。"
        )
    return [check for check in form.checks() if interval_months in check.intervals]


def validate_result(check: Check, symbols: list[str] | tuple[str, ...]) -> None:
    """Raise ValueError (Japanese) unless `symbols` is a valid result for `check`."""
    where = f"「{check.part} {check.wording}」"
    if not symbols:
        raise ValueError(f"{where}の点検結果を入力してください。")
    unknown = [s for s in symbols if s not in SYMBOL_MEANINGS]
    if unknown:
        raise ValueError(f"{where}に使えない記号があります: {' '.join(unknown)}")
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"{where}に同じ記号が重なっています。")
    chosen = set(symbols)
    if len(symbols) > 1 and chosen & (SKIP_SYMBOLS | {NOT_APPLICABLE}):
        raise ValueError(f"{where}の「省略」「該当なし」は、ほかの記号と一緒には使えません。")
    if chosen == {DISASSEMBLED}:
        raise ValueError(f"{where}の「分解（O）」は、点検結果や作業の記号と一緒に入力してください。")
    if chosen & SKIP_SYMBOLS:
        (symbol,) = chosen
        if not check.skippable:
            raise ValueError(f"{where}は省略できない点検です。")
        if symbol in "☆★" and symbol != check.skip_symbol:
            allowed = f"「{check.skip_symbol}」または「P」" if check.skip_symbol else "「P」"
            raise ValueError(f"{where}の省略は{allowed}で入力してください。")


_CHECK_ID = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$")


def encode_results(results: dict[str, list[str]]) -> str:
    """One text for a record's results: ``id:symbols;id:symbols`` sorted by check id.

    Symbols are single characters, so a check's list is written as one string; checks with an
    empty list (not entered) are left out.
    """
    parts = []
    for check_id in sorted(results):
        symbols = results[check_id]
        if not _CHECK_ID.match(check_id):
            raise ValueError(f"invalid check id {check_id!r}")
        for symbol in symbols:
            if symbol not in SYMBOL_MEANINGS:
                raise ValueError(f"unknown symbol {symbol!r} for {check_id}")
        if symbols:
            parts.append(f"{check_id}:{''.join(symbols)}")
    return ";".join(parts)


def decode_results(text: str) -> dict[str, list[str]]:
    """The inverse of `encode_results`."""
    results: dict[str, list[str]] = {}
    if not text:
        return results
    for entry in text.split(";"):
        check_id, sep, symbols = entry.partition(":")
        if not sep or not _CHECK_ID.match(check_id) or not symbols or check_id in results:
            raise ValueError(f"malformed results entry {entry!r}")
        if any(symbol not in SYMBOL_MEANINGS for symbol in symbols):
            raise ValueError(f"unknown symbol in results entry {entry!r}")
        results[check_id] = list(symbols)
    return results
