"""The record PDFs as a reviewer reads them: headers on every page, the ordinance's order,
the notes of the marks used, symbols in their own rows, per-axle values, embedded fonts.

PDFs are read with pypdf only. Each sample PDF is rendered once per session."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pytest

from app.domain.inspection_forms import FORMS, decode_results, load_form
from app.reports.record_grid import GRID_HEAD, SHEETS, check_label, layout, split_lines
from app.reports.record_pdf import grid_layout, render_record_pdf
from app.services.record_samples import SAMPLE_DATE, sample_record
from app.services.records import record_pdf, record_pdf_dict
from tests.reports.pdf_probe import fragments, page_texts, row_symbols, unembedded_fonts

# Every form and interval as a passenger-like vehicle, the truck and the trailer.
SAMPLES = [(form, interval, "passenger") for form in FORMS if form != "beppyo4"
           for interval in load_form(form, SAMPLE_DATE).intervals]
SAMPLES += [("beppyo4", 3, "trailer"), ("beppyo4", 12, "trailer"), ("beppyo3", 12, "truck"),
            ("beppyo3", 3, "truck")]
COPIES = ("shop", "customer")


@lru_cache(maxsize=None)
def sample(form: str, interval: int, vehicle: str, kind: str = "designated") -> dict:
    record = sample_record(form, interval, vehicle, kind=kind)
    return record_pdf_dict(record, "https://keizoku.example.jp/records/1")


@lru_cache(maxsize=None)
def sample_pdf(form: str, interval: int, vehicle: str, copy: str, kind: str = "designated") -> bytes:
    return render_record_pdf(sample(form, interval, vehicle, kind), copy=copy)


def _grid_column(sheet, x: float) -> int | None:
    """Which grid column an x (mm) falls in, None outside the grid."""
    for index in range(sheet.columns):
        left = sheet.margin + index * (sheet.column_width + sheet.gap)
        if left - 0.1 <= x <= left + sheet.column_width:
            return index
    return None


def _grid_fragments(pdf: bytes, copy: str, grid) -> list[list[tuple[int, object]]]:
    """Per page, the grid's fragments as (column, fragment) in reading order."""
    sheet = SHEETS[copy]
    pages = []
    for number, found in enumerate(fragments(pdf)):
        if number >= len(grid.pages):
            pages.append([])
            continue
        top = sheet.top + GRID_HEAD - 0.5
        bottom = sheet.top + grid.grid_height(number)
        inside = [(_grid_column(sheet, f.x), f) for f in found if top < f.y < bottom]
        pages.append(sorted(((c, f) for c, f in inside if c is not None),
                            key=lambda item: (item[0], item[1].y, item[1].x)))
    return pages


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), SAMPLES)
def test_every_page_names_the_vehicle_customer_form_and_page(form, interval, vehicle, copy):
    record = sample(form, interval, vehicle)
    texts = page_texts(sample_pdf(form, interval, vehicle, copy))
    title = "".join(load_form(form, SAMPLE_DATE).title.split())
    for number, text in enumerate(texts, 1):
        for expected in (record["vehicle"]["chassis_number"], record["vehicle"]["registration_number"],
                         record["customer"]["name"], title, f"{number}/{len(texts)}"):
            assert "".join(expected.split()) in text, (number, expected)


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), SAMPLES)
def test_no_font_is_named_without_being_embedded(form, interval, vehicle, copy):
    assert unembedded_fonts(sample_pdf(form, interval, vehicle, copy)) == []


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), SAMPLES)
def test_pages_are_laid_out_as_planned(form, interval, vehicle, copy):
    """The blocks never run over: the page count is the one the header prints."""
    record = sample(form, interval, vehicle)
    grid = grid_layout(record, copy)
    texts = page_texts(sample_pdf(form, interval, vehicle, copy))
    assert len(texts) >= len(grid.pages)
    assert f"1/{len(texts)}" in texts[0]


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize("form", FORMS)
def test_layout_runs_in_the_ordinances_order_with_honest_continuations(form, copy):
    loaded = load_form(form, SAMPLE_DATE)
    grid = layout(loaded, copy, 60 if copy == "customer" else 0)
    columns = [column for page in grid.pages for column in page]
    checks = [row.check for column in columns for row in column if row.check is not None]
    assert checks == loaded.checks()
    last_device = None
    for column in columns:
        for index, row in enumerate(column):
            if row.kind != "device":
                last_device = row.check.device if row.check else last_device
                continue
            if row.text.endswith("（続き）"):
                # Only at the top of a column, and only where that device really continues.
                assert index == 0, row.text
                assert row.text.removesuffix("（続き）") == last_device
            else:
                assert row.text != last_device
            assert column[index + 1].check.device == row.text.removesuffix("（続き）")


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), [
    ("beppyo3", 12, "passenger"), ("beppyo3", 12, "truck"), ("beppyo6", 24, "passenger"),
    ("beppyo5", 12, "passenger"), ("beppyo4", 12, "trailer")])
