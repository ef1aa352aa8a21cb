"""Record PDFs (記録簿): the A3 landscape shop copy and the A4 customer copy.

The models build a plain dict and pass it here; nothing in this module touches the database.

Record dict keys (``None`` or a missing optional key prints an empty box):

- ``kind``: ``"designated"`` (指定整備記録簿 with the inspection block) or ``"periodic"``
  (定期点検整備記録簿 only).
- ``form``: ``"beppyo3"`` … ``"beppyo6"``; ``interval_months``: 3, 6, 12 or 24 (one of the
  form's two columns).
- ``vehicle``: ``registration_number`` (自動車登録番号 or 車両番号), ``chassis_number``
  (車台番号), ``model_code`` (型式), ``first_registration`` (初度登録年月: a ``date`` or
  ``"YYYY-MM"``), ``odometer_km`` (走行距離, int); optional ``car_name`` (車名),
  ``engine_model`` (原動機の型式).
- ``customer``: ``name``, ``address`` (依頼者・使用者).
- ``shop`` (optional): ``name``, ``address``, ``certification_number`` (認証番号),
  ``designation_number`` (指定番号): 点検又は整備を実施した者.
- ``inspection_date``, ``completion_date``: ``date`` (点検年月日, 整備完了年月日).
- ``results``: ``{check_id: [symbol, ...]}`` (see `app.domain.inspection_forms`).
- ``measurements`` (optional): ``tread_depth_mm``, ``brake_pad_mm``, ``brake_lining_mm``: each
  ``{wheel: mm}`` with wheels ``FL FR RL RR`` (other keys print as given);
  ``co_percent``, ``hc_ppm``, ``smoke_percent`` (diesel), ``tyre_pressure_kpa`` (``{wheel: kPa}``).
- ``tester`` (optional, 検査の結果; each group optional, each with ``pass``: bool or None):
  ``side_slip`` {``value`` m/km, ``direction`` IN/OUT}; ``brakes`` {``axles``: [{``axle``,
  ``left_n``, ``right_n``, ``sum_percent``, ``diff_percent``, ``pass``}], ``total_percent``};
  ``parking_brake`` {``percent``}; ``speedometer`` {``kmh`` at an indicated 40 km/h};
  ``headlamps`` {``beam``, ``left_cd``, ``right_cd``}; ``exhaust`` {``co_percent``, ``hc_ppm``,
  ``smoke_percent``}; ``noise`` {``db``}; ``underbody`` {}; ``obd`` {``reference``}.
- ``replaced_parts``: ``[{"name", "quantity", "unit"}]`` (交換部品等).
- ``work_summary``: text (整備の概要).
- ``certificate_number``: 保安基準適合証 number (指定整備記録簿 only).
- ``inspector``: {``name``, ``signed_on``} (自動車検査員, designated records);
  ``chief_mechanic``: {``name``, ``signed_on``} (整備主任者).
- ``record_url``: the record's page (login required), printed as a QR code on the shop copy.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from math import ceil
from typing import Any

from pypdf import PdfWriter

from app.domain.inspection_forms import SYMBOL_MEANINGS, Check, Form, load_form
from app.reports.pdf import qr_data_uri, render_pdf

__all__ = ["render_record_pdf", "render_records_batch"]

WHEEL_LABELS = {"FL": "前左", "FR": "前右", "RL": "後左", "RR": "後右"}
# Symbols printed as entered, except 分解 (O), which the paper forms draw as a circle round
# the other symbols: we print ○ in front of them.
_DISPLAY = {"O": "○"}

# Copy → (template, number of side-by-side grid columns).
_COPIES = {
    "shop": ("record_shop.html", 3),
    "customer": ("record_customer.html", 2),
}


def _symbols_text(symbols: list[str]) -> str:
    ordered = sorted(symbols, key=lambda s: s != "O")  # ○ first, as it encloses the rest
    return "".join(_DISPLAY.get(s, s) for s in ordered)


def _check_label(check: Check) -> tuple[str, str]:
    """(mark, text): ☆/★ replace the distance ※ as on the standard forms; other ※ stay."""
    marks = [note.mark for note in check.notes if note.kind != "distance_skip"]
    prefix = check.skip_symbol or ""
    number = f"{check.number} " if check.number is not None else ""
    return prefix, "".join(f"（{m}）" for m in marks) + number + check.wording


def _grid_rows(form: Form, interval: int, results: dict[str, list[str]]) -> list[dict]:
    """Device rows and check rows in the law's order, with one cell per interval column."""
    rows: list[dict] = []
    for device in form.devices:
        rows.append({"type": "device", "name": device.name})
        for part in device.parts:
            for index, check in enumerate(part.checks):
                mark, text = _check_label(check)
                cells = []
                for column in form.intervals:
                    if column not in check.intervals:
                        cells.append({"text": "", "state": "excluded"})
                    elif column == interval:
                        cells.append({"text": _symbols_text(results.get(check.id, [])), "state": "entry"})
                    else:
                        cells.append({"text": "", "state": "blank"})
                rows.append(
                    {
                        "type": "check",
                        "part": part.name if index == 0 and not part.spans_device_column else "",
                        "mark": mark,
                        "text": text,
                        "cells": cells,
                    }
                )
    return rows


