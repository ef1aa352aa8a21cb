"""Consumption tax on a qualified invoice (適格請求書) and the registration number check.

消費税法57条の4 and 施行令70条の10: the 消費税額等 is computed from the per-rate total and rounded
once per tax rate per invoice, never per line or per unit (billing-formats.md §3.2). The rounding
direction is the issuer's choice; Keizoku floors (切捨て), as §3.2 decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, NamedTuple


class InvoiceLine(NamedTuple):
    kind: str
    quantity: int
    unit_price_yen: int
    tax_rate: Decimal
    tax_included: bool

    @property
    def amount_yen(self) -> int:
        return self.quantity * self.unit_price_yen


@dataclass(frozen=True)
class RateTotal:
    """The invoice's figures for one tax rate (適格請求書 items 4 and 5)."""

    tax_rate: Decimal
    tax_included: bool
    # Sum of line amounts as the prices are stated (税込 when tax_included, else 税抜).
    subtotal_yen: int
    net_yen: int  # 税抜
    tax_yen: int  # 消費税額等, rounded once
    gross_yen: int  # 税込

    @property
    def rate_percent_label(self) -> str:
        return rate_percent_label(self.tax_rate)


@dataclass(frozen=True)
class Totals:
    lines: tuple[InvoiceLine, ...]
    by_rate: tuple[RateTotal, ...]  # highest rate first
    net_yen: int
    tax_yen: int
    total_yen: int  # 税込 total: the amount debited from the bank account


def rate_percent_label(tax_rate: Decimal) -> str:
    """「10%」 (or 「8%」) as printed on invoices and in the CSV detail."""
    return f"{(tax_rate * 100).normalize():f}%"


def tax_for_rate(subtotal_yen: int, tax_rate: Decimal, tax_included: bool) -> int:
    """The 消費税額等 of one rate's subtotal, floored.

    Tax-excluded prices: floor(net × r). Tax-included: floor(gross × r / (1 + r)); for 10% these are
    §3.2's ``net * 10 // 100`` and ``gross * 10 // 110``. Fractions keep the arithmetic exact.
    """
    rate = Fraction(tax_rate)
    base = Fraction(subtotal_yen)
    tax = base * rate / (1 + rate) if tax_included else base * rate
    return tax.numerator // tax.denominator


def invoice_totals(lines: Iterable[tuple[str, int, int, Decimal, bool]]) -> Totals:
    """Totals of an invoice from its lines ``(kind, quantity, unit_price_yen, tax_rate, tax_included)``.

    All lines of one rate must state prices the same way (all 税込 or all 税抜): the tax of a
    rate is rounded once from one total, and a mixed total has no single legal rounding.
    """
    invoice_lines = tuple(_check_line(InvoiceLine(*line)) for line in lines)
    grouped: dict[Decimal, list[InvoiceLine]] = {}
    for line in invoice_lines:
        grouped.setdefault(line.tax_rate, []).append(line)

    by_rate = []
    for rate in sorted(grouped, reverse=True):
        rate_lines = grouped[rate]
        treatments = {line.tax_included for line in rate_lines}
        if len(treatments) != 1:
            raise ValueError(
                f"lines at tax rate {rate} mix tax-included and tax-excluded prices; "
                "one invoice must state each rate one way"
            )
        tax_included = treatments.pop()
        subtotal = sum(line.amount_yen for line in rate_lines)
        tax = tax_for_rate(subtotal, rate, tax_included)
        net, gross = (subtotal - tax, subtotal) if tax_included else (subtotal, subtotal + tax)
        by_rate.append(RateTotal(rate, tax_included, subtotal, net, tax, gross))

    return Totals(
        lines=invoice_lines,
        by_rate=tuple(by_rate),
        net_yen=sum(r.net_yen for r in by_rate),
        tax_yen=sum(r.tax_yen for r in by_rate),
        total_yen=sum(r.gross_yen for r in by_rate),
    )


def _check_line(line: InvoiceLine) -> InvoiceLine:
    for name in ("quantity", "unit_price_yen"):
        value = getattr(line, name)
        # Money is int yen; a float or bool here is a caller bug that would round silently.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"invoice line {line.kind!r}: {name} must be a non-negative int")
    if not isinstance(line.tax_rate, Decimal):
        raise ValueError(f"invoice line {line.kind!r}: tax_rate must be a Decimal such as Decimal('0.10')")
    return line


# --- Registration number (登録番号) ---------------------------------------------------------

_REGISTRATION_NUMBER = re.compile(r"T([0-9]{13})")  # \d would accept full-width digits


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a 法人番号 from its 12-digit base (財務省令 平成26年第70号 第2条).

    With P_n the n-th digit counted from the right and Q_n = 1 for odd n, 2 for even n:
    check = 9 − (Σ P_n × Q_n mod 9).
    """
    if len(base12) != 12 or not base12.isascii() or not base12.isdigit():
        raise ValueError("a corporate number base is 12 digits")
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def is_valid_corporate_number(number: str) -> bool:
    """13 digits whose first digit is the check digit of the other 12."""
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return False
    return int(number[0]) == corporate_number_check_digit(number[1:])


def registration_number_problems(number: str, *, corporation: bool = True) -> list[str]:
    """Japanese problems with a 適格請求書発行事業者 registration number (empty when valid).

    For a corporation the 13 digits are its 法人番号, whose check digit is verified; a sole
    proprietor's number is a separate number, so only its format is checked (§3.1).
    """
    match = _REGISTRATION_NUMBER.fullmatch(number)
    if not match:
        return ["登録番号は「T」と13桁の数字で入力してください（例: T1234567890123）。"]
    if corporation and not is_valid_corporate_number(match.group(1)):
        return ["登録番号の法人番号部分のチェックディジットが一致しません。国税庁の公表サイトで番号を確認してください。"]
    return []
