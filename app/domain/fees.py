"""Fees for a 継続検査 with a 保適証: 検査手数料 and 技術情報管理手数料 (renewal-rules.md §6).

The amounts are effective-dated configuration in ``data/inspection_fees.json``. An amount that
is only proposed (the 2026-04-01 revision of the 手数料令) is not used: the answer says the fee
must be confirmed instead of showing a figure that may be wrong.
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


def _applies(part: str, row: dict[str, Any], vehicle_kind: str, fee_as: str) -> bool:
    if part == INSPECTION_FEE:
        return row["vehicle_kind"] == vehicle_kind and row["application_type"] == fee_as
    return vehicle_kind in row["vehicle_kinds"]


def _fee_row(part: str, rows: list[dict[str, Any]], vehicle_kind: str, fee_as: str) -> dict[str, Any] | None:
    matches = [row for row in rows if _applies(part, row, vehicle_kind, fee_as)]
    if len(matches) > 1:
        raise LookupError(f"{len(matches)} {part} rows match {vehicle_kind}/{fee_as}")
    return matches[0] if matches else None


def inspection_fees(*, vehicle_kind: str, application_type: str, on_date: dt.date) -> InspectionFees:
    """The fees for one vehicle's 継続検査 applied on ``on_date`` (``application_type``: window, hybrid, oss)."""
    require_date(on_date, "on_date")
    data = load_regulation_data(FEES_FILE)
    if vehicle_kind not in VEHICLE_KINDS:
        raise ValueError(f"vehicle_kind must be one of {VEHICLE_KINDS}, got {vehicle_kind!r}")
    if application_type not in data["application_types"]:
        allowed = tuple(data["application_types"])
        raise ValueError(f"application_type must be one of {allowed}, got {application_type!r}")
    fee_as = data["application_types"][application_type]["fee_as"]

    parts = {}
    missing = []
    for part in (INSPECTION_FEE, TECHNICAL_INFO_FEE):
        row = _fee_row(part, rows_in_force(data[part], on_date), vehicle_kind, fee_as)
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
            f"{format_wareki(on_date)}の{labels}は確定した金額が設定されていません(改正案の段階か、対象外の区分です)。"
            "運輸支局または軽自動車検査協会の案内で金額を確認してください。"
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
