import io
from datetime import date

import pytest
from pypdf import PdfReader

from app.domain.inspection_forms import applicable_checks, load_form
from app.reports.pdf import PdfRenderError, html_to_pdf, qr_data_uri
from app.reports.record_grid import symbols_text
from app.reports.record_pdf import render_record_pdf, render_records_batch
from tests.reports.pdf_probe import row_symbols

A3_LANDSCAPE = (1190.6, 841.9)  # points
A4_PORTRAIT = (595.3, 841.9)


def _results(form_id, interval, on_date, special):
    """✓ for every applicable check, with a few checks given other symbols."""
    results = {c.id: ["✓"] for c in applicable_checks(form_id, interval, on_date)}
    results.update(special)
    return results


def beppyo6_record(number=1):
    """A signed 24-month 別表6 指定整備記録簿 of a private car."""
    inspection = date(2025, 4, 1)
    return {
        "kind": "designated",
        "form": "beppyo6",
        "interval_months": 24,
        "vehicle": {
            "registration_number": f"品川 300 あ {number:02d}-34",
            "chassis_number": "ZVW30-1234567",
            "model_code": "DAA-ZVW30",
            "car_name": "トヨタ",
            "engine_model": "2ZR",
            "first_registration": "2019-04",
            "odometer_km": 45678,
        },
        "customer": {"name": "山田 太郎", "address": "東京都品川区北品川1-2-3"},
        "shop": {
            "name": "株式会社テスト自動車 品川工場",
            "address": "東京都品川区東品川4-5-6",
            "certification_number": "関認第1234号",
            "designation_number": "関指第567号",
        },
        "inspection_date": inspection,
        "completion_date": date(2025, 4, 2),
        "results": _results(
            "beppyo6",
            24,
            inspection,
            {
                "brakes.discs_pads.12.2": ["O", "×"],
                "steering.power_steering.24.1": ["T", "✓"],
                "engine.main.12.2": ["C"],
                "steering.steered_wheels.24.1": ["★"],
                "drivetrain.clutch.12.1": ["/"],
                "electrical.ignition.12.2": ["/"],
                "electrical.ignition.12.3": ["/"],
                "gas_fuel.12.1": ["/"],
                "gas_fuel.12.2": ["/"],
                "gas_fuel.24.1": ["/"],
                "engine.cooling.12.2": ["L"],
                "brakes.pedal.12.1": ["A"],
            },
        ),
        "measurements": {
            "tread_depth_mm": {"FL": 5.2, "FR": 5.1, "RL": 6.0, "RR": 6.1},
            "brake_pad_mm": {"FL": 9.5, "FR": 9.0, "RL": 7.5, "RR": 7.0},
            "brake_lining_mm": {},
            "co_percent": 0.05,
            "hc_ppm": 12,
        },
        "tester": {
            "side_slip": {"value": 1.2, "direction": "IN", "pass": True},
            "brakes": {
                "axles": [
                    {"axle": "前軸", "left_n": 3200, "right_n": 3100, "sum_percent": 68.5, "diff_percent": 1.1, "pass": True},
                    {"axle": "後軸", "left_n": 1500, "right_n": 1450, "sum_percent": 55.2, "diff_percent": 0.9, "pass": True},
                ],
                "total_percent": 63.0,
                "pass": True,
            },
            "parking_brake": {"percent": 28.4, "pass": True},
            "speedometer": {"kmh": 38.6, "pass": True},
            "headlamps": {"beam": "すれ違い", "left_cd": 12800, "right_cd": 13100, "pass": True},
            "exhaust": {"co_percent": 0.05, "hc_ppm": 12, "pass": True},
            "underbody": {"pass": True},
        },
        "replaced_parts": [
            {"name": "エンジン・オイル", "quantity": 3.5, "unit": "L"},
            {"name": "オイル・フィルタ", "quantity": 1, "unit": "個"},
            {"name": "フロント・ブレーキ・パッド", "quantity": 1, "unit": "組"},
            {"name": "ブレーキ・フルード", "quantity": 0.8, "unit": "L"},
        ],
        "work_summary": "24か月定期点検整備。フロント・ブレーキ・パッド交換、エンジン・オイル及びフィルタ交換。",
        "certificate_number": "第012345号",
        "inspector": {"name": "佐藤 一郎", "signed_on": date(2025, 4, 2)},
        "chief_mechanic": {"name": "鈴木 次郎", "signed_on": date(2025, 4, 2)},
        "record_url": "https://keizoku.example.jp/records/12345",
    }


def beppyo3_record():
    """A 12-month 別表3 定期点検整備記録簿 of a truck, skipping ※2 checks by distance."""
    inspection = date(2025, 6, 10)
    form = load_form("beppyo3", inspection)
    skipped = {c.id: ["P"] for c in form.checks() if c.skip_symbol and c.id.startswith("running_gear")}
    return {
        "kind": "periodic",
        "form": "beppyo3",
        "interval_months": 12,
        "vehicle": {
            "registration_number": "横浜 100 か 56-78",
            "chassis_number": "FRR90-7654321",
            "model_code": "TKG-FRR90S2",
            "first_registration": date(2018, 11, 1),
            "odometer_km": 312000,
        },
        "customer": {"name": "有限会社サンプル運送", "address": "神奈川県横浜市中区1-1"},
        "inspection_date": inspection,
        "completion_date": inspection,
        "results": _results("beppyo3", 12, inspection, {**skipped, "other.3.1": ["L"], "coupling.12.1": ["/"]}),
        "measurements": {"tread_depth_mm": {"FL": 8.0, "FR": 8.2, "RL": 7.1, "RR": 7.3}, "brake_lining_mm": {"FL": 9.0, "FR": 9.1, "RL": 8.5, "RR": 8.4}},
        "replaced_parts": [{"name": "グリース", "quantity": 1, "unit": "式"}],
        "work_summary": "12か月定期点検。シャシ各部給油脂。",
        "chief_mechanic": {"name": "高橋 三郎", "signed_on": inspection},
    }


