"""Where the hybrid forms' values go, and printing them on the official blank form.

One data file per form in ``data/forms/<form_id>.json`` (positions in mm from the sheet's
top-left corner, the form's title, its page size and reference marks). The shipped positions
are estimates (not measured on the current official PDFs); the association replaces a form's
file by uploading a corrected copy, kept in the forms directory (``HYBRID_FORMS_DIR``), so a
correction needs no release. The same directory holds the official blank form PDF the
association uploaded once: the values are then drawn on it (pypdf merges the values page onto
the form page); without it only the values are printed, for pre-printed stock.

Nothing may be printed within ``keep_clear_mm`` of a reference mark (基準マーク): an OCR reader
finds the sheet by them. A layout that breaks that rule, or puts a field off the page, is refused
with Japanese messages (`layout_problems`).
"""
from __future__ import annotations

import copy
import io
import json
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "forms"
FORM_IDS = ("ocr-registered", "ocr-kei", "weight-tax-registered", "weight-tax-kei")
A4_MM = (210.0, 297.0)
MM = 72 / 25.4


class FormFileError(ValueError):
    """An uploaded blank form or positions file that cannot be used; the message is Japanese."""


@lru_cache(maxsize=None)
def shipped_layout(form_id: str) -> dict:
    if form_id not in FORM_IDS:
        raise ValueError(f"unknown hybrid form {form_id!r}")
    return json.loads((SHIPPED_DIR / f"{form_id}.json").read_text(encoding="utf-8"))


def _override(forms_dir: Path | None, form_id: str, suffix: str) -> Path | None:
    if forms_dir is None:
        return None
    path = Path(forms_dir) / f"{form_id}{suffix}"
    return path if path.is_file() else None


def layout(form_id: str, forms_dir: Path | None = None) -> dict:
    """The association's positions file for ``form_id`` if it uploaded one, else the shipped one."""
    path = _override(forms_dir, form_id, ".json")
    if path is None:
        return shipped_layout(form_id)
    return json.loads(path.read_text(encoding="utf-8"))


def blank_form(form_id: str, forms_dir: Path | None = None) -> bytes | None:
    path = _override(forms_dir, form_id, ".pdf")
    return path.read_bytes() if path is not None else None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def layout_problems(form_id: str, data) -> list[str]:
    """Why ``data`` cannot be the positions file of ``form_id`` (Japanese), [] when it can."""
    shipped = shipped_layout(form_id)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        return ["位置ファイルに fields(項目ごとの位置)がありません。ダウンロードしたファイルを直してアップロードしてください。"]
    width, height = shipped["page_mm"]
    keep_clear = shipped["keep_clear_mm"]
    problems = []
    unknown = sorted(set(data["fields"]) - set(shipped["fields"]))
    if unknown:
        problems.append(f"この様式にない項目があります: {'、'.join(unknown)}。")
    for name, box in data["fields"].items():
        if name in unknown:
            continue
        label = shipped["fields"][name]["label"]
        if not isinstance(box, dict) or not all(_number(box.get(k)) for k in ("x", "y", "w", "h")):
            problems.append(f"「{label}」の x, y, w, h は数値(mm)で指定してください。")
            continue
        if box["w"] <= 0 or box["h"] <= 0 or box["x"] < 0 or box["y"] < 0 \
                or box["x"] + box["w"] > width or box["y"] + box["h"] > height:
            problems.append(f"「{label}」が用紙({width}×{height}mm)からはみ出しています。")
            continue
        for mark in shipped["reference_marks"]:
            near_x = box["x"] - keep_clear < mark["x"] + 3 and mark["x"] < box["x"] + box["w"] + keep_clear
            near_y = box["y"] - keep_clear < mark["y"] + 3 and mark["y"] < box["y"] + box["h"] + keep_clear
            if near_x and near_y:
                problems.append(f"「{label}」が基準マーク(x {mark['x']}mm, y {mark['y']}mm)に近すぎます。"
                                f"{keep_clear}mm以上離してください。")
    return problems


def parse_layout(form_id: str, content: bytes) -> dict:
    """An uploaded positions file, checked; raises FormFileError with the problems."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormFileError("位置ファイルを読めません。ダウンロードした JSON ファイルを直して、UTF-8 のままアップロードしてください。") from None
    problems = layout_problems(form_id, data)
    if problems:
        raise FormFileError("\n".join(problems))
    merged = copy.deepcopy(shipped_layout(form_id))
    for name, box in data["fields"].items():
        merged["fields"][name].update({k: float(box[k]) for k in ("x", "y", "w", "h")})
    return merged


def check_blank_form(form_id: str, content: bytes) -> None:
    """An uploaded official blank form: a readable PDF whose first page is A4 in the form's
    orientation (after its /Rotate); raises FormFileError otherwise."""
    title = shipped_layout(form_id)["title"]
    try:
        reader = PdfReader(io.BytesIO(content))
        page = reader.pages[0]
    except (PdfReadError, IndexError, ValueError, KeyError, TypeError):
        raise FormFileError(f"「{title}」の PDF を読めません。公表されている様式の PDF をそのままアップロードしてください。") from None
    width, height = float(page.mediabox.width) / MM, float(page.mediabox.height) / MM
    if (page.rotation or 0) % 180:
        width, height = height, width
    expected = shipped_layout(form_id)["page_mm"]
    if abs(width - expected[0]) > 3 or abs(height - expected[1]) > 3:
        raise FormFileError(f"「{title}」は A4({expected[0]}×{expected[1]}mm)の様式です。"
                            f"アップロードされた PDF は {width:.0f}×{height:.0f}mm です。")


def merge_on_blank(values_pdf: bytes, blank_pdf: bytes, title: str) -> bytes:
    """The values page drawn over the first page of the official blank form."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(blank_pdf)), pages=[0])
    form_page = writer.pages[0]
    if form_page.rotation:
        form_page.transfer_rotation_to_content()  # the form's PDF may be stored rotated (§3.2)
    form_page.merge_page(PdfReader(io.BytesIO(values_pdf)).pages[0])
    return titled(writer, title)


def titled(writer_or_pdf, title: str) -> bytes:
    """The PDF with ``title`` as its document title (/Title), so it names its form."""
    writer = writer_or_pdf
    if isinstance(writer_or_pdf, bytes):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(writer_or_pdf)))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
