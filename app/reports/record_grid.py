"""The check grid of the record PDFs: its layout over pages and columns, and its drawing.

Layout (`layout`): the checks run in the ordinance's order down column 1, then column 2 …
of page 1, then page 2. A device's heading opens its section and is repeated as 「（続き）」
only at the top of a column where that device truly continues; a part (点検箇所) is never
split; a heading never ends a column. Every check row has the same height, room for two
lines (a heading has one); the type is the largest that keeps the fewest pages, and a one-page
grid is stretched to use the sheet. Text is broken into lines here with the font's own metrics.

Drawing (`draw_grid`): the grid is drawn with ReportLab's canvas at the coordinates the layout
gives, with 「n / N」 and the record's QR code in the header of every page, and
`app.reports.record_pdf` lays it over the pages xhtml2pdf makes for the header and the other
blocks. Why not an HTML table: xhtml2pdf's rowspans
misplace cells in a table of several side-by-side columns, it wraps text its own way (rows of
uneven height), and a 600-cell table costs most of the 400 ms a record may take.

Units: millimetres for geometry, points for type sizes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from math import ceil

import qrcode
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.domain.inspection_forms import Check, Form, load_form
from app.reports.pdf import register_fonts

__all__ = ["SHEETS", "Layout", "Row", "Sheet", "check_label", "draw_grid", "layout",
           "note_lines", "page_notes", "split_lines", "symbols_text"]

MM = 72 / 25.4  # points per millimetre
FONT = "IPAexGothic"
_ASCENT = 0.88  # IPAexGothic, em
LEADING = 1.1
_CELL_PADDING = 1.2  # mm, left + right
_ROW_PADDING = 0.8  # mm, above and below the two lines of a row
GRID_HEAD = 6.0  # mm, the heading row (two lines: 「12」「か月」)
NOTES_GAP = 1.2  # mm between the grid and its notes
_NOTE_LEADING = 1.25
# A line never starts with these (禁則): the break moves one character earlier.
_NO_LINE_START = set("、。，．・ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ）」』】〕％")
_LINE = 0.5  # pt
_GREY_DEVICE = (0.84, 0.84, 0.84)
_GREY_HEAD = (0.91, 0.91, 0.91)
_GREY_EXCLUDED = (0.6, 0.6, 0.6)
_DISPLAY = {"O": "○"}  # 分解 is drawn round the other symbols on paper: printed ○ first


@dataclass(frozen=True)
class Sheet:
    """One copy's paper and grid geometry."""

    name: str
    template: str
    width: float
    height: float
    margin: float
    header: float  # the header printed on every page
    grid_width: float
    columns: int
    gap: float  # between grid columns
    part: float  # 点検箇所 column
    cell: float  # each interval column
    fonts: tuple[float, ...]  # grid type sizes tried
    max_row: float  # a one-page grid's rows are stretched up to this
    note_font: float

    @property
    def column_width(self) -> float:
        return (self.grid_width - self.gap * (self.columns - 1)) / self.columns

    @property
    def text(self) -> float:
        return self.column_width - self.part - 2 * self.cell

    @property
    def top(self) -> float:
        """Where the grid starts, from the top of the page."""
        return self.margin + self.header

    @property
    def body(self) -> float:
        return self.height - 2 * self.margin - self.header


SHEETS: dict[str, Sheet] = {
    # A3 landscape: the grid on the left, the 指定整備記録簿 block and the rest on the right.
    "shop": Sheet("shop", "record_shop.html", 420, 297, 7, 23, 272, 3, 3, 22, 8,
                  (6.5, 7, 7.5, 8, 8.5, 9, 9.5, 10, 10.5), 13, 6.5),
    # A4 portrait: the grid, then measurements, parts and the shop under it on the last page.
    "customer": Sheet("customer", "record_customer.html", 210, 297, 8, 22, 194, 2, 3, 20, 8,
                      (6, 6.5, 7, 7.5, 8, 8.5, 9), 8, 6),
}