def test_printed_parts_read_in_the_ordinances_order_across_columns_and_pages(form, interval, vehicle, copy):
    record = sample(form, interval, vehicle)
    grid = grid_layout(record, copy)
    sheet = SHEETS[copy]
    # The text of the 点検箇所 column (headings, part names, merged rows) in reading order.
    reading = "".join(
        "".join(fragment.text.split())
        for page in _grid_fragments(sample_pdf(form, interval, vehicle, copy), copy, grid)
        for column, fragment in page
        if fragment.x < sheet.margin + column * (sheet.column_width + sheet.gap) + sheet.part)
    loaded = load_form(form, SAMPLE_DATE)
    position = 0
    for device in loaded.devices:
        for part in device.parts:
            name = "".join((device.name if part.spans_device_column else part.name).split())
            found = reading.find(name, position)
            assert found >= 0, (name, reading[position:position + 80])
            position = found + len(name)
    # The issue's example: クラッチ follows its own heading, never a 「続き」 on another page.
    if "動力伝達装置" in reading:
        clutch = reading.find("クラッチ")
        assert reading.rfind("動力伝達装置", 0, clutch) > reading.rfind("緩衝装置", 0, clutch)


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), [
    ("beppyo3", 12, "truck"), ("beppyo6", 24, "passenger"), ("beppyo5", 6, "passenger"),
    ("beppyo4", 12, "trailer")])
def test_each_symbol_is_printed_in_the_row_of_its_own_check(form, interval, vehicle, copy):
    record = sample(form, interval, vehicle)
    printed = row_symbols(sample_pdf(form, interval, vehicle, copy), copy, record)
    expected = {check_id: "".join("○" if s == "O" else s for s in sorted(symbols, key=lambda s: s != "O"))
                for check_id, symbols in record["results"].items()}
    applicable = {c.id for c in load_form(form, SAMPLE_DATE).checks() if interval in c.intervals}
    assert {k: v for k, v in printed.items() if k in applicable} == expected
    assert all(text == "" for k, text in printed.items() if k not in applicable)
    # The samples vary the symbols, so a shifted row could not pass.
    assert len(set(expected.values())) >= 4


def test_symbols_of_the_checks_with_notes_sit_in_their_rows():
    """Seat belts ×, platinum plug P, distributor /: each in its own row, on both copies."""
    base = sample("beppyo3", 12, "truck")
    form = load_form("beppyo3", SAMPLE_DATE)
    chosen = {}
    for note_kind, symbols in (("passenger_only", ["×"]), ("platinum_plug_skip", ["P"]),
                               ("distributor_only", ["/"]), ("heavy_vehicle_only", ["T", "✓"])):
        check = next(c for c in form.checks() if c.has_note(note_kind) and 12 in c.intervals)
        chosen[check.id] = symbols
    record = {**base, "results": {**base["results"], **chosen}}
    for copy in COPIES:
        printed = row_symbols(render_record_pdf(record, copy=copy), copy, record)
        for check_id, symbols in chosen.items():
            assert printed[check_id] == "".join(symbols), (copy, check_id)


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize(("form", "interval", "vehicle"), SAMPLES)
def test_each_note_is_printed_on_the_pages_that_use_its_mark(form, interval, vehicle, copy):
    record = sample(form, interval, vehicle)
    grid = grid_layout(record, copy)
    loaded = load_form(form, SAMPLE_DATE)
    texts = page_texts(sample_pdf(form, interval, vehicle, copy))
    for page, text in zip(grid.pages, texts):
        used = {note.mark for column in page for row in column if row.check for note in row.check.notes}
        for note in loaded.notes:
            body = "".join(note.text.split())[:30]
            assert (body in text) == (note.mark in used), (note.mark, note.kind)
            if note.mark in used and note.kind != "distance_skip":
                assert note.printed_mark in text.replace(body, "")  # on the check too
    if loaded.interval_note:
        assert "".join(loaded.interval_note.split())[:30] in texts[0]


