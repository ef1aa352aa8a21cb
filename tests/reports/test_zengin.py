"""The 全銀協 預金口座振替 request file (billing-formats.md §1)."""

import datetime as dt
from pathlib import Path

import pytest

from app.domain.business_days import debit_date_for_month
from app.domain.invoice_tax import invoice_totals
from app.domain.prices import unit_price
from app.reports.zengin import (
    DATA_LAYOUT,
    END_LAYOUT,
    HEADER_LAYOUT,
    LAYOUTS,
    TRAILER_LAYOUT,
    DebitFileError,
    DebitHeader,
    DebitItem,
    MappingBankDirectory,
    ZenginCodeDirectory,
    build_debit_file,
    cut_name,
    name_problem,
    split_records,
    to_zengin_kana,
    validate_file,
    validate_record,
    write_debit_file,
)

SAMPLE = Path("/work/shared/domain/zengin-sample.txt")

# The sample's invented banks (0999/0998 are not real institutions, so not in zengin-code).
def sample_bytes():
    # Read as bytes: read_text would turn the sample's CR LF into LF.
    return SAMPLE.read_bytes().decode("utf-8").encode("cp932")


SAMPLE_BANKS = MappingBankDirectory(
    {
        "0999": ("テスト", {"001": "ホンテン", "002": "ミナミ"}),
        "0998": ("サンプルシンキン", {"123": "エキマエ"}),
    }
)


def _amount(certificates, records, on=dt.date(2026, 5, 15)):
    lines = []
    for kind, quantity in (("certificate", certificates), ("record", records)):
        price = unit_price(kind, on)
        lines.append((kind, quantity, price.amount_yen, price.tax_rate, price.tax_included))
    return invoice_totals(lines).total_yen


def sample_header(**changes):
    values = dict(
        consignor_code="1234567890",
        consignor_name="カ）サンプルケイゾクシステム",
        debit_date=debit_date_for_month(2026, 5),
        bank_code="0999",
        branch_code="001",
        account_type=1,
        account_number="7654321",
    )
    values.update(changes)
    return DebitHeader(**values)


def sample_items():
    return [
        DebitItem(
            bank_code="0999",
            branch_code="002",
            account_type=1,
            account_number="1234567",
            payer_name="カ）ヤマダジドウシャコウギョウ",
            amount_yen=_amount(100, 20),
            customer_number=1001,
            new_code=1,
        ),
        DebitItem(
            bank_code="0998",
            branch_code="123",
            account_type=2,
            account_number="0765432",
            payer_name="すずきせいび（ゆ",
            amount_yen=_amount(385, 10),
            customer_number="1002",
        ),
    ]


def test_reproduces_the_sample_byte_for_byte():
    # The sample is stored in UTF-8 for reading; the bank file is its cp932 (JIS8) encoding.
    expected = sample_bytes()
    assert len(expected) == 5 * 122
    assert build_debit_file(sample_header(), sample_items(), directory=SAMPLE_BANKS) == expected


def test_sample_passes_the_validator():
    sample = sample_bytes()
    assert validate_file(sample) == []
    assert all(validate_record(r) == [] for r in split_records(sample))


def test_without_separator_records_are_back_to_back():
    content = build_debit_file(sample_header(), sample_items(), directory=SAMPLE_BANKS, separator=b"")
    assert len(content) == 5 * 120
    assert b"\r" not in content and b"\n" not in content
    assert validate_file(content) == []


def test_lf_only_separator_is_refused():
    with pytest.raises(ValueError):
        build_debit_file(sample_header(), sample_items(), directory=SAMPLE_BANKS, separator=b"\n")


@pytest.mark.parametrize("layout", [HEADER_LAYOUT, DATA_LAYOUT, TRAILER_LAYOUT, END_LAYOUT])
def test_layouts_cover_120_bytes_without_gaps(layout):
    position = 1
    for field in layout:
        assert field.start == position, field.label
        position += field.length
    assert position - 1 == 120


def test_layout_positions_match_the_specification():
    # A few anchor positions from §1.2–1.4.
    def pos(layout, label):
        field = next(f for f in layout if f.label == label)
        return field.start, field.length

    assert pos(HEADER_LAYOUT, "引落日") == (55, 4)
    assert pos(HEADER_LAYOUT, "口座番号（委託者）") == (97, 7)
    assert pos(DATA_LAYOUT, "預金者名") == (51, 30)
    assert pos(DATA_LAYOUT, "顧客番号") == (92, 20)
    assert pos(TRAILER_LAYOUT, "振替不能金額") == (44, 12)
    assert set(LAYOUTS) == {"1", "2", "8", "9"}


def _records(content):
    return split_records(content)