def _balanced_columns(rows: list[dict], count: int) -> list[list[dict]]:
    """Split rows into `count` columns of about equal height, repeating a cut device's name."""
    size = ceil(len(rows) / count)
    columns: list[list[dict]] = []
    device = None
    start = 0
    for _ in range(count):
        chunk = rows[start : start + size]
        start += size
        # Never end a column on a device row with its checks in the next one.
        if chunk and chunk[-1]["type"] == "device" and start < len(rows):
            chunk.pop()
            start -= 1
        if chunk and chunk[0]["type"] == "check" and device is not None:
            chunk.insert(0, {"type": "device", "name": f"{device}（続き）"})
        for row in chunk:
            if row["type"] == "device":
                device = row["name"].removesuffix("（続き）")
        columns.append(chunk)
    columns[-1].extend(rows[start:])
    return columns


def _zip_columns(columns: list[list[dict]]) -> list[list[dict | None]]:
    """Table rows holding row i of every column side by side (None pads the short ones)."""
    height = max(len(c) for c in columns)
    return [[c[i] if i < len(c) else None for c in columns] for i in range(height)]


def _first_registration(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    year, month = str(value).split("-")[:2]
    return date(int(year), int(month), 1)


def _wheel_rows(measurements: dict) -> tuple[list[str], list[dict]]:
    """Wheel columns and one row per per-wheel measurement present."""
    kinds = [
        ("tread_depth_mm", "タイヤの溝の深さ", "mm"),
        ("brake_pad_mm", "ブレーキ・パッドの厚さ", "mm"),
        ("brake_lining_mm", "ブレーキ・ライニングの厚さ", "mm"),
        ("tyre_pressure_kpa", "タイヤの空気圧", "kPa"),
    ]
    wheels = list(WHEEL_LABELS)
    for key, _, _ in kinds:
        for wheel in measurements.get(key) or {}:
            if wheel not in wheels:
                wheels.append(wheel)
    rows = []
    for key, label, unit in kinds:
        values = measurements.get(key) or {}
        if values or key != "tyre_pressure_kpa":
            rows.append({"label": label, "unit": unit, "values": [values.get(w) for w in wheels]})
    return [WHEEL_LABELS.get(w, w) for w in wheels], rows


def _context(record: dict, copy: str) -> dict:
    if copy not in _COPIES:
        raise ValueError(f"copy must be 'shop' or 'customer', not {copy!r}")
    if record.get("kind") not in ("designated", "periodic"):
        raise ValueError(f"record kind must be 'designated' or 'periodic', not {record.get('kind')!r}")
    form = load_form(record["form"], record["inspection_date"])
    interval = record["interval_months"]
    if interval not in form.intervals:
        raise ValueError(f"{form.id} has intervals {form.intervals}, not {interval}")
    results = record.get("results") or {}
    known = {check.id for check in form.checks()}
    unknown = sorted(set(results) - known)
    if unknown:
        raise ValueError(f"results name checks that {form.id} does not have: {unknown[:5]}")

    _, grid_columns = _COPIES[copy]
    rows = _grid_rows(form, interval, results)
    wheels, wheel_rows = _wheel_rows(record.get("measurements") or {})
    vehicle = dict(record["vehicle"])
    vehicle["first_registration"] = _first_registration(vehicle.get("first_registration"))
    designated = record["kind"] == "designated"
    if copy == "customer":
        title = "定期点検整備記録簿"
    elif designated:
        title = "指定整備記録簿（定期点検整備記録簿）"
    else:
        title = "定期点検整備記録簿（事業場控え）"
    return {
        "record": record,
        "copy": copy,
        "title": title,
        "designated": designated,
        "form": form,
        "interval": interval,
        "column_labels": [f"{months}か月" for months in form.intervals],
        "grid": _zip_columns(_balanced_columns(rows, grid_columns)),
        "grid_columns": grid_columns,
        "vehicle": vehicle,
        "customer": record.get("customer") or {},
        "shop": record.get("shop") or {},
        "measurements": record.get("measurements") or {},
        "wheels": wheels,
        "wheel_rows": wheel_rows,
        "tester": record.get("tester") or {},
        "replaced_parts": record.get("replaced_parts") or [],
        "inspector": record.get("inspector") or {},
        "chief_mechanic": record.get("chief_mechanic") or {},
        "legend": [(_DISPLAY.get(s, s), meaning) for s, meaning in SYMBOL_MEANINGS.items()],
        "distance_note": next((n for n in form.notes if n.kind == "distance_skip"), None),
        "qr": qr_data_uri(record["record_url"]) if copy == "shop" and record.get("record_url") else None,
    }


def render_record_pdf(record: dict, copy: str = "shop") -> bytes:
    """The record as a PDF: ``copy="shop"`` (A3 landscape) or ``"customer"`` (A4)."""
    template, _ = _COPIES.get(copy, (None, None))
    context = _context(record, copy)
    return render_pdf(template, context)


def render_records_batch(
    records: list[dict],
    progress: Callable[[int, int], None] | None = None,
    copy: str = "shop",
) -> bytes:
    """Many records as one PDF, in order; calls ``progress(done, total)`` after each."""
    writer = PdfWriter()
    total = len(records)
    for done, record in enumerate(records, 1):
        writer.append(io.BytesIO(render_record_pdf(record, copy=copy)))
        if progress is not None:
            progress(done, total)
    # Each part embeds its own subset of the font; identical objects are merged here.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