def test_the_notes_the_issue_names_are_printed_with_their_checks():
    texts = page_texts(sample_pdf("beppyo3", 12, "truck", "shop"))
    text = "".join(texts)
    for check, note in (("座席ベルトの状態", "人の運送の用に供する自動車に限る"),
                        ("点火プラグの状態", "白金プラグ又はイリジウム・プラグ"),
                        ("ディストリビュータのキャップの状態", "ディストリビュータを有する自動車に限る"),
                        ("スペアタイヤの取付状態", "車両総重量８トン以上又は乗車定員３０人以上"),
                        ("車載式故障診断装置の診断の結果", "識別表示"),
                        ("ガス容器及びガス容器附属品の損傷", "圧縮天然ガス、液化天然ガス及び圧縮水素"),
                        ("車載式故障診断装置の診断の結果", "大型特殊自動車を除く")):
        assert check in text and note in text, note
    special = "".join(page_texts(sample_pdf("beppyo5", 12, "passenger", "shop")))
    assert "大型特殊自動車にあつては、行わなくてもよい" in special and "大型特殊自動車に限る" in special


@pytest.mark.parametrize("copy", COPIES)
def test_truck_values_per_axle_and_dual_tyre_position(copy):
    pdf = sample_pdf("beppyo3", 12, "truck", copy)
    found = [f for page in fragments(pdf) for f in page]
    text = "".join(page_texts(pdf))
    for header in ("左外", "左内", "右内", "右外", "第1軸", "第2軸", "第3軸"):
        assert header in text
    # 第2軸's tread depths, left outer to right outer, on the row of its axle label.
    (axle,) = [f for f in found if f.text == "第2軸" and
               any(g.text == "9.8" and abs(g.y - f.y) < 1.5 for g in found)]
    row = sorted((f for f in found if abs(f.y - axle.y) < 1.5 and f.x > axle.x), key=lambda f: f.x)
    assert [f.text for f in row[:5]] == ["9.8", "9.6", "9.7", "9.9", "mm"]
    # Linings are per wheel end (one brake per side of a dual axle).
    assert "9.4" in text and "9.5" in text


@pytest.mark.parametrize("copy", COPIES)
def test_trailer_has_no_exhaust_boxes(copy):
    trailer = "".join(page_texts(sample_pdf("beppyo4", 12, "trailer", copy)))
    truck = "".join(page_texts(sample_pdf("beppyo3", 12, "truck", copy)))
    for box in ("CO濃度", "HC濃度", "黒煙", "ppm"):
        assert box in truck and box not in trailer, box
    assert "左外" in trailer and "第3軸" in trailer


@pytest.mark.parametrize("copy", COPIES)
def test_units_are_never_broken(copy):
    found = [f.text for page in fragments(sample_pdf("beppyo6", 24, "passenger", copy)) for f in page]
    assert "ppm" in found and "pp" not in found and "m" not in found
    assert "12" in found  # the HC value, in its own cell


def test_shop_copy_has_seal_boxes_and_the_designated_numbers():
    designated = sample("beppyo3", 12, "truck")
    designated = {**designated, "limited_certificate_number": "L-0000777"}
    text = "".join(page_texts(render_record_pdf(designated, copy="shop")))
    for expected in ("保安基準適合証の番号", "0012345", "保安基準適合標章の番号", "A-0012345",
                     "限定保安基準適合証の番号", "L-0000777", "署名又は記名押印", "検査一郎", "主任次郎"):
        assert expected in text, expected
    def seals(pdf, copy):
        """The 印 boxes: 「印」 alone, right of the grid (the notes say 「…印の点検は」)."""
        sheet = SHEETS[copy]
        return [f for page in fragments(pdf) for f in page
                if f.text == "印" and f.x > sheet.margin + sheet.grid_width]

    assert len(seals(sample_pdf("beppyo3", 12, "truck", "shop"), "shop")) == 2  # 検査員, 主任者
    assert len(seals(sample_pdf("beppyo3", 12, "truck", "shop", "periodic"), "shop")) == 1
    customer = "".join(page_texts(sample_pdf("beppyo3", 12, "truck", "customer")))
    assert "署名又は記名押印" not in customer and "主任次郎" in customer


