"""The monthly invoice as a qualified invoice (適格請求書) PDF.

消費税法57条の4第1項 requires (billing-formats.md §3.1): the issuer's name and registration
number, the date or period of the sales, their content, the per-rate total with the rate, the
消費税額等 per rate, and the recipient's name. The tax per rate comes from ``invoice_totals``
(rounded once per rate per invoice); this module only lays the figures out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.domain.invoice_tax import invoice_totals, rate_percent_label, registration_number_problems
from app.domain.prices import KIND_LABELS
from app.reports.pdf import render_pdf

TEMPLATE = "invoice.html"


class InvoiceDocumentError(ValueError):
    """The invoice cannot be issued as a qualified invoice (message in Japanese)."""


@dataclass(frozen=True)
class InvoiceDetailLine:
    """One line of the per-site breakdown: a site, a billable kind and a unit price."""

    site_name: str
    kind: str
    quantity: int
    unit_price_yen: int
    tax_rate: Decimal
    tax_included: bool


@dataclass(frozen=True)
class InvoiceDocument:
    invoice_number: str
    issuer_name: str  # the association
    registration_number: str  # 登録番号: "T" + 13 digits
    recipient_name: str  # the billed 事業者 (or 事業場 billed alone)
    issue_date: dt.date
    period_start: dt.date  # first day of the billing month
    period_end: dt.date  # last day of the billing month
    debit_date: dt.date  # 口座振替日
    lines: tuple[InvoiceDetailLine, ...]
    issuer_address: str = ""
    issuer_phone: str = ""
    # A corporation's registration number carries its 法人番号 check digit (§3.1).
    issuer_is_corporation: bool = True


def _japanese_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _yen(amount: int) -> str:
    return f"{amount:,}"


def invoice_context(doc: InvoiceDocument) -> dict:
    """The template context: every figure formatted, totals computed once here."""
    problems = registration_number_problems(doc.registration_number, corporation=doc.issuer_is_corporation)
    if problems:
        raise InvoiceDocumentError(problems[0])
    if doc.period_end < doc.period_start:
        raise InvoiceDocumentError("請求期間の終了日が開始日より前になっています。期間を確認してください。")
    totals = invoice_totals(
        (line.kind, line.quantity, line.unit_price_yen, line.tax_rate, line.tax_included) for line in doc.lines
    )
    lines = [
        {
            "site_name": detail.site_name,
            "label": KIND_LABELS[detail.kind],
            "unit_price": _yen(detail.unit_price_yen),
            "quantity": _yen(detail.quantity),
            "amount": _yen(line.amount_yen),
            "rate": rate_percent_label(detail.tax_rate),
        }
        for detail, line in zip(doc.lines, totals.lines)
    ]
    rates = [
        {
            "label": rate.rate_percent_label,
            "treatment": "税込" if rate.tax_included else "税抜",
            "subtotal": _yen(rate.subtotal_yen),
            "net": _yen(rate.net_yen),
            "tax": _yen(rate.tax_yen),
            "gross": _yen(rate.gross_yen),
            "tax_included": rate.tax_included,
        }
        for rate in totals.by_rate
    ]
    return {
        "title": f"請求書 {doc.invoice_number}",
        "invoice_number": doc.invoice_number,
        "issuer_name": doc.issuer_name,
        "issuer_address": doc.issuer_address,
        "issuer_phone": doc.issuer_phone,
        "registration_number": doc.registration_number,
        "recipient_name": doc.recipient_name,
        "issue_date": _japanese_date(doc.issue_date),
        "period": f"{_japanese_date(doc.period_start)}〜{_japanese_date(doc.period_end)}ご利用分",
        "debit_date": _japanese_date(doc.debit_date),
        "lines": lines,
        "rates": rates,
        "net_total": _yen(totals.net_yen),
        "tax_total": _yen(totals.tax_yen),
        "total": _yen(totals.total_yen),
    }


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice PDF, rendered with the shared IPAex fonts through ``render_pdf``."""
    return render_pdf(TEMPLATE, invoice_context(doc))