# ---------------------------------------------------------------- measuring text


@lru_cache(maxsize=4096)
def _char_width(char: str) -> float:
    """Width of one character at 1 pt, in millimetres."""
    register_fonts()
    return stringWidth(char, FONT, 1) / MM


def split_lines(text: str, width_mm: float, size_pt: float) -> list[str]:
    """`text` broken into the lines it takes in a cell `width_mm` wide at `size_pt`: any
    character may end a line, but 、。ー and small kana never start one."""
    limit = width_mm - _CELL_PADDING
    lines: list[str] = []
    current: list[str] = []
    width = 0.0
    for char in text:
        if char == "\n":
            lines.append("".join(current))
            current, width = [], 0.0
            continue
        advance = _char_width(char) * size_pt
        if current and width + advance > limit:
            carried: list[str] = []
            if char in _NO_LINE_START and len(current) > 1:
                carried = [current.pop()]
            lines.append("".join(current))
            current = carried
            width = sum(_char_width(c) * size_pt for c in current)
        current.append(char)
        width += advance
    lines.append("".join(current))
    return lines


def _row_height(size_pt: float) -> float:
    """A check row: two lines."""
    return 2 * LEADING * size_pt / MM + _ROW_PADDING


def _heading_height(size_pt: float) -> float:
    """A device heading: one line."""
    return LEADING * size_pt / MM + _ROW_PADDING


# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Row:
    """One grid row: a device heading or one check."""

    kind: str  # "device" or "check"
    text: str  # heading text, or the check's label as printed
    lines: tuple[str, ...]  # `text` broken into the cell's lines
    check: Check | None = None
    merged: bool = False  # 点検箇所 and 点検内容 in one cell (a part name too long for its rows)
    part_lines: tuple[str, ...] = ()  # on the first row of a part: its name's lines
    part_rows: int = 0  # on the first row of a part: the rows its cell spans


@dataclass(frozen=True)
class Layout:
    sheet: Sheet
    font: float  # pt
    row_height: float  # mm, a check row
    heading_height: float  # mm, a device heading
    notes_height: float  # mm reserved for the notes under each page's grid
    pages: tuple[tuple[tuple[Row, ...], ...], ...]  # page → column → rows

    def height(self, row: Row) -> float:
        return self.heading_height if row.kind == "device" else self.row_height

    def grid_height(self, page: int) -> float:
        """Height of page `page`'s grid (0-based), the heading row included."""
        return GRID_HEAD + max((sum(map(self.height, column)) for column in self.pages[page]),
                               default=0)


def check_label(check: Check) -> str:
    """The check as printed: ☆/★ for the distance mark (as on the standard forms), the other
    marks as the law prints them (（※１）), the number within its cell, the wording."""
    marks = "".join(note.printed_mark for note in check.notes if note.kind != "distance_skip")
    number = f"{check.number} " if check.number is not None else ""
    return f"{check.skip_symbol or ''}{marks}{number}{check.wording}"


def _part_blocks(form: Form, sheet: Sheet, size: float) -> list[tuple[str | None, list[Row]]] | None:
    """(device heading or None, the part's rows) per part in the law's order; None if some
    text does not fit two lines at `size`."""
    blocks = []
    for device in form.devices:
        if len(split_lines(f"{device.name}（続き）", sheet.column_width, size)) > 1:
            return None  # a heading has one line
        for part in device.parts:
            labels = [check_label(check) for check in part.checks]
            name = device.name if part.spans_device_column else part.name
            name_lines = split_lines(name, sheet.part, size)
            merged = len(name_lines) > 2 * len(labels)
            rows = []
            for index, (check, label) in enumerate(zip(part.checks, labels)):
                if merged:
                    text = f"{name}　{label}" if index == 0 else label
                    lines = split_lines(text, sheet.part + sheet.text, size)
                else:
                    text, lines = label, split_lines(label, sheet.text, size)
                if len(lines) > 2:
                    return None
                first = index == 0 and not merged
                rows.append(Row("check", text, tuple(lines), check, merged=merged,
                                part_lines=tuple(name_lines) if first else (),
                                part_rows=len(labels) if first else 0))
            blocks.append((None if part.spans_device_column else device.name, rows))
    return blocks