def _page_size(reader):
    box = reader.pages[0].mediabox
    return round(float(box.width), 1), round(float(box.height), 1)


def _fonts(reader):
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            names.add((str(font["/BaseFont"]).split("+")[-1], embedded))
    return names


def _text(reader):
    return "".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("builder", "copy", "size"),
    [
        (beppyo6_record, "shop", A3_LANDSCAPE),
        (beppyo6_record, "customer", A4_PORTRAIT),
        (beppyo3_record, "shop", A3_LANDSCAPE),
        (beppyo3_record, "customer", A4_PORTRAIT),
    ],
)
def test_record_copies_have_page_size_embedded_font_and_text(builder, copy, size):
    record = builder()
    reader = PdfReader(io.BytesIO(render_record_pdf(record, copy=copy)))
    assert _page_size(reader) == size
    assert ("IPAexGothic", True) in _fonts(reader)
    text = _text(reader)
    assert record["vehicle"]["registration_number"] in text
    assert "点検年月日" in text and "令和7年" in text
    form = load_form(record["form"], record["inspection_date"])
    for check in form.checks():
        # Law wording of every check (wrapped lines joined), including those of the other column.
        assert check.wording[:6] in text.replace("\n", ""), check.wording


def _symbols_in_their_rows(record, copy):
    """Each check's symbols printed in that check's own row, and nothing in a row without a
    result (the notes under the grid print every symbol, so finding one anywhere proves nothing)."""
    printed = row_symbols(render_record_pdf(record, copy=copy), copy, record)
    expected = {check_id: symbols_text(symbols) for check_id, symbols in record["results"].items()}
    assert {k: v for k, v in printed.items() if k in expected} == expected
    assert all(text == "" for k, text in printed.items() if k not in expected)
    return expected


@pytest.mark.parametrize("copy", ["shop", "customer"])
def test_beppyo6_symbols_sit_in_their_own_rows(copy):
    expected = _symbols_in_their_rows(beppyo6_record(), copy)
    assert {"○×", "T✓", "★", "C", "L", "A", "/", "✓"} <= set(expected.values())


def test_beppyo6_shop_copy_symbols_and_designated_block():
    record = beppyo6_record()
    reader = PdfReader(io.BytesIO(render_record_pdf(record, copy="shop")))
    assert len(reader.pages) == 1
    text = _text(reader)
    assert "☆" in text  # the distance mark (skippable when the car ran little), in the labels
    for expected in ("指定整備記録簿", "第012345号", "佐藤 一郎", "鈴木 次郎", "検査の結果", "左 12800 cd", "令和7年4月2日", "平成31年4月", "エンジン・オイル", "45,678 km"):
        assert expected in text, expected


def test_beppyo3_periodic_copy_prints_skips_and_no_inspection_block():
    reader = PdfReader(io.BytesIO(render_record_pdf(beppyo3_record(), copy="shop")))
    assert len(reader.pages) == 1
    text = _text(reader)
    assert "定期点検整備記録簿" in text and "指定整備記録簿（" not in text
    assert "検査の結果" not in text
    expected = _symbols_in_their_rows(beppyo3_record(), "shop")
    assert {"P", "✓", "L", "/"} <= set(expected.values())
    assert "平成30年11月" in text
    assert "３月ごと" not in text or "3か月" in text


def test_customer_copy_has_no_qr_and_shop_copy_has_one():
    record = beppyo6_record()
    shop = PdfReader(io.BytesIO(render_record_pdf(record, copy="shop")))
    customer = PdfReader(io.BytesIO(render_record_pdf(record, copy="customer")))
    assert "ログインが必要です" in _text(shop) and record["record_url"] in _text(shop)
    assert "ログインが必要です" not in _text(customer)
    # The QR code is drawn with the grid: many black modules in the shop copy's overlay only.
    assert _grid_stream(shop).count(b" re f") > _grid_stream(customer).count(b" re f") + 100


def _grid_stream(reader):
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    return b"".join(x.get_object().get_data() for x in xobjects.values()
                    if x.get_object().get("/Subtype") == "/Form")


def test_batch_is_one_pdf_and_reports_progress():
    calls = []
    records = [beppyo6_record(n) for n in range(1, 4)]
    reader = PdfReader(io.BytesIO(render_records_batch(records, progress=lambda d, t: calls.append((d, t)))))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(reader.pages) == 3
    texts = [page.extract_text() for page in reader.pages]
    for n, text in enumerate(texts, 1):
        assert f"品川 300 あ {n:02d}-34" in text


def test_bad_records_are_refused():
    record = beppyo6_record()
    with pytest.raises(ValueError, match="intervals"):
        render_record_pdf({**record, "interval_months": 12 * 3})
    with pytest.raises(ValueError, match="does not have"):
        render_record_pdf({**record, "results": {"nope.part.12.1": ["✓"]}})
    with pytest.raises(ValueError, match="copy"):
        render_record_pdf(record, copy="office")
    with pytest.raises(ValueError, match="kind"):
        render_record_pdf({**record, "kind": "other"})


def test_local_files_outside_reports_are_refused():
    # A value that lands in an <img src> cannot read files outside app/reports/.
    with pytest.raises(PdfRenderError):
        html_to_pdf('<html><body><img src="../../../../etc/passwd"></body></html>')


def test_qr_data_uri_is_a_png():
    uri = qr_data_uri("https://keizoku.example.jp/records/1")
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")
