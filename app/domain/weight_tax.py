"""自動車重量税 at 継続検査: the fallback table when the MLIT lookup is not used.

renewal-rules.md §4: the 次回自動車重量税額照会サービス is the first choice; this module computes
only the rows the research could confirm (``data/weight_tax_rates.json``) and otherwise answers
``lookup_required`` with a note saying where to look. It never derives an amount for a row the
research marks unverified.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from app.domain.renewal import (
    DomainWarning,
    add_months,
    certificate_valid_until,
    load_regulation_data,
    require_date,
    rows_in_force,
)
from app.domain.wareki import format_wareki

RATES_FILE = "weight_tax_rates.json"

VEHICLE_KINDS = ("registered", "kei", "small_motorcycle")
USES = ("private", "business")
BODIES = ("passenger", "truck", "bus", "special")
ECO_CHOICES = (None, "standard_rate", "exempt")
YEARS = (1, 2)

# rate_column values
EXEMPT = "exempt"
ECO = "eco"
STANDARD = "standard"
AGE_13 = "13y"
AGE_18 = "18y"
_ANY_COLUMN = "*"  # a data row that covers every column of its category

# Warning codes
SURCHARGE_THRESHOLD_IN_VALIDITY = "SURCHARGE_THRESHOLD_IN_VALIDITY"
ECO_RULE_CHANGE_IN_VALIDITY = "ECO_RULE_CHANGE_IN_VALIDITY"

_COLUMN_LABELS = {
    EXEMPT: "免税",
    ECO: "エコカー(本則税率)",
    STANDARD: "13年未満",
    AGE_13: "13年経過",
    AGE_18: "18年経過",
}


@dataclass(frozen=True)
class WeightTax:
    amount_yen: int | None
    lookup_required: bool
    units: int | None
    rate_column: str | None
    warnings: list[DomainWarning]
    note: str
    rate_yen: int | None = None
    source: str | None = None
    # First days of the 13- and 18-year surcharge (None when the first registration is unknown).
    surcharge_13y_from: dt.date | None = None
    surcharge_18y_from: dt.date | None = None


@dataclass
class _Request:
    vehicle_kind: str
    use: str
    body: str
    vehicle_weight_kg: int | None
    gross_weight_kg: int | None
    years: int
    first_registration: dt.date | None
    application_date: dt.date
    inspection_date: dt.date | None
    eco: str | None
    data: dict[str, Any] = field(repr=False)


def _validate(request: _Request) -> None:
    require_date(request.application_date, "application_date")
    for name in ("first_registration", "inspection_date"):
        value = getattr(request, name)
        if value is not None:
            require_date(value, name)
    for name, allowed in (
        ("vehicle_kind", VEHICLE_KINDS),
        ("use", USES),
        ("body", BODIES),
        ("eco", ECO_CHOICES),
        ("years", YEARS),
    ):
        if getattr(request, name) not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {getattr(request, name)!r}")
    if request.first_registration is not None and request.first_registration.day != 1:
        raise ValueError("first_registration must be the first day of its month (初度登録年月)")


def weight_units(
    *, vehicle_kind: str, body: str, vehicle_weight_kg: int | None, gross_weight_kg: int | None
) -> int | None:
    """Tax units: 0.5 t of 車両重量 for passenger cars, 1 t of 車両総重量 otherwise; None when flat."""
    basis = load_regulation_data(RATES_FILE)["units"].get(vehicle_kind)
    if basis is None:
        return None
    rule = basis[body]
    weight = vehicle_weight_kg if rule["weight"] == "vehicle_weight_kg" else gross_weight_kg
    if weight is None:
        label = "車両重量" if rule["weight"] == "vehicle_weight_kg" else "車両総重量"
        raise ValueError(f"{label}(kg)を入力してください。重量税の計算に必要です。")
    if weight <= 0:
        raise ValueError(f"重量 {weight} kg は正しくありません。車検証の値を入力してください。")
    # Brackets are "…t以下": 1,500 kg is 3 units of 0.5 t, 1,510 kg is 4.
    return math.ceil(weight / rule["unit_kg"])


def surcharge_start_dates(first_registration: dt.date) -> dict[str, dt.date]:
    """First day of the 13- and 18-year surcharge: first-registration month + 155 / 215 months."""
    months = load_regulation_data(RATES_FILE)["age_surcharge"]["months_after_first_registration"]
    return {column: add_months(first_registration, count) for column, count in months.items()}


def _age_column(starts: dict[str, dt.date], application_date: dt.date) -> str:
    # Judged on the application (issue) date, not the 保適証 date (租特法90条の11の3②).
    if application_date >= starts[AGE_18]:
        return AGE_18
    if application_date >= starts[AGE_13]:
        return AGE_13
    return STANDARD


def _kei_band_uncertain(starts: dict[str, dt.date], application_date: dt.date) -> bool:
    margin = load_regulation_data(RATES_FILE)["age_surcharge"]["kei_uncertain_months"]
    return any(
        add_months(start, -margin) <= application_date < add_months(start, margin)
        for start in starts.values()
    )


def _matching_rows(request: _Request, column: str) -> list[dict[str, Any]]:
    weight = request.gross_weight_kg
    matches = []
    for row in rows_in_force(request.data["rates"], request.application_date):
        if (row["vehicle_kind"], row["use"]) != (request.vehicle_kind, request.use):
            continue
        if row["bodies"] is not None and request.body not in row["bodies"]:
            continue
        if row["rate_column"] not in (column, _ANY_COLUMN):
            continue
        if row["over_kg"] is not None and (weight is None or weight <= row["over_kg"]):
            continue
        if row["up_to_kg"] is not None and (weight is None or weight > row["up_to_kg"]):
            continue
        matches.append(row)
    return matches


def _lookup_note(request: _Request, reason: str) -> str:
    service = request.data["lookup_services"][request.vehicle_kind]
    return f"{reason}「{service}」で税額を確認してください。"


def _warnings(request: _Request, starts: dict[str, dt.date] | None) -> list[DomainWarning]:
    """A 13/18-year threshold or an eco-rule change after the inspection day but within V."""
    if request.inspection_date is None:
        return []
    first, last = request.inspection_date, certificate_valid_until(request.inspection_date)
    warnings = []
    if starts is not None and request.eco is None:
        for column, start in sorted(starts.items(), key=lambda item: item[1]):
            if first < start <= last:
                warnings.append(
                    DomainWarning(
                        SURCHARGE_THRESHOLD_IN_VALIDITY,
                        f"{format_wareki(start)}から{_COLUMN_LABELS[column]}の重課税率になります。"
                        "申請日がこの日以降だと重量税額が変わるので、申請日に合わせて税額を確認してください。",
                        start,
                    )
                )
    for change in request.data["eco_rule_changes"]:
        change_date = dt.date.fromisoformat(change["date"])
        if first < change_date <= last:
            warnings.append(
                DomainWarning(
                    ECO_RULE_CHANGE_IN_VALIDITY,
                    f"{format_wareki(change_date)}にエコカー減税の基準が変わります。申請日がこの日の前か後かで"
                    "重量税額が変わることがあるので、申請日に合わせて税額を確認してください。",
                    change_date,
                )
            )
    return warnings


def weight_tax(
    *,
    vehicle_kind: str,
    use: str,
    body: str,
    vehicle_weight_kg: int | None = None,
    gross_weight_kg: int | None = None,
    years: int,
    first_registration: dt.date | None = None,
    application_date: dt.date,
    inspection_date: dt.date | None = None,
    eco: str | None = None,
) -> WeightTax:
    """The weight tax for a 継続検査 of ``years`` years, or ``lookup_required`` with the reason.

    ``eco`` is the user's reading of the 車検証/lookup: ``"standard_rate"`` (本則税率, エコカー) or
    ``"exempt"`` (免税); eco status is not computed here (renewal-rules.md §4.4).
    """
    request = _Request(
        vehicle_kind=vehicle_kind,
        use=use,
        body=body,
        vehicle_weight_kg=vehicle_weight_kg,
        gross_weight_kg=gross_weight_kg,
        years=years,
        first_registration=first_registration,
        application_date=application_date,
        inspection_date=inspection_date,
        eco=eco,
        data=load_regulation_data(RATES_FILE),
    )
    _validate(request)
    units = weight_units(
        vehicle_kind=vehicle_kind,
        body=body,
        vehicle_weight_kg=vehicle_weight_kg,
        gross_weight_kg=gross_weight_kg,
    )
    starts = surcharge_start_dates(first_registration) if first_registration is not None else None
    result = dict(
        units=units,
        warnings=_warnings(request, starts),
        surcharge_13y_from=starts[AGE_13] if starts else None,
        surcharge_18y_from=starts[AGE_18] if starts else None,
    )

    def lookup(column: str | None, reason: str) -> WeightTax:
        return WeightTax(
            amount_yen=None,
            lookup_required=True,
            rate_column=column,
            note=_lookup_note(request, reason),
            **result,
        )

    if eco == "exempt":
        return WeightTax(
            amount_yen=0,
            lookup_required=False,
            rate_column=EXEMPT,
            note="エコカー減税の免税対象として0円にしています。車検証または照会サービスで免税を確認してください。",
            **result,
        )
    if eco == "standard_rate":
        column = ECO
    elif starts is None:
        return lookup(None, "初度登録年月が不明のため、13年・18年経過の判定ができません。")
    else:
        column = _age_column(starts, application_date)
        if vehicle_kind == "kei" and _kei_band_uncertain(starts, application_date):
            return lookup(
                column,
                "軽自動車の経年重課は政令で定める月から数えるため、13年・18年の境目に近い今回は税率の区分を決められません。",
            )

    rows = _matching_rows(request, column)
    if len(rows) > 1:
        raise LookupError(
            f"{len(rows)} weight-tax rows match {vehicle_kind}/{use}/{body}/{column} on {application_date}"
        )
    if not rows:
        return lookup(column, "この区分の税額表を持っていません。")
    row = rows[0]
    if not row["verified"]:
        return lookup(column, f"この区分({_COLUMN_LABELS[column]})の税率は確認できていません。")
    amount = row["rate_yen"] * (units or 1) * years
    per = f"{units}単位 × " if units is not None else ""
    return WeightTax(
        amount_yen=amount,
        lookup_required=False,
        rate_column=column,
        rate_yen=row["rate_yen"],
        source=row["source"],
        note=f"{_COLUMN_LABELS[column]}の税率 {row['rate_yen']:,}円 × {per}{years}年 = {amount:,}円(税額表による計算)。",
        **result,
    )