def _fill(blocks, capacities: list[float], row: float, head: float):
    """Fill columns of the given heights (mm) in order; None if the blocks do not fit."""
    columns: list[list[Row]] = [[]]
    used = 0.0
    previous = None
    for device, rows in blocks:
        while True:
            if len(columns) > len(capacities):
                return None
            column = columns[-1]
            opens = device is not None and (device != previous or not column)
            need = len(rows) * row + (head if opens else 0)
            if used + need <= capacities[len(columns) - 1] + 1e-6:
                break
            if not column:  # a part taller than a column
                return None
            columns.append([])
            used = 0.0
        if opens:
            text = f"{device}（続き）" if device == previous else device
            column.append(Row("device", text, (text,)))
        column.extend(rows)
        used += need
        previous = device
    return columns


def _paginate(blocks, full: float, last: float, columns: int, row: float, head: float):
    """Pages of columns (heights in mm): every page full but the last, whose columns are
    balanced (the lowest column height that still takes the rest)."""
    if full < row + head:
        return None
    total = sum(len(rows) * row + head for _, rows in blocks)  # headings counted for each part
    for page_count in range(1, ceil(total / (full * columns)) + 2):
        before = [full] * (columns * (page_count - 1))
        if last < row + head or _fill(blocks, before + [last] * columns, row, head) is None:
            continue
        low, high = 0.0, last
        while high - low > 0.2:
            middle = (low + high) / 2
            if _fill(blocks, before + [middle] * columns, row, head) is None:
                low = middle
            else:
                high = middle
        filled = _fill(blocks, before + [high] * columns, row, head)
        filled += [[] for _ in range(columns * page_count - len(filled))]
        return [filled[i:i + columns] for i in range(0, len(filled), columns)]
    return None


def note_lines(form: Form, notes, first_page: bool) -> list[str]:
    """The law's text of the given notes (and 別表第６ 注① on the first page), as printed."""
    lines = []
    if first_page and form.interval_note:
        lines.append(f"（注）{form.interval_note}")
    for note in notes:
        if note.kind == "distance_skip":
            short, long_ = form.intervals
            lines.append(f"☆・★{note.text}（☆は{short}か月、★は{long_}か月の欄の点検。"
                         f"省略したときは P（又は ☆・★）と記入）")
        else:
            lines.append(note.text)
    return lines


def page_notes(form: Form, page, first_page: bool) -> list[str]:
    """Notes of the marks used on a page, in the law's order."""
    used = {note.mark for column in page for row in column if row.check
            for note in row.check.notes}
    return note_lines(form, [n for n in form.notes if n.mark in used], first_page)


def _notes_paragraph(notes: list[str], sheet: Sheet) -> list[str]:
    return split_lines("　".join(notes), sheet.grid_width, sheet.note_font) if notes else []


def notes_height(notes: list[str], sheet: Sheet) -> float:
    lines = _notes_paragraph(notes, sheet)
    return len(lines) * _NOTE_LEADING * sheet.note_font / MM + NOTES_GAP if lines else 0.0


