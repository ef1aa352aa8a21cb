"""Per-site invoice detail CSV (billing-formats.md §4)."""

import csv
import io
from decimal import Decimal

import pytest

from app.reports.billing_csv import COLUMNS, CsvEncodingError, InvoiceSummary, render_invoice_csv

TEN = Decimal("0.10")


def row(**changes):
    values = dict(
        invoice_number="2026-05-000123",
        billing_month="2026-05",
        business_name="株式会社山田自動車",
        site_name="本社工場",
        designation_number="1234",
        kind="certificate",
        quantity=7,
        unit_price_yen=31,
        amount_yen=217,
        tax_included=True,
        tax_rate=TEN,
    )
    values.update(changes)
    return values


def parse(content: bytes, encoding: str):
    return list(csv.reader(io.StringIO(content.decode(encoding), newline="")))


def test_utf8_with_bom_crlf_and_japanese_headers():
    rows = [row(), row(kind="record", quantity=3, unit_price_yen=33, amount_yen=99, site_name="第二工場")]
    content = render_invoice_csv(rows)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.count(b"\r\n") == 3 and content.endswith(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")
    table = parse(content, "utf-8-sig")
    assert table[0] == [c.header for c in COLUMNS]
    assert table[0][:4] == ["請求書番号", "ご利用月", "事業者名", "事業場名"]
    assert table[1] == ["2026-05-000123", "2026年5月分", "株式会社山田自動車", "本社工場", "第1234号",
                        "電子保適証作成", "7", "31", "217", "税込", "10%"]
    assert table[2][5:9] == ["記録簿作成", "3", "33", "99"]


def test_cp932_has_no_bom_and_round_trips_vendor_characters():
    rows = [row(business_name="㈱髙橋モータース①", site_name="德島工場")]
    content = render_invoice_csv(rows, encoding="cp932")
    assert not content.startswith(b"\xef\xbb\xbf")
    assert "髙".encode("cp932") in content
    assert parse(content, "cp932")[1][2:4] == ["㈱髙橋モータース①", "德島工場"]


def test_quoting_only_where_needed():
    content = render_invoice_csv([row(site_name='工場,"東"\r\n2号')]).decode("utf-8-sig")
    assert '"工場,""東""\r\n2号"' in content
    assert '"2026年5月分"' not in content  # plain fields stay unquoted
    assert parse(content.encode("utf-8-sig"), "utf-8-sig")[1][3] == '工場,"東"\r\n2号'


def test_cp932_maps_look_alikes_to_windows_forms():
    content = render_invoice_csv([row(site_name="A\u2014B\u00a0C〜D")], encoding="cp932")
    assert parse(content, "cp932")[1][3] == "A―B C～D"


def test_cp932_refuses_unencodable_characters_with_their_place():
    rows = [row(), row(business_name="𠮷野家モータース"), row(site_name="工場♥")]
    with pytest.raises(CsvEncodingError) as info:
        render_invoice_csv(rows, encoding="cp932")
    assert info.value.problems == [(3, "事業者名", "𠮷"), (4, "事業場名", "♥")]
    assert "3行目「事業者名」の「𠮷」" in str(info.value)
    # The same rows are fine in UTF-8.
    assert "𠮷".encode("utf-8") in render_invoice_csv(rows)


def test_formula_injection_is_neutralised_in_names():
    content = render_invoice_csv([row(business_name="=HYPERLINK(\"x\")", site_name="-工場")])
    table = parse(content, "utf-8-sig")
    assert table[1][2] == "'=HYPERLINK(\"x\")"
    assert table[1][3] == "'-工場"


def test_none_designation_number_is_an_empty_cell():
    assert parse(render_invoice_csv([row(designation_number=None)]), "utf-8-sig")[1][4] == ""


def test_tax_excluded_row():
    table = parse(render_invoice_csv([row(tax_included=False)]), "utf-8-sig")
    assert table[1][9] == "税抜"


@pytest.mark.parametrize(
    "bad",
    [
        row(amount_yen=216),  # not quantity × unit price
        row(quantity=7.0),
        row(quantity="7"),
        row(kind="sticker"),
        row(tax_rate=0.1),
        {k: v for k, v in row().items() if k != "site_name"},
    ],
)
def test_malformed_rows_are_refused(bad):
    with pytest.raises(ValueError):
        render_invoice_csv([bad])


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError):
        render_invoice_csv([row()], encoding="shift_jis")


def test_header_only_when_there_are_no_rows():
    assert parse(render_invoice_csv([]), "utf-8-sig") == [[c.header for c in COLUMNS]]


def test_month_and_designation_number_stay_text_in_excel():
    table = parse(render_invoice_csv([row(designation_number="0567"), row(designation_number="関指第567号")]),
                  "utf-8-sig")
    # Excel turns "2026-05" into a date and "0567" into 567; these are text.
    assert [r[1] for r in table[1:]] == ["2026年5月分", "2026年5月分"]
    assert [r[4] for r in table[1:]] == ["第0567号", "関指第567号"]


def test_summary_rows_give_each_rate_its_total_and_tax_the_amount_billed_and_the_registration_number():
    summary = InvoiceSummary(invoice_number="2026-05-000123", billing_month="2026-05", business_name="株式会社山田自動車",
                             issuer_name="一般財団法人 見本協会", registration_number="T1234567890123",
                             rate_totals=[{"tax_rate": "0.10", "tax_included": True, "subtotal_yen": 12265,
                                           "net_yen": 11150, "tax_yen": 1115, "gross_yen": 12265}],
                             total_yen=12265)
    table = parse(render_invoice_csv([row()], summary=summary), "utf-8-sig")
    assert [r[5:] for r in table[2:]] == [
        ["10%対象 合計", "", "", "12265", "税込", "10%"],
        ["10%対象 うち消費税等", "", "", "1115", "", "10%"],
        ["ご請求額（税込）", "", "", "12265", "税込", ""],
        ["適格請求書発行事業者 一般財団法人 見本協会 登録番号 T1234567890123", "", "", "", "", ""],
    ]
    assert all(r[:3] == ["2026-05-000123", "2026年5月分", "株式会社山田自動車"] for r in table[2:])
