"""Fees for a 継続検査 with a 保適証: 検査手数料 and 技術情報管理手数料 (renewal-rules.md §6).

The amounts are effective-dated rows: shipped in ``data/inspection_fees.json`` (``fee_rows()``
flattens it to one row per part and vehicle kind), kept by the association in the database
(``services/fees.py`` passes those rows in). An amount that is only proposed (the 2026-04-01
revision of the 手数料令) is not used: the answer says who to ask instead of showing a figure that
may be wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.domain.renewal import load_regulation_data, require_date, rows_in_force
from app.domain.wareki import format_wareki

FEES_FILE = "inspection_fees.json"

VEHICLE_KINDS = ("registered", "kei", "small_motorcycle")

INSPECTION_FEE = "inspection_fee"
TECHNICAL_INFO_FEE = "technical_info_fee"
_PART_LABELS = {INSPECTION_FEE: "検査手数料", TECHNICAL_INFO_FEE: "技術情報管理手数料"}


@dataclass(frozen=True)
class FeePart:
    amount_yen: int | None  # None when no confirmed amount is configured for the date
    payee: str | None
    source: str | None


@dataclass(frozen=True)
class InspectionFees:
    inspection_fee: FeePart
    technical_info_fee: FeePart
    total_yen: int | None
    lookup_required: bool
    note: str


FEE_AS = ("window", "oss")  # how a 検査手数料 is charged (window fee / OSS fee)
DEFAULT_ASK = "運輸支局または軽自動車検査協会"
ROW_FIELDS = ("part", "vehicle_kind", "fee_as", "effective_from", "effective_until", "amount_yen",
              "proposed_amount_yen", "payee", "status", "source")


def fee_rows(data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The shipped data file as flat rows (``ROW_FIELDS``; dates as ISO text or None): one per
    part, vehicle kind and, for 検査手数料, ``fee_as``."""
    data = data or load_regulation_data(FEES_FILE)
    rows = []
    for part in (INSPECTION_FEE, TECHNICAL_INFO_FEE):
        for row in data[part]:
            kinds = [row["vehicle_kind"]] if part == INSPECTION_FEE else row["vehicle_kinds"]
            for kind in kinds:
                rows.append({
                    "part": part, "vehicle_kind": kind,
                    "fee_as": row["application_type"] if part == INSPECTION_FEE else None,
                    **{f: row.get(f) for f in ROW_FIELDS[3:]},
                })
    return rows


def fee_seed_rows() -> list[dict[str, Any]]:
    """``fee_rows()`` of the shipped file with real dates: the seed of the inspection_fee table."""
    def day(text):
        return None if text is None else dt.date.fromisoformat(text)

    return [{**row, "effective_from": day(row["effective_from"]),
             "effective_until": day(row["effective_until"])} for row in fee_rows()]


def _applies(part: str, row: dict[str, Any], vehicle_kind: str, fee_as: str) -> bool:
    return row["part"] == part and row["vehicle_kind"] == vehicle_kind and (
        part == TECHNICAL_INFO_FEE or row["fee_as"] == fee_as)


def _fee_row(part: str, rows: list[dict[str, Any]], vehicle_kind: str, fee_as: str) -> dict[str, Any] | None:
    matches = [row for row in rows if _applies(part, row, vehicle_kind, fee_as)]
    if len(matches) > 1:
        raise LookupError(f"{len(matches)} {part} rows match {vehicle_kind}/{fee_as}")
    return matches[0] if matches else None


def inspection_fees(*, vehicle_kind: str, application_type: str, on_date: dt.date,
                    rows: list[dict[str, Any]] | None = None, ask: str = DEFAULT_ASK) -> InspectionFees:
    """The fees for one vehicle's 継続検査 applied on ``on_date`` (``application_type``: window, hybrid, oss).

    ``rows`` are the fee rows in force anywhere (``fee_rows()`` shape; the shipped file when None);
    ``ask`` names who to ask when no confirmed amount is set for the date."""
    require_date(on_date, "on_date")
    data = load_regulation_data(FEES_FILE)
    rows = fee_rows(data) if rows is None else rows
    if vehicle_kind not in VEHICLE_KINDS:
        raise ValueError(f"vehicle_kind must be one of {VEHICLE_KINDS}, got {vehicle_kind!r}")
    if application_type not in data["application_types"]:
        allowed = tuple(data["application_types"])
        raise ValueError(f"application_type must be one of {allowed}, got {application_type!r}")
    fee_as = data["application_types"][application_type]["fee_as"]

    parts = {}
    missing = []
    for part in (INSPECTION_FEE, TECHNICAL_INFO_FEE):
        row = _fee_row(part, rows_in_force(rows, on_date), vehicle_kind, fee_as)
        if row is None or row["amount_yen"] is None:
            missing.append(part)
        parts[part] = FeePart(
            amount_yen=None if row is None else row["amount_yen"],
            payee=None if row is None else row["payee"],
            source=None if row is None else row["source"],
        )

    if missing:
        labels = "・".join(_PART_LABELS[part] for part in missing)
        note = (
            f"{format_wareki(on_date)}の{labels}は、確定した金額が登録されていません。"
            f"金額は{ask}に確認してください。"
        )
        total = None
    else:
        total = sum(part.amount_yen for part in parts.values())
        note = f"{_PART_LABELS[INSPECTION_FEE]}と{_PART_LABELS[TECHNICAL_INFO_FEE]}の合計 {total:,}円。"
    return InspectionFees(
        inspection_fee=parts[INSPECTION_FEE],
        technical_info_fee=parts[TECHNICAL_INFO_FEE],
        total_yen=total,
        lookup_required=bool(missing),
        note=note,
    )