@lru_cache(maxsize=256)
def _layout(form_id: str, version: date, sheet_name: str, reserved_last: float) -> Layout:
    form = load_form(form_id, version)
    sheet = SHEETS[sheet_name]
    notes = notes_height(note_lines(form, form.notes, True), sheet)  # every note: the most
    height = sheet.body - notes - GRID_HEAD - 1
    best = None
    for size in sorted(sheet.fonts):  # smallest first: it gives the fewest pages
        blocks = _part_blocks(form, sheet, size)
        if blocks is None:
            continue
        row, head = _row_height(size), _heading_height(size)

        def heading(text, size=size):
            return Row("device", text, (text,))

        pages = _paginate(blocks, height, height - reserved_last, sheet.columns, row, head)
        if pages is not None and (best is None or len(pages) <= len(best[3])):
            best = (size, row, head, pages)
    if best is None:
        raise ValueError(f"{form.title} does not fit the {sheet.name} copy")
    size, row, head, pages = best
    if len(pages) == 1:  # use the sheet: stretch the rows of a short form
        tallest = max(len([r for r in c if r.kind == "check"]) * row
                      + len([r for r in c if r.kind == "device"]) * head for c in pages[0])
        scale = min(sheet.max_row / row, (height - reserved_last - 2) / tallest)
        if scale > 1:
            row, head = row * scale, head * scale
    return Layout(sheet, size, round(row, 3), round(head, 3), notes,
                  tuple(tuple(tuple(column) for column in page) for page in pages))


def layout(form: Form, copy: str, reserved_last: float = 0.0) -> Layout:
    """The grid of `form` on the `copy` sheet ("shop" or "customer"); `reserved_last` mm are
    kept free under the grid of the last page (the A4 copy's other blocks)."""
    # In 5 mm steps, so that records of one form share a few cached layouts.
    return _layout(form.id, form.effective_date, copy, float(ceil(reserved_last / 5) * 5))


# ---------------------------------------------------------------- drawing


def symbols_text(symbols: list[str]) -> str:
    ordered = sorted(symbols, key=lambda s: s != "O")  # ○ first, as it encloses the rest
    return "".join(_DISPLAY.get(s, s) for s in ordered)


class _Painter:
    """Cells and text in millimetres from the top-left corner of the page."""

    def __init__(self, canvas: Canvas, page_height: float):
        self.canvas = canvas
        self.page_height = page_height

    def box(self, x, y, w, h, fill=None, top=True):
        c = self.canvas
        bottom = (self.page_height - y - h) * MM
        if fill is not None:
            c.setFillColorRGB(*fill)
            c.rect(x * MM, bottom, w * MM, h * MM, stroke=0, fill=1)
            c.setFillColorRGB(0, 0, 0)
        left, right, upper = x * MM, (x + w) * MM, (self.page_height - y) * MM
        c.line(left, bottom, right, bottom)
        c.line(left, bottom, left, upper)
        c.line(right, bottom, right, upper)
        if top:
            c.line(left, upper, right, upper)

    def text(self, lines, x, y, w, h, size, align="left"):
        """Lines centred vertically in the box (x, y, w, h)."""
        if not lines:
            return
        c = self.canvas
        c.setFont(FONT, size)
        leading = LEADING * size / MM
        block = len(lines) * leading
        first = y + (h - block) / 2 + (leading - size / MM) / 2 + _ASCENT * size / MM
        for index, line in enumerate(lines):
            baseline = (self.page_height - first - index * leading) * MM
            if align == "center":
                c.drawCentredString((x + w / 2) * MM, baseline, line)
            else:
                c.drawString((x + _CELL_PADDING / 2) * MM, baseline, line)


def _draw_heading_row(p: _Painter, sheet: Sheet, x: float, y: float, intervals, size: float):
    widths = [sheet.part, sheet.text, sheet.cell, sheet.cell]
    labels = [["点検箇所"], ["点検内容"]] + [[str(months), "か月"] for months in intervals]
    for width, label in zip(widths, labels):
        p.box(x, y, width, GRID_HEAD, fill=_GREY_HEAD)
        p.text(label, x, y, width, GRID_HEAD, min(size, 7) if len(label) == 1 else 6.5, "center")
        x += width