@pytest.mark.parametrize("form", FORMS)
def test_a3_type_is_larger_and_rows_even(form):
    """6.3 pt and a quarter of the sheet empty before; now at least 7 pt, and every check
    row of a page as tall as the others."""
    vehicle = {"beppyo4": "trailer", "beppyo3": "truck"}.get(form, "passenger")
    interval = load_form(form, SAMPLE_DATE).intervals[1]
    record = sample(form, interval, vehicle)
    grid = grid_layout(record, "shop")
    assert grid.font >= 7
    sheet = SHEETS["shop"]
    for number, page in enumerate(grid.pages):
        if number == len(grid.pages) - 1 and len(grid.pages) == 1:
            used = grid.grid_height(number) + grid.notes_height
            assert used > 0.75 * sheet.body
    # In the PDF, each column's symbols sit one row height apart (a heading adds its own).
    printed = fragments(sample_pdf(form, interval, vehicle, "shop"))[0]
    entry = load_form(form, SAMPLE_DATE).intervals.index(interval)
    for index in range(sheet.columns):
        left = sheet.margin + index * (sheet.column_width + sheet.gap)
        cell = left + sheet.part + sheet.text + entry * sheet.cell
        ys = sorted(f.y for f in printed if cell <= f.x <= cell + sheet.cell and f.y > sheet.top + GRID_HEAD)
        # Rows without a symbol at this interval (別表５'s 6-month entries) skip whole rows.
        for step in (b - a for a, b in zip(ys, ys[1:])):
            assert any(abs(step - (rows * grid.row_height + headings * grid.heading_height)) < 0.15
                       for rows in range(1, 8) for headings in range(3)), step


def test_every_check_label_fits_two_lines_of_its_cell():
    for form in FORMS:
        loaded = load_form(form, SAMPLE_DATE)
        for copy in COPIES:
            grid = layout(loaded, copy)
            for page in grid.pages:
                for column in page:
                    for row in column:
                        assert len(row.lines) <= (1 if row.kind == "device" else 2)
                        assert "".join(row.lines) == row.text
                        if row.check is not None and not row.merged:
                            assert row.text == check_label(row.check)


def test_line_breaking_keeps_small_kana_and_commas_off_a_line_start():
    lines = split_lines("エア・サスペンション、ショック・アブソーバ", 20, 7)
    assert all(line[0] not in "、・ーョッ" for line in lines[1:])
    assert "".join(lines) == "エア・サスペンション、ショック・アブソーバ"


def test_samples_render_through_the_service_for_every_vehicle():
    for vehicle in ("passenger", "truck", "trailer"):
        record = sample_record(vehicle=vehicle)
        assert record.id is None  # never saved
        decode_results(record.results)
        for copy in COPIES:
            pdf = record_pdf(record, copy)
            assert record.chassis_number in page_texts(pdf)[0]
    assert sample_record("beppyo6", 12).interval_months == 12
    assert sample_record("beppyo4", 3).axle_layout == "DDD"  # a trailer, not a car, on 別表4
    assert sample_record().form == "beppyo6" and sample_record(vehicle="truck").form == "beppyo3"
    with pytest.raises(ValueError):
        sample_record(vehicle="tractor")
    assert date(2021, 10, 1) <= SAMPLE_DATE


@pytest.mark.parametrize("copy", COPIES)
def test_long_parts_list_and_summary_run_onto_pages_that_carry_the_header(copy):
    """40 replaced parts and a 2,000-character summary: nothing is cut, every page has the
    header and its number, and the grid stays on its own pages."""
    base = sample("beppyo3", 12, "truck")
    parts = [{"name": f"部品{n} ブレーキ・チャンバ・ダイヤフラム", "quantity": n, "unit": "個"}
             for n in range(1, 41)]
    record = {**base, "replaced_parts": parts, "work_summary": "概要の長い記述。" * 250}
    pdf = render_record_pdf(record, copy=copy)
    texts = page_texts(pdf)
    assert len(texts) > len(grid_layout(record, copy).pages)
    for number, text in enumerate(texts, 1):
        assert f"{number}/{len(texts)}" in text
        assert base["vehicle"]["chassis_number"] in text and "有限会社サンプル運送" in text
    joined = "".join(texts)
    assert all(f"部品{n}ブレーキ" in joined for n in range(1, 41))
    assert joined.count("概要の長い記述。") >= 245  # a few are cut by a page's header
    assert "主任次郎" in texts[-1]
    assert unembedded_fonts(pdf) == []