def test_trailer_totals_count_the_data_records():
    items = sample_items() + [
        DebitItem("0999", "001", 1, "7777777", "ｹｲｿﾞｸ ﾀﾛｳ", 465, 1003),
    ]
    records = _records(build_debit_file(sample_header(), items, directory=SAMPLE_BANKS))
    trailer = records[-2]
    assert int(trailer[1:7]) == 3
    assert int(trailer[7:19]) == sum(int(r[80:90]) for r in records[1:-2]) == 3760 + 12265 + 465


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("カ）ヤマダジドウシャコウギョウ", "ｶ)ﾔﾏﾀﾞｼﾞﾄﾞｳｼﾔｺｳｷﾞﾖｳ"),
        ("すずき　じゅんいち", "ｽｽﾞｷ ｼﾞﾕﾝｲﾁ"),
        ("ヴィーナス・サービス", "ｳﾞｲ-ﾅｽ ｻ-ﾋﾞｽ"),
        ("ｍｙｃａｒ　ショップ", "MYCAR ｼﾖﾂﾌﾟ"),
        ("ヲガタ\u2212ヱイ", "ｵｶﾞﾀ-ｴｲ"),
        ("ｶ)ﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ"),  # already in bank form: unchanged
    ],
)
def test_kana_pipeline_examples_of_section_1_8(typed, expected):
    converted = to_zengin_kana(typed)
    assert converted == expected
    assert name_problem(converted, "預金者名") is None


@pytest.mark.parametrize("typed", ["山田自動車", "ヤマダ＆カンパニー", "ﾔﾏﾀﾞ/ｼﾖｳｶｲ", "ヤマダ🚗", "ヷイン"])
def test_characters_outside_section_1_7_are_refused(typed):
    problem = name_problem(to_zengin_kana(typed), "預金者名")
    assert problem is not None and "使用できない文字" in problem


def test_long_payer_name_is_cut_without_splitting_a_voiced_mark():
    # 29 characters, then ｶﾞ: the 30th character would be ｶ and the 31st its ﾞ.
    name = "ｱ" * 29 + "ｶﾞ"
    assert cut_name(name, 30) == "ｱ" * 29
    assert cut_name("ｱ" * 31, 30) == "ｱ" * 30


def test_long_payer_name_fits_the_record():
    item = DebitItem("0999", "002", 1, "1234567", "ア" * 29 + "ガガ", 100, 5)
    content = build_debit_file(sample_header(), [item], directory=SAMPLE_BANKS)
    data = _records(content)[1]
    assert data[50:80].decode("cp932") == "ｱ" * 29 + " "


def _problems(header, items):
    with pytest.raises(DebitFileError) as info:
        build_debit_file(header, items, directory=SAMPLE_BANKS)
    return info.value


def test_bad_item_is_reported_with_its_record_number():
    items = sample_items()
    items.append(DebitItem("0999", "002", 1, "1234567", "山田", 100, 77))
    error = _problems(sample_header(), items)
    (problem,) = error.record_problems
    assert problem.record_number == 4
    assert problem.customer_number == "77"
    assert "使用できない文字" in problem.problems[0]
    assert "4件目" in str(error) and "顧客番号 77" in str(error)


def test_all_problems_are_listed_at_once():
    items = [
        DebitItem("0999", "002", 1, "12345678", "ﾔﾏﾀﾞ", 100, 1),  # account number too long
        DebitItem("0999", "002", 1, "1234567", "ﾔﾏﾀﾞ", 0, 2),  # 0 yen
        DebitItem("0999", "002", 1, "1234567", "ﾔﾏﾀﾞ", 10_000_000_000, 3),  # overflows 10 digits
    ]
    error = _problems(sample_header(), items)
    assert [p.record_number for p in error.record_problems] == [2, 3, 4]
    assert "口座番号" in error.record_problems[0].problems[0]
    assert "0円" in error.record_problems[1].problems[0]
    assert "引落金額" in error.record_problems[2].problems[0]


def test_unknown_bank_and_branch_codes_are_refused():
    items = [
        DebitItem("0997", "002", 1, "1234567", "ﾔﾏﾀﾞ", 100, 1),
        DebitItem("0999", "555", 1, "1234567", "ﾔﾏﾀﾞ", 100, 2),
        DebitItem("999", "002", 1, "1234567", "ﾔﾏﾀﾞ", 100, 3),  # not 4 digits
    ]
    error = _problems(sample_header(), items)
    messages = [p.problems for p in error.record_problems]
    assert "金融機関コード「0997」" in messages[0][0]
    assert "支店コード「555」" in messages[1][0]
    assert any("4桁" in m for m in messages[2])


