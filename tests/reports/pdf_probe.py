"""Reading PDFs in tests with pypdf only (CI machines may have no poppler): the fonts a PDF
names and whether it embeds them, the text of each page with its position, and what a record
PDF prints in each check's own row (a symbol found anywhere proves nothing: the notes of the
marks print every symbol)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from app.domain.inspection_forms import load_form
from app.reports.record_grid import GRID_HEAD, SHEETS
from app.reports.record_pdf import grid_layout

MM = 72 / 25.4

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _fonts_of(resources, seen: set) -> list[DictionaryObject]:
    """Every font dictionary reachable from a resource dictionary, form XObjects included."""
    fonts = []
    if resources is None:
        return fonts
    resources = resources.get_object()
    for ref in (resources.get("/Font") or {}).values():
        fonts.append(ref.get_object())
    for ref in (resources.get("/XObject") or {}).values():
        xobject = ref.get_object()
        key = id(xobject)
        if xobject.get("/Subtype") == "/Form" and key not in seen:
            seen.add(key)
            fonts.extend(_fonts_of(xobject.get("/Resources"), seen))
    return fonts


def unembedded_fonts(pdf: bytes) -> list[str]:
    """Names of the fonts some page uses without embedding them (descendant fonts of Type0
    fonts checked too); Type3 fonts are drawn by the PDF itself and count as embedded."""
    missing = []
    reader = PdfReader(io.BytesIO(pdf))
    for number, page in enumerate(reader.pages, 1):
        for font in _fonts_of(page.get("/Resources"), set()):
            if font.get("/Subtype") == "/Type3":
                continue
            targets = [font]
            if font.get("/Subtype") == "/Type0":
                targets = [d.get_object() for d in font["/DescendantFonts"]]
            for target in targets:
                descriptor = target.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                if not any(key in descriptor for key in _FONT_FILES):
                    missing.append(f"page {number}: {target.get('/BaseFont')}")
    return missing


@dataclass(frozen=True)
class Fragment:
    """A piece of text as drawn: x, y of its start in millimetres from the page's top-left."""

    text: str
    x: float
    y: float


def fragments(pdf: bytes) -> list[list[Fragment]]:
    """Per page, the text drawn on it with positions (form XObjects included)."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        height = float(page.mediabox.height)
        found: list[Fragment] = []

        def visit(text, cm, tm, font, size, found=found, height=height):
            text = text.strip()
            if text:
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
                found.append(Fragment(text, x / MM, (height - y) / MM))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text with all whitespace removed (lines wrapped anywhere join up)."""
    reader = PdfReader(io.BytesIO(pdf))
    return ["".join(page.extract_text().split()) for page in reader.pages]


def row_symbols(pdf: bytes, copy: str, record: dict) -> dict[str, str]:
    """check id → the text printed in the entry cell of that check's own row."""
    grid = grid_layout(record, copy)
    sheet = SHEETS[copy]
    form = load_form(record["form"], record["inspection_date"])
    entry = form.intervals.index(record["interval_months"])
    found = {}
    for page, page_fragments in zip(grid.pages, fragments(pdf)):
        for index, column in enumerate(page):
            left = sheet.margin + index * (sheet.column_width + sheet.gap)
            cell_left = left + sheet.part + sheet.text + entry * sheet.cell
            y = sheet.top + GRID_HEAD
            for row in column:
                height = grid.height(row)
                if row.check is not None:
                    texts = [f.text for f in page_fragments
                             if cell_left <= f.x <= cell_left + sheet.cell and y < f.y < y + height]
                    found[row.check.id] = "".join(texts)
                y += height
    return found
