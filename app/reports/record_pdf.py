"""Record PDFs (記録簿): the A3 landscape shop copy and the A4 customer copy.

The models build a plain dict and pass it here; nothing in this module touches the database.
`app.services.records.record_pdf` renders a `Record` (saved or not) through this module.

Record dict keys (``None`` or a missing optional key prints an empty box):

- ``kind``: ``"designated"`` (指定整備記録簿 with the inspection block) or ``"periodic"``
  (定期点検整備記録簿 only).
- ``form``: ``"beppyo3"`` … ``"beppyo6"``; ``interval_months``: 3, 6, 12 or 24 (one of the
  form's two columns).
- ``vehicle``: ``registration_number`` (自動車登録番号 or 車両番号), ``chassis_number``
  (車台番号), ``model_code`` (型式), ``first_registration`` (初度登録年月: a ``date`` or
  ``"YYYY-MM"``), ``odometer_km`` (走行距離, int); optional ``car_name`` (車名),
  ``engine_model`` (原動機の型式), ``axle_layout`` (``"SS"``, ``"SDD"``…, see
  `app.domain.wheel_positions`; default ``"SS"``).
- ``customer``: ``name``, ``address`` (依頼者・使用者).
- ``shop`` (optional): ``name``, ``address``, ``certification_number`` (認証番号),
  ``designation_number`` (指定番号): 点検又は整備を実施した者.
- ``inspection_date``, ``completion_date``: ``date`` (点検年月日, 整備完了年月日).
- ``results``: ``{check_id: [symbol, ...]}`` (see `app.domain.inspection_forms`).
- ``measurements`` (optional): ``tread_depth_mm``, ``brake_pad_mm``, ``brake_lining_mm``,
  ``tyre_pressure_kpa``: each ``{position: value}`` with the axle layout's positions
  (``1L``, ``2LO``…; the old car keys ``FL FR RL RR`` are read too); ``co_percent``,
  ``hc_ppm``, ``smoke_percent`` (diesel) — never printed for a 被牽引自動車 (別表第４).
- ``tester`` (optional, 検査の結果; each group optional, each with ``pass``: bool or None):
  ``side_slip`` {``value`` m/km, ``direction`` IN/OUT}; ``brakes`` {``axles``: [{``axle``,
  ``left_n``, ``right_n``, ``sum_percent``, ``diff_percent``, ``pass``}], ``total_percent``};
  ``parking_brake`` {``percent``}; ``speedometer`` {``kmh`` at an indicated 40 km/h};
  ``headlamps`` {``beam``, ``left_cd``, ``right_cd``}; ``exhaust`` {``co_percent``, ``hc_ppm``,
  ``smoke_percent``}; ``noise`` {``db``}; ``underbody`` {}; ``obd`` {``reference``}.
- ``obd_result`` (optional): {``label``, ``checked_on``, ``call_note``}, the 保適証's OBD検査
  (app/services/certificates/obd.py), printed in the OBD row when the tester gave none.
- ``replaced_parts``: ``[{"name", "quantity", "unit"}]`` (交換部品等).
- ``work_summary``: text (整備の概要).
- ``certificate_number``, ``sticker_number``, ``limited_certificate_number``: the numbers of
  the 保安基準適合証, 保安基準適合標章 and 限定保安基準適合証 (指定整備記録簿 only).
- ``inspector``: {``name``, ``signed_on``} (自動車検査員, designated records);
  ``chief_mechanic``: {``name``, ``signed_on``} (整備主任者).
- ``record_url``: the record's page (login required), printed as a QR code on the shop copy.

Every page carries the header (title, form, ``n / N``, 登録番号, 車台番号, 依頼者). The check
grid is laid out and drawn by `app.reports.record_grid` and laid over the pages xhtml2pdf
makes from the templates (header, 指定整備記録簿 block, measurements, parts, signatures).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject

from app.domain.inspection_forms import SYMBOL_MEANINGS, load_form
from app.domain.wareki import format_wareki
from app.domain.wheel_positions import (
    DEFAULT_LAYOUT,
    MEASUREMENTS,
    axle_labels,
    canonical_values,
    positions,
)
from app.reports.pdf import PdfRenderError, render_pdf
from app.reports.record_grid import SHEETS, draw_grid, layout, split_lines

__all__ = ["SHEETS", "grid_layout", "render_record_pdf", "render_records_batch"]

SIDE_WIDTH = 128  # mm, the A3 shop copy's right-hand blocks
_BOTTOM_WIDTH = 194  # mm, the A4 copy's blocks under the grid
# Estimates for the A4 copy's blocks under the grid (how much room its layout keeps): mm per
# line of a table (7.5 pt) and of the summary. Too low only moves the blocks to a new page.
_BOX_ROW = 4.9
_SUMMARY_LINE = 3.6
_BOX_GAP = 1.5  # mm under each table
_DISPLAY = {"O": "○"}


def _first_registration(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    year, month = str(value).split("-")[:2]
    return date(int(year), int(month), 1)


def _measurement_table(measurements: dict, axle_layout: str | None) -> dict:
    """Measured values per wheel position.

    A two-axle vehicle on single tyres gets the standard form's one row per measurement with
    前左・前右・後左・後右. Any other layout gets one row per measurement and axle, with
    columns 左・右, or 左外・左内・右内・右外 when an axle has dual tyres; a single tyre (or a
    brake: one per wheel end) spans the outer and inner columns of its side. Tyre pressure is
    printed when measured; pad and lining when measured (both when neither is).
    """
    layout_code = axle_layout or DEFAULT_LAYOUT
    dual = "D" in layout_code
    compact = layout_code == "SS"
    names = axle_labels(layout_code)
    values = {kind.key: canonical_values(measurements.get(kind.key), layout_code, kind.per_tyre)
              for kind in MEASUREMENTS}
    brakes_measured = values["brake_pad_mm"] or values["brake_lining_mm"]
    rows = []
    for kind in MEASUREMENTS:
        if kind.key == "tyre_pressure_kpa" and not values[kind.key]:
            continue
        if kind.key in ("brake_pad_mm", "brake_lining_mm") and brakes_measured and not values[kind.key]:
            continue
        kind_positions = positions(layout_code, kind.per_tyre)
        if compact:
            rows.append({"label": kind.label, "label_rows": 1, "axle": None, "unit": kind.unit,
                         "digits": kind.digits,
                         "cells": [{"value": values[kind.key].get(p.code), "span": 1}
                                   for p in kind_positions]})
            continue
        by_axle: dict[int, list] = {}
        for position in kind_positions:
            by_axle.setdefault(position.axle, []).append(position)
        for axle, axle_positions in by_axle.items():
            span = 2 if dual and len(axle_positions) == 2 else 1
            rows.append({
                "label": kind.label if axle == 1 else None,
                "label_rows": len(by_axle),
                "axle": names[axle - 1],
                "unit": kind.unit,
                "digits": kind.digits,
                "cells": [{"value": values[kind.key].get(p.code), "span": span}
                          for p in axle_positions],
            })
    if compact:
        columns = ["前左", "前右", "後左", "後右"]
    else:
        columns = ["左外", "左内", "右内", "右外"] if dual else ["左", "右"]
    return {"dual": dual, "compact": compact, "rows": rows, "columns": columns}


def _exhaust_rows(measurements: dict, towed: bool) -> list[dict]:
    """CO・HC (petrol, LPG) and 黒煙 (diesel) at idle; a 被牽引自動車 has no engine."""
    if towed:
        return []
    return [
        {"label": "CO 濃度", "value": measurements.get("co_percent"), "digits": 2, "unit": "%"},
        {"label": "HC 濃度", "value": measurements.get("hc_ppm"), "digits": 0, "unit": "ppm"},
        {"label": "黒煙（ディーゼル）", "value": measurements.get("smoke_percent"), "digits": 0,
         "unit": "%"},
    ]


def _summary_lines(record: dict, width: float) -> list[str]:
    return split_lines(record.get("work_summary") or "", width, 8) if record.get("work_summary") else []


def _table_height(rows: int) -> float:
    return rows * _BOX_ROW + _BOX_GAP


def _parts_rows(parts: list, name_width: float, minimum: int) -> int:
    """Table lines the replaced parts take (a long name wraps)."""
    lines = sum(len(split_lines(str(part.get("name") or ""), name_width, 8)) for part in parts)
    return max(lines, minimum)


def bottom_height(record: dict, parts: list, table: dict) -> float:
    """Height (mm) of the A4 copy's blocks side by side under the grid of its last page (a
    safe estimate): measurements | replaced parts | summary and the shop."""
    measurements = _table_height(2 + len(table["rows"]) + len(table["exhaust"]))
    replaced = _table_height(2 + _parts_rows(parts, _BOTTOM_WIDTH * 0.3 * 0.7, 3))
    summary = max(3, len(_summary_lines(record, _BOTTOM_WIDTH * 0.3))) * _SUMMARY_LINE
    shop = _table_height(1) + summary + _table_height(5) + 2
    return max(measurements, replaced, shop) + 2


def _grid_and_bottom(form, record: dict, parts: list, table: dict):
    """The A4 grid and how its other blocks follow it: side by side under the grid of the
    last page when they fit there, else one under the other from a new page, splitting
    across pages as tables do (a long parts list or summary)."""
    reserved = bottom_height(record, parts, table)
    if reserved < SHEETS["customer"].body * 0.6:
        try:
            return layout(form, "customer", reserved), "side_by_side"
        except ValueError:  # no page keeps that much room under the grid
            pass
    return layout(form, "customer"), "stacked"


def _context(record: dict, copy: str) -> tuple[dict, Any]:
    if copy not in SHEETS:
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

    sheet = SHEETS[copy]
    vehicle = dict(record["vehicle"])
    vehicle["first_registration"] = _first_registration(vehicle.get("first_registration"))
    measurements = record.get("measurements") or {}
    table = _measurement_table(measurements, vehicle.get("axle_layout"))
    table["exhaust"] = _exhaust_rows(measurements, form.towed)
    parts = record.get("replaced_parts") or []
    designated = record["kind"] == "designated"
    if copy == "customer":
        title = "定期点検整備記録簿"
        grid, bottom = _grid_and_bottom(form, record, parts, table)
        summary_width = _BOTTOM_WIDTH * (0.3 if bottom == "side_by_side" else 1)
    else:
        title = "指定整備記録簿（定期点検整備記録簿）" if designated else "定期点検整備記録簿（事業場控え）"
        grid, bottom = layout(form, copy), None
        summary_width = SIDE_WIDTH
    context = {
        "record": record,
        "copy": copy,
        "sheet": sheet,
        "side_width": SIDE_WIDTH,
        "title": title,
        "designated": designated,
        "form": form,
        "towed": form.towed,
        "interval": interval,
        # The grid is drawn over this space on each of its pages (record_grid).
        "spacers": [grid.grid_height(n) + grid.notes_height + 1 for n in range(len(grid.pages))],
        "bottom": bottom,
        "vehicle": vehicle,
        "customer": record.get("customer") or {},
        "shop": record.get("shop") or {},
        "measurements": measurements,
        "measurement_table": table,
        "tester": _with_obd_result(record.get("tester") or {}, record.get("obd_result")),
        "replaced_parts": parts,
        "summary_lines": _summary_lines(record, summary_width - 2),
        "inspector": record.get("inspector") or {},
        "chief_mechanic": record.get("chief_mechanic") or {},
        "legend": [(_DISPLAY.get(s, s), meaning) for s, meaning in SYMBOL_MEANINGS.items()
                   if s not in "☆★"],
        "qr": record.get("record_url") if copy == "shop" else None,  # drawn by record_grid
    }
    return context, grid


def _with_obd_result(tester: dict, obd_result: dict | None) -> dict:
    """The 保適証's OBD検査 result in the 検査の結果 OBD row, unless the tester gave one: 合格, or the
    特例番号 with the record of the コールセンター call, kept with the 記録簿 (shop-workflow.md §4)."""
    if not obd_result or (tester.get("obd") or {}).get("reference"):
        return tester
    text = f"{obd_result['label']}（{format_wareki(obd_result['checked_on'])}）"
    if obd_result.get("call_note"):
        text += f" 記録: {obd_result['call_note']}"
    return {**tester, "obd": {"reference": text, "pass": True}}


def grid_layout(record: dict, copy: str = "shop"):
    """The check grid's `record_grid.Layout` for this record and copy, as it is printed."""
    return _context(record, copy)[1]


