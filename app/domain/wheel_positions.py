"""Axles, wheel positions and the per-wheel measurements of a record (測定値).

A vehicle's axle layout is one letter per axle, front to back: ``S`` single tyres, ``D`` dual
tyres (ダブルタイヤ). A passenger car is ``SS``; a 3-axle truck with dual rear tyres ``SDD``; a
two-axle trailer with dual tyres ``DD``.

Positions are named ``<axle><side>[<place>]``: ``1L``, ``1R`` on a single-tyre axle;
``2LO``, ``2LI``, ``2RI``, ``2RO`` (left outer, left inner, right inner, right outer) on a dual
axle. Tread depth and tyre pressure are measured per tyre (inner and outer separately); pad
and lining thickness per wheel end (one brake per side, whatever the tyres), so a dual axle
has ``2L`` and ``2R`` for them.

Records stored before axle layouts existed name the four wheels of a car ``FL FR RL RR``;
`canonical_values` reads them as ``1L 1R 2L 2R``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AXLE_LAYOUTS",
    "DEFAULT_LAYOUT",
    "MEASUREMENTS",
    "Measurement",
    "Position",
    "axle_labels",
    "canonical_position",
    "canonical_values",
    "positions",
    "validate_layout",
]

DEFAULT_LAYOUT = "SS"

# The layouts offered on the entry form (any S/D string of 1–5 axles is valid).
AXLE_LAYOUTS: dict[str, str] = {
    "SS": "2軸（前後とも単輪。乗用車など）",
    "SD": "2軸（後軸ダブルタイヤ）",
    "SDD": "3軸（後2軸ダブルタイヤ）",
    "SSD": "3軸（前2軸、後軸ダブルタイヤ）",
    "SSDD": "4軸（前2軸、後2軸ダブルタイヤ）",
    "D": "1軸（ダブルタイヤ。被牽引自動車など）",
    "DD": "2軸（ダブルタイヤ。被牽引自動車など）",
    "DDD": "3軸（ダブルタイヤ。被牽引自動車など）",
    "S": "1軸（単輪）",
}

_LAYOUT = re.compile(r"^[SD]{1,5}$")
_LEGACY = {"FL": "1L", "FR": "1R", "RL": "2L", "RR": "2R"}
_SIDES = {"L": "左", "R": "右"}
_PLACES = {"O": "外", "I": "内"}


@dataclass(frozen=True)
class Measurement:
    key: str  # stored under this key in the record's measurements
    label: str  # as printed
    unit: str  # as printed (mm, kPa)
    spoken_unit: str  # as the entry form says it (ミリ, キロパスカル)
    maximum: float
    per_tyre: bool  # True: inner and outer tyres of a dual axle separately
    digits: int  # decimals printed


MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement("tread_depth_mm", "タイヤの溝の深さ", "mm", "ミリ", 30, True, 1),
    Measurement("brake_pad_mm", "ブレーキ・パッドの厚さ", "mm", "ミリ", 50, False, 1),
    Measurement("brake_lining_mm", "ブレーキ・ライニングの厚さ", "mm", "ミリ", 50, False, 1),
    Measurement("tyre_pressure_kpa", "タイヤの空気圧", "kPa", "キロパスカル", 1500, True, 0),
)


@dataclass(frozen=True)
class Position:
    code: str  # "2LO"
    axle: int  # 1 = front
    side: str  # "L" / "R"
    place: str  # "" (single tyre or wheel end), "O" outer, "I" inner

    @property
    def label(self) -> str:
        """左, 右, 左外, 左内, 右内, 右外 (the axle is said separately)."""
        return _SIDES[self.side] + _PLACES.get(self.place, "")


def validate_layout(layout: str | None) -> str:
    """The layout, or ValueError (Japanese) if it is not 1–5 letters S/D."""
    if layout in (None, ""):
        return DEFAULT_LAYOUT
    if not isinstance(layout, str) or not _LAYOUT.match(layout):
        raise ValueError("車軸の構成は軸ごとに S（単輪）または D（ダブルタイヤ）で、1〜5軸で指定してください。")
    return layout


def positions(layout: str | None, per_tyre: bool = True) -> list[Position]:
    """Every position of the layout in print order: axle by axle, left outer to right outer."""
    result = []
    for axle, kind in enumerate(validate_layout(layout), 1):
        if kind == "D" and per_tyre:
            places = [("L", "O"), ("L", "I"), ("R", "I"), ("R", "O")]
        else:
            places = [("L", ""), ("R", "")]
        result.extend(Position(f"{axle}{side}{place}", axle, side, place) for side, place in places)
    return result


def axle_labels(layout: str | None) -> list[str]:
    """前軸・後軸 for two axles, 第1軸・第2軸… otherwise."""
    count = len(validate_layout(layout))
    if count == 2:
        return ["前軸", "後軸"]
    return [f"第{n}軸" for n in range(1, count + 1)]


def canonical_position(key: str, layout: str | None, per_tyre: bool = True) -> str | None:
    """The layout's position named by `key` (old car keys FL…RR included; on a dual axle an
    old key counts as the outer tyre), or None if the layout has no such position."""
    codes = {p.code for p in positions(layout, per_tyre)}
    code = _LEGACY.get(key, key)
    if code not in codes and f"{code}O" in codes:
        code = f"{code}O"
    return code if code in codes else None


def canonical_values(values: dict | None, layout: str | None, per_tyre: bool = True) -> dict:
    """``{position: value}`` keeping only the layout's positions (see `canonical_position`)."""
    result = {}
    for key, value in (values or {}).items():
        code = canonical_position(key, layout, per_tyre)
        if code is not None:
            result[code] = value
    return result