def test_debit_date_on_a_bank_holiday_is_refused():
    error = _problems(sample_header(debit_date=dt.date(2026, 6, 27)), sample_items())
    (problem,) = error.record_problems
    assert problem.record_number == 1
    assert "休業日" in problem.problems[0]


def test_consignor_name_over_40_characters_is_refused_not_cut():
    error = _problems(sample_header(consignor_name="ｱ" * 41), sample_items())
    assert "40文字以内" in error.record_problems[0].problems[0]


def test_empty_file_is_refused():
    error = _problems(sample_header(), [])
    assert "1件以上" in str(error)


def test_nothing_is_written_when_a_record_is_bad(tmp_path):
    target = tmp_path / "debit.txt"
    bad = [DebitItem("0999", "002", 1, "1234567", "山田", 100, 1)]
    with pytest.raises(DebitFileError):
        write_debit_file(target, sample_header(), bad, directory=SAMPLE_BANKS)
    assert list(tmp_path.iterdir()) == []
    write_debit_file(target, sample_header(), sample_items(), directory=SAMPLE_BANKS)
    assert target.read_bytes() == sample_bytes()


def _sample_record(index):
    return _records(sample_bytes())[index]


def _replace(record, start, new):
    return record[: start - 1] + new + record[start - 1 + len(new) :]


@pytest.mark.parametrize(
    ("index", "start", "new", "expected_words"),
    [
        (1, 81, b"00000037X0", "数字以外"),  # 引落金額 not numeric
        (1, 51, "ｧ".encode("cp932"), "使用できない文字"),  # small kana in 預金者名
        (1, 51, "ﾞ".encode("cp932"), "濁点"),  # voiced mark without a kana before it
        (1, 51, " ".encode("cp932"), "左詰め"),  # leading space
        (1, 112, b"1", "振替結果コード"),  # a request carries result code 0
        (1, 39, b"XXXX", "スペースだけ"),  # filler
        (1, 43, b"5", "預金種目"),
        (0, 2, b"21", "種別コード"),  # 総合振込, not 口座振替
        (0, 55, b"1340", "日付ではありません"),
        (3, 20, b"000001", "振替済件数"),  # a request's trailer carries no results
        (3, 60, b"X", "スペースだけ"),
        (4, 2, b"0", "スペースだけ"),
    ],
)
def test_validator_finds_malformed_fields(index, start, new, expected_words):
    record = _replace(_sample_record(index), start, new)
    assert len(record) == 120
    problems = validate_record(record)
    assert problems, record
    assert any(expected_words in p for p in problems), problems


def test_validator_rejects_wrong_length_and_type():
    assert "121バイト" in validate_record(_sample_record(4) + b" ")[0]
    assert validate_record(b"3" + b" " * 119)
    # Shift_JIS double-byte characters (kanji) are never allowed.
    kanji = _replace(_sample_record(1), 51, "山田".encode("cp932"))
    assert any("使用できない文字" in p for p in validate_record(kanji))


def test_validate_file_checks_the_trailer_against_the_data():
    content = sample_bytes()
    records = _records(content)
    records[-2] = _replace(records[-2], 8, b"000000016026")
    problems = validate_file(b"".join(r + b"\r\n" for r in records))
    assert len(problems) == 1 and "合計金額" in problems[0]


def test_validate_file_checks_the_record_order():
    records = _records(sample_bytes())
    swapped = [records[1], records[0], *records[2:]]
    assert any("順序" in p for p in validate_file(b"".join(r + b"\r\n" for r in swapped)))


def test_real_bank_names_are_filled_from_zengin_code():
    directory = ZenginCodeDirectory()
    header = sample_header(bank_code="0001", branch_code="001")
    items = [DebitItem("0005", "001", 1, "1234567", "ﾔﾏﾀﾞ ﾀﾛｳ", 3760, 1)]
    records = _records(build_debit_file(header, items, directory=directory))
    # Expected names derived independently from the package's full-width kana.
    assert records[0][62:77].decode("cp932").rstrip() == "ﾐｽﾞﾎ"
    assert records[0][80:95].decode("cp932").rstrip() == "ﾄｳｷﾖｳ"
    assert records[1][5:20].decode("cp932").rstrip() == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"
    assert directory.bank_kana("0999") is None


def test_given_bank_name_overrides_directory_and_blank_leaves_spaces():
    header = sample_header(bank_name="", branch_name="ホンテン")
    record = _records(build_debit_file(header, sample_items(), directory=SAMPLE_BANKS))[0]
    assert record[62:77] == b" " * 15
    assert record[80:95].decode("cp932").rstrip() == "ﾎﾝﾃﾝ"