def _lay_over(writer: PdfWriter, page, grid_page, name: NameObject) -> None:
    """Draw `grid_page` over `page` as a form XObject.

    pypdf's merge_page parses and rewrites both content streams (a third of the render
    time); a form XObject keeps the grid's content and resources as they are.
    """
    form = grid_page["/Contents"].get_object().clone(writer)
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in grid_page.mediabox),
        NameObject("/Resources"): grid_page["/Resources"].get_object().clone(writer),
    })
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"].get_object()[name] = form.indirect_reference
    draw = DecodedStreamObject()
    draw.set_data(b"q " + name.encode() + b" Do Q")
    contents = page["/Contents"].get_object()
    parts = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject(parts + [writer._add_object(draw)])


def render_record_pdf(record: dict, copy: str = "shop") -> bytes:
    """The record as a PDF: ``copy="shop"`` (A3 landscape) or ``"customer"`` (A4)."""
    context, grid = _context(record, copy)
    writer = PdfWriter(clone_from=io.BytesIO(render_pdf(context["sheet"].template, context)))
    if len(writer.pages) < len(grid.pages):
        raise PdfRenderError(f"record PDF has {len(writer.pages)} pages, its grid {len(grid.pages)}")
    overlay = PdfReader(io.BytesIO(draw_grid(grid, context["form"], record["interval_months"],
                                             record.get("results") or {}, len(writer.pages),
                                             context["qr"]))).pages
    for number, (page, grid_page) in enumerate(zip(writer.pages, overlay), 1):
        _lay_over(writer, page, grid_page, NameObject(f"/KeizokuGrid{number}"))
    writer.add_metadata({"/Title": context["title"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
