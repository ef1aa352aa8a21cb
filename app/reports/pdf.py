"""PDF rendering core: Jinja templates in ``app/reports/templates/`` → xhtml2pdf → bytes.

Every report (records, invoices, notices) goes through `render_pdf`. Templates extend
``base.html``, which sets the page size from ``page_size`` (default ``a4``), the IPAex fonts
and Japanese line breaking inside table cells (``-pdf-word-wrap: CJK``).

Why it is built this way (see FAB-NOTES.md, "xhtml2pdf and Japanese PDFs"):
- The IPAex TrueType fonts ship in ``app/reports/fonts/`` and are registered with ReportLab
  once per process; parsing a CJK font costs tens of milliseconds per document otherwise.
  A missing font fails silently in xhtml2pdf (text becomes boxes), so registration checks
  the files and raises.
- Templates may only read files under ``app/reports/`` (fonts, images): the resource policy
  and the link callback refuse everything else, including the network, so a value that ends
  up in an ``<img src>`` cannot read local files or reach internal hosts.
- pisa reports errors in ``result.err`` instead of raising; we raise `PdfRenderError`.
- Every font a PDF names must be embedded (a stored 事業場控え must print the same anywhere):
  `register_fonts` makes ReportLab's table cells and canvas default to IPAexGothic. xhtml2pdf
  still names Helvetica (never embedded) for every inline ``<img>`` and for a paragraph that
  holds only an image; the record PDFs draw their QR code on the canvas instead
  (app/reports/record_grid.py). ``tests/reports/pdf_probe.unembedded_fonts`` finds them.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import qrcode
from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables as rl_tables
from xhtml2pdf import default as pisa_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from app.domain.wareki import format_wareki

__all__ = [
    "FONTS",
    "PdfRenderError",
    "REPORTS_DIR",
    "TEMPLATES_DIR",
    "html_to_pdf",
    "qr_data_uri",
    "register_fonts",
    "render_html",
    "render_pdf",
]

log = logging.getLogger(__name__)

REPORTS_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = REPORTS_DIR / "templates"
FONTS_DIR = REPORTS_DIR / "fonts"

# CSS family name → TrueType file. The CSS names are what templates use in font-family.
FONTS: dict[str, str] = {
    "IPAexGothic": "ipaexg.ttf",
    "IPAexMincho": "ipaexm.ttf",
}


class PdfRenderError(RuntimeError):
    """xhtml2pdf reported errors while building a PDF."""


_fonts_lock = threading.Lock()
_fonts_registered = False


def register_fonts() -> None:
    """Register the IPAex fonts with ReportLab and xhtml2pdf, once per process."""
    global _fonts_registered
    if _fonts_registered:
        return
    with _fonts_lock:
        if _fonts_registered:
            return
        for family, filename in FONTS.items():
            path = FONTS_DIR / filename
            if not path.is_file():
                raise PdfRenderError(f"font file missing: {path}")
            pdfmetrics.registerFont(TTFont(family, str(path)))
            # IPAex has one weight: bold and italic draw with the same face.
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(family, bold, italic, family)
            # Every xhtml2pdf context copies DEFAULT_FONT, so the families resolve in all
            # documents without an @font-face (which would re-read the file each time).
            pisa_default.DEFAULT_FONT[family.lower()] = family
        # ReportLab names Helvetica (never embedded) in every page that draws a table cell
        # (each cell sets its style's font, Helvetica by default) and in the canvas's first
        # text state. A stored 事業場控え must embed every font it names, so both default to
        # the embedded gothic face.
        rl_config.canvas_basefontname = "IPAexGothic"
        rl_tables.CellStyle.fontname = "IPAexGothic"
        _fonts_registered = True


def _wareki_filter(value: date | datetime | str | None, style: str = "long") -> str:
    """Jinja filter: a date (or ISO text) as 和暦; empty for None."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_wareki(value, style=style)


def _number_filter(value: Any, digits: int = 1) -> str:
    """Jinja filter: a measured value with fixed decimals; empty for None."""
    if value in (None, ""):
        return ""
    if isinstance(value, (int, float)):
        return f"{value:.{digits}f}"
    return str(value)


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=jinja2.select_autoescape(["html", "xml"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["wareki"] = _wareki_filter
_env.filters["number"] = _number_filter

_POLICY = ResourceAccessPolicy.server(base_dir=REPORTS_DIR, allow_remote=False)


def _link_callback(uri: str, rel: str | None) -> str:
    """Resolve a template's resource to a file under app/reports/, or refuse it."""
    if uri.startswith("data:"):
        return uri
    path = (REPORTS_DIR / uri.lstrip("/")).resolve()
    if not path.is_relative_to(REPORTS_DIR):
        raise PdfRenderError(f"resource outside app/reports refused: {uri[:120]!r}")
    return str(path)


def render_html(template_name: str, context: dict[str, Any]) -> str:
    return _env.get_template(template_name).render(**context)


def html_to_pdf(html: str) -> bytes:
    """Build a PDF from HTML; raise PdfRenderError if xhtml2pdf reports an error."""
    register_fonts()
    out = io.BytesIO()
    result = pisa.pisaDocument(
        html,
        dest=out,
        encoding="utf-8",
        link_callback=_link_callback,
        resource_policy=_POLICY,
        path=str(REPORTS_DIR / "document.html"),
    )
    if result.err:
        messages = [str(entry) for entry in getattr(result, "log", [])][-5:]
        raise PdfRenderError(f"xhtml2pdf reported {result.err} error(s): {messages}")
    return out.getvalue()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render `template_name` (under app/reports/templates/) with `context` to PDF bytes."""
    return html_to_pdf(render_html(template_name, context))


def qr_data_uri(url: str, box_size: int = 4) -> str:
    """A PNG QR code of `url` as a ``data:`` URI for an ``<img src>``."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
