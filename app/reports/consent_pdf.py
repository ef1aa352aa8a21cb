"""The PDF of one 承諾書: the consent's wording, who signed for whom, the vehicles it covers and
the signature drawn on the tablet; a scanned consent's own pages (PDF) or image follow.

Drawn on ReportLab's canvas with the IPAex font (app/reports/pdf.py ``register_fonts``): an
image in xhtml2pdf would name an unembedded Helvetica (see pdf.py).
"""
from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from app.domain.wareki import format_wareki
from app.reports.pdf import register_fonts

FONT = "IPAexGothic"
WORDING = (
    "私は、下記の自動車の継続検査について、指定自動車整備事業者が電子化された保安基準適合証を",
    "交付し、継続検査の申請に電子化された自動車損害賠償責任保険証明書等を用いること(自動車",
    "保有関係手続のワンストップサービスの利用)に承諾します。",
)
VEHICLE_ROWS_FIRST_PAGE = 18
VEHICLE_ROWS_PER_PAGE = 45


def render_consent_pdf(consent, shop_name):
    """Bytes of the consent's PDF (A4 portrait)."""
    register_fonts()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"承諾書 {consent.customer_name}")
    width, height = A4
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "承 諾 書")
    pdf.setFont(FONT, 10.5)
    y = height - 45 * mm
    for line in WORDING:
        pdf.drawString(20 * mm, y, line)
        y -= 6 * mm
    y -= 4 * mm
    facts = [
        ("承諾日", format_wareki(consent.signed_on)),
        ("有効期限", format_wareki(consent.valid_until)),
        ("使用者", consent.customer_name + ("(法人)" if consent.is_company else "")),
        ("署名した人", consent.signer_name + (f"({consent.signer_title})" if consent.signer_title else "")),
        ("受け取った事業場", shop_name),
        ("方法", "タブレットで署名" if consent.method == "signature" else "署名(記名押印)済みの書面を取り込み"),
    ]
    for label, value in facts:
        pdf.drawString(20 * mm, y, label)
        pdf.drawString(55 * mm, y, value)
        y -= 6.5 * mm
    numbers = [v.chassis_number for v in consent.vehicles]
    y -= 3 * mm
    pdf.drawString(20 * mm, y, f"対象の自動車(車台番号、{len(numbers)}台)")
    y -= 6 * mm
    first, rest = numbers[:VEHICLE_ROWS_FIRST_PAGE], numbers[VEHICLE_ROWS_FIRST_PAGE:]
    y = _vehicle_rows(pdf, first, y, start=1)
    if consent.method == "signature":
        pdf.drawString(20 * mm, 62 * mm, "署名")
        pdf.rect(20 * mm, 20 * mm, 170 * mm, 40 * mm)
        pdf.drawImage(ImageReader(io.BytesIO(consent.document)), 22 * mm, 22 * mm, width=166 * mm,
                      height=36 * mm, preserveAspectRatio=True, mask="auto")
    elif consent.document_type != "application/pdf":
        pdf.showPage()
        pdf.setFont(FONT, 10.5)
        pdf.drawString(20 * mm, height - 15 * mm, "取り込んだ承諾書")
        pdf.drawImage(ImageReader(io.BytesIO(consent.document)), 15 * mm, 15 * mm, width=180 * mm,
                      height=height - 35 * mm, preserveAspectRatio=True)
    index = len(first) + 1
    while rest:
        page, rest = rest[:VEHICLE_ROWS_PER_PAGE], rest[VEHICLE_ROWS_PER_PAGE:]
        pdf.showPage()
        pdf.setFont(FONT, 10.5)
        pdf.drawString(20 * mm, height - 15 * mm, f"承諾書 {consent.customer_name} 対象の自動車(続き)")
        _vehicle_rows(pdf, page, height - 25 * mm, start=index)
        index += len(page)
    pdf.showPage()
    pdf.save()
    if consent.document_type != "application/pdf":
        return out.getvalue()
    writer = PdfWriter()  # a scanned PDF: its own pages follow ours, untouched
    writer.append(PdfReader(io.BytesIO(out.getvalue())))
    writer.append(PdfReader(io.BytesIO(consent.document)))
    merged = io.BytesIO()
    writer.write(merged)
    return merged.getvalue()


def _vehicle_rows(pdf, numbers, y, *, start):
    for offset, number in enumerate(numbers):
        pdf.drawString(25 * mm, y, f"{start + offset}.")
        pdf.drawString(35 * mm, y, number)
        y -= 5.5 * mm
    return y
