"""Qualified-invoice tax: once per rate per invoice, floored (billing-formats.md §3.2, §3.4)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.invoice_tax import (
    corporate_number_check_digit,
    invoice_totals,
    is_valid_corporate_number,
    registration_number_problems,
    tax_for_rate,
)

TEN = Decimal("0.10")
EIGHT = Decimal("0.08")


def cert(quantity, included=True):
    return ("certificate", quantity, 31, TEN, included)


def rec(quantity, included=True):
    return ("record", quantity, 33, TEN, included)


# §3.4 rows 1 and 2: (certificates, records, stated subtotal, tax and debit for each reading).
@pytest.mark.parametrize(
    ("certificates", "records", "subtotal", "included_tax", "included_net", "excluded_tax", "excluded_debit"),
    [
        (100, 20, 3_760, 341, 3_419, 376, 4_136),
        (385, 10, 12_265, 1_115, 11_150, 1_226, 13_491),
    ],
)
def test_worked_examples(certificates, records, subtotal, included_tax, included_net, excluded_tax, excluded_debit):
    included = invoice_totals([cert(certificates), rec(records)])
    (rate,) = included.by_rate
    assert rate.subtotal_yen == subtotal
    assert (rate.tax_yen, rate.net_yen, rate.gross_yen) == (included_tax, included_net, subtotal)
    assert (included.tax_yen, included.net_yen, included.total_yen) == (included_tax, included_net, subtotal)

    excluded = invoice_totals([cert(certificates, False), rec(records, False)])
    assert excluded.tax_yen == excluded_tax
    assert excluded.net_yen == subtotal
    assert excluded.total_yen == excluded_debit


def test_two_sites_round_once_not_per_line():
    # §3.4 row 3: sites with 7 and 8 certificates → lines 217 + 248 = 465.
    lines = [cert(7), cert(8)]
    totals = invoice_totals(lines)
    assert [line.amount_yen for line in totals.lines] == [217, 248]
    assert totals.tax_yen == 42
    per_line = sum(tax_for_rate(line.amount_yen, TEN, True) for line in totals.lines)
    assert per_line == 41  # the wrong, per-line figure the rule forbids
    assert invoice_totals([cert(7, False), cert(8, False)]).tax_yen == 46


def test_per_unit_rounding_would_differ():
    # §3.4 row 4: 100 certificates at 31 yen.
    assert invoice_totals([cert(100)]).tax_yen == 281
    assert 100 * tax_for_rate(31, TEN, True) == 200
    assert invoice_totals([cert(100, False)]).tax_yen == 310


def test_rates_are_kept_apart_highest_first():
    totals = invoice_totals([("record", 10, 33, TEN, True), ("other", 3, 108, EIGHT, True)])
    assert [r.tax_rate for r in totals.by_rate] == [TEN, EIGHT]
    assert [r.rate_percent_label for r in totals.by_rate] == ["10%", "8%"]
    ten, eight = totals.by_rate
    assert (ten.subtotal_yen, ten.tax_yen) == (330, 30)
    assert (eight.subtotal_yen, eight.tax_yen) == (324, 24)
    assert totals.total_yen == 654
    assert totals.tax_yen == 54


def test_empty_invoice_is_zero():
    totals = invoice_totals([])
    assert (totals.net_yen, totals.tax_yen, totals.total_yen, totals.by_rate) == (0, 0, 0, ())


def test_mixed_treatment_at_one_rate_is_refused():
    with pytest.raises(ValueError):
        invoice_totals([cert(1, True), rec(1, False)])


@pytest.mark.parametrize(
    "line",
    [
        ("certificate", 1.0, 31, TEN, True),
        ("certificate", 1, 31.0, TEN, True),
        ("certificate", -1, 31, TEN, True),
        ("certificate", 1, 31, 0.1, True),
    ],
)
def test_bad_lines_are_refused(line):
    with pytest.raises(ValueError):
        invoice_totals([line])


@given(
    st.lists(st.tuples(st.integers(0, 50_000), st.sampled_from([31, 33, 35])), max_size=8),
    st.booleans(),
)
def test_matches_the_integer_formulas_of_section_3_2(quantities, included):
    lines = [("certificate", q, price, TEN, included) for q, price in quantities]
    totals = invoice_totals(lines)
    stated = sum(q * price for q, price in quantities)
    if included:
        assert totals.tax_yen == stated * 10 // 110
        assert totals.total_yen == stated
        assert totals.net_yen == stated - stated * 10 // 110
    else:
        assert totals.tax_yen == stated * 10 // 100
        assert totals.total_yen == stated + stated * 10 // 100
    assert totals.net_yen + totals.tax_yen == totals.total_yen


def test_corporate_number_check_digit():
    # 国税庁's own 法人番号 is 7000012050002.
    assert corporate_number_check_digit("000012050002") == 7
    assert is_valid_corporate_number("7000012050002")
    assert not is_valid_corporate_number("8000012050002")
    assert not is_valid_corporate_number("700001205000")


def test_registration_number_problems():
    assert registration_number_problems("T7000012050002") == []
    assert registration_number_problems("T8000012050002")  # check digit wrong
    assert registration_number_problems("T8000012050002", corporation=False) == []
    assert registration_number_problems("7000012050002")  # no T
    assert registration_number_problems("Ｔ7000012050002")  # full-width T
    assert registration_number_problems("T７000012050002", corporation=False)  # full-width digit
    assert "T" in registration_number_problems("T123")[0]
