"""The qualified-invoice PDF (billing-formats.md §3.1): fonts, registration number, totals."""

import datetime as dt
import io
import re
from decimal import Decimal

import pypdf
import pytest

from app.reports.invoice_pdf import (
    InvoiceDetailLine,
    InvoiceDocument,
    InvoiceDocumentError,
    render_invoice_pdf,
)

TEN = Decimal("0.10")


def document(lines, **changes):
    values = dict(
        invoice_number="2026-05-000123",
        issuer_name="一般社団法人 継続協会",
        registration_number="T7000012050002",
        recipient_name="株式会社山田自動車",
        issue_date=dt.date(2026, 6, 1),
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
        debit_date=dt.date(2026, 6, 29),
        lines=tuple(lines),
        issuer_address="東京都千代田区霞が関1-1-1",
    )
    values.update(changes)
    return InvoiceDocument(**values)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


def compact(text: str) -> str:
    # Table cells come out on separate lines; join them to search for a label and its value.
    return re.sub(r"\s+", "", text)


def test_invoice_for_one_site_shows_every_required_item():
    lines = [
        InvoiceDetailLine("本社工場", "certificate", 385, 31, TEN, True),
        InvoiceDetailLine("本社工場", "record", 10, 33, TEN, True),
    ]
    pdf = render_invoice_pdf(document(lines))
    assert pdf.startswith(b"%PDF")
    assert "IPAexGothic" in embedded_fonts(pdf)
    text = compact(text_of(pdf))
    # (1) issuer and registration number, (6) recipient, (2) period.
    assert "一般社団法人継続協会" in text
    assert "登録番号T7000012050002" in text
    assert "株式会社山田自動車御中" in text
    assert "2026年5月1日〜2026年5月31日ご利用分" in text
    assert "口座振替日2026年6月29日" in text
    # (3)–(5): §3.4 second example, 385 × 31 + 10 × 33 = 12,265 tax-included, tax 1,115.
    assert "電子保適証作成3138511,935" in text
    assert "記録簿作成331033010%" in text
    assert "10%対象12,265円（税込）" in text
    assert "うち消費税等（10%）1,115円" in text
    assert "税抜合計11,150円" in text
    assert "ご請求金額（税込）12,265円" in text


def test_two_sites_tax_is_rounded_once_per_invoice():
    # §3.4: 7 + 8 certificates at two sites → 217 + 248 = 465, tax 42 (per line would give 41).
    lines = [
        InvoiceDetailLine("本社工場", "certificate", 7, 31, TEN, True),
        InvoiceDetailLine("第二工場", "certificate", 8, 31, TEN, True),
    ]
    text = compact(text_of(render_invoice_pdf(document(lines))))
    assert "本社工場電子保適証作成31721710%" in text
    assert "第二工場電子保適証作成31824810%" in text
    assert "うち消費税等（10%）42円" in text
    assert "ご請求金額（税込）465円" in text


def test_many_sites_run_over_pages_and_keep_every_line():
    sites = [f"第{n}工場" for n in range(1, 61)]
    lines = [InvoiceDetailLine(site, "record", n, 33, TEN, True) for n, site in enumerate(sites, start=1)]
    pdf = render_invoice_pdf(document(lines))
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2
    text = compact(text_of(pdf))
    for n, site in enumerate(sites, start=1):
        assert f"{site}記録簿作成33{n}{n * 33:,}10%" in text
    stated = 33 * sum(range(1, 61))
    assert f"ご請求金額（税込）{stated:,}円" in text
    assert f"うち消費税等（10%）{stated * 10 // 110:,}円" in text


def test_tax_excluded_prices_add_the_tax():
    lines = [InvoiceDetailLine("本社工場", "certificate", 100, 31, TEN, False)]
    text = compact(text_of(render_invoice_pdf(document(lines))))
    assert "10%対象3,100円（税抜）" in text
    assert "ご請求金額（税込）3,410円" in text


@pytest.mark.parametrize("number", ["T8000012050002", "7000012050002", "T700001205000"])
def test_invalid_registration_number_is_refused(number):
    lines = [InvoiceDetailLine("本社工場", "record", 1, 33, TEN, True)]
    with pytest.raises(InvoiceDocumentError) as info:
        render_invoice_pdf(document(lines, registration_number=number))
    assert "登録番号" in str(info.value)


def test_sole_proprietor_number_is_checked_for_format_only():
    lines = [InvoiceDetailLine("本社工場", "record", 1, 33, TEN, True)]
    pdf = render_invoice_pdf(document(lines, registration_number="T8000012050002", issuer_is_corporation=False))
    assert "T8000012050002" in text_of(pdf)


def test_recipient_name_is_escaped():
    lines = [InvoiceDetailLine("<b>工場</b>", "record", 1, 33, TEN, True)]
    text = text_of(render_invoice_pdf(document(lines, recipient_name="A&B<自動車>")))
    assert "A&B<自動車> 御中" in text
    assert "<b>工場</b>" in text