def _draw_column(p: _Painter, grid: Layout, x: float, y: float, rows, form: Form, interval: int,
                 results: dict):
    sheet, h, size = grid.sheet, grid.row_height, grid.font
    for row in rows:
        if row.kind == "device":
            p.box(x, y, sheet.column_width, grid.heading_height, fill=_GREY_DEVICE)
            p.text(row.lines, x, y, sheet.column_width, grid.heading_height, size)
            y += grid.heading_height
            continue
        if row.merged:
            p.box(x, y, sheet.part + sheet.text, h)
            p.text(row.lines, x, y, sheet.part + sheet.text, h, size)
        else:
            if row.part_rows:
                p.box(x, y, sheet.part, h * row.part_rows)
                p.text(row.part_lines, x, y, sheet.part, h * row.part_rows, size)
            p.box(x + sheet.part, y, sheet.text, h)
            p.text(row.lines, x + sheet.part, y, sheet.text, h, size)
        cell_x = x + sheet.part + sheet.text
        for months in form.intervals:
            if months not in row.check.intervals:
                p.box(cell_x, y, sheet.cell, h, fill=_GREY_EXCLUDED)
            else:
                p.box(cell_x, y, sheet.cell, h)
                if months == interval:
                    symbols = symbols_text(results.get(row.check.id, []))
                    p.text([symbols], cell_x, y, sheet.cell, h, min(size + 1.5, 10), "center")
            cell_x += sheet.cell
        y += h


QR_SIZE = 10.5  # mm, drawn in the top-right corner of the header


def _draw_qr(canvas: Canvas, sheet: Sheet, url: str) -> None:
    """The record's URL as a QR code, drawn as black runs (no image; ReportLab's own QR
    drawing would name Helvetica, a font the PDF does not embed)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = QR_SIZE * MM / len(matrix)
    left = (sheet.width - sheet.margin - QR_SIZE) * MM
    top = (sheet.height - sheet.margin) * MM
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(left + start * module, top - (r + 1) * module, (c - start) * module,
                        module, stroke=0, fill=1)


def _draw_page_number(canvas: Canvas, sheet: Sheet, number: int, count: int, qr: bool) -> None:
    """「n / N」 at the right of the header (left of the QR code, if any)."""
    # The header's last 17 % hold the QR code's caption and the code (_record_macros.html).
    right = sheet.width - sheet.margin - (0.17 * (sheet.width - 2 * sheet.margin) if qr else 0) - 1
    canvas.setFont(FONT, 11)
    canvas.drawRightString(right * MM, (sheet.height - sheet.margin - 5) * MM, f"{number} / {count}")


def draw_grid(grid: Layout, form: Form, interval: int, results: dict, page_count: int,
              qr_url: str | None = None) -> bytes:
    """One PDF page per page of the record: 「n / N」 and the record's QR code (when
    `qr_url` is given) on each; the grid with its symbols and the notes of its marks on the
    layout's pages."""
    sheet = grid.sheet
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(sheet.width * MM, sheet.height * MM),
                    initialFontName=FONT, pageCompression=1)
    for number in range(page_count):
        _draw_page_number(canvas, sheet, number + 1, page_count, bool(qr_url))
        if qr_url:
            _draw_qr(canvas, sheet, qr_url)
        if number >= len(grid.pages):
            canvas.showPage()
            continue
        page = grid.pages[number]
        canvas.setLineWidth(_LINE)
        p = _Painter(canvas, sheet.height)
        for index, rows in enumerate(page):
            x = sheet.margin + index * (sheet.column_width + sheet.gap)
            _draw_heading_row(p, sheet, x, sheet.top, form.intervals, grid.font)
            _draw_column(p, grid, x, sheet.top + GRID_HEAD, rows, form, interval, results)
        lines = _notes_paragraph(page_notes(form, page, number == 0), sheet)
        y = sheet.top + grid.grid_height(number) + NOTES_GAP
        canvas.setFont(FONT, sheet.note_font)
        for line in lines:
            y += _NOTE_LEADING * sheet.note_font / MM
            canvas.drawString(sheet.margin * MM, (sheet.height - y + 0.3) * MM, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()

