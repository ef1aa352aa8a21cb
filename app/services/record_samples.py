"""Sample records (記録簿) for previews, printer calibration and reviews: never saved.

`sample_record` builds an unsaved, signed `Record` with its site, business, 自動車検査員 and
整備主任者 as unsaved objects, for a form, an interval and a kind of vehicle:

- ``"passenger"``: a private car on 別表第６ (axles ``SS``, petrol: CO・HC, disc brakes);
- ``"truck"``: a 3-axle truck with dual rear tyres on 別表第３ (``SDD``, diesel: 黒煙,
  drum brakes, per-axle brake tests);
- ``"trailer"``: a 3-axle semi-trailer on 別表第４ (``DDD``, no engine).

Render it with `app.services.records.record_pdf(record, copy)`. Every applicable check is
filled in: ✓, some work symbols (○×, T✓, A, C, L), and "/" for the checks that do not apply
to the vehicle (no distributor, not gas-fuelled, not a passenger vehicle).
"""

from __future__ import annotations

from datetime import date, datetime

from app.domain.inspection_forms import FORMS, applicable_checks, encode_results, load_form
from app.models.record import Record
from app.models.tenancy import Business, ChiefMechanic, Inspector, Site

__all__ = ["VEHICLES", "sample_record"]

SAMPLE_DATE = date(2026, 11, 20)
_DEFAULT_FORM = {"passenger": "beppyo6", "truck": "beppyo3", "trailer": "beppyo4"}

# Per vehicle kind: what the 車検証 and the test line would give.
VEHICLES: dict[str, dict] = {
    "passenger": {
        "registration_number": "品川 330 あ 12-34", "chassis_number": "ZVW50-8012345",
        "model_code": "DAA-ZVW50", "car_name": "トヨタ", "engine_model": "2ZR",
        "first_registration": "2019-04", "odometer_km": 45678, "axle_layout": "SS",
        "customer_name": "山田 太郎", "customer_address": "東京都品川区北品川1-2-3",
        "measurements": {
            "tread_depth_mm": {"1L": 5.2, "1R": 5.1, "2L": 6.0, "2R": 6.1},
            "brake_pad_mm": {"1L": 9.5, "1R": 9.0, "2L": 7.5, "2R": 7.0},
            "co_percent": 0.05, "hc_ppm": 12,
        },
        "tester_axles": ["前軸", "後軸"],
        "exhaust": {"co_percent": 0.05, "hc_ppm": 12, "pass": True},
        "parts": [("エンジン・オイル", 3.5, "L"), ("オイル・フィルタ", 1, "個"),
                  ("フロント・ブレーキ・パッド", 1, "組"), ("ブレーキ・フルード", 0.8, "L")],
    },
    "truck": {
        "registration_number": "練馬 100 か 56-78", "chassis_number": "FS64VZ-500123",
        "model_code": "2PG-FS64VZ", "car_name": "日野", "engine_model": "A09C",
        "first_registration": "2018-11", "odometer_km": 612345, "axle_layout": "SDD",
        "customer_name": "有限会社サンプル運送", "customer_address": "東京都練馬区豊玉北6-12-1",
        "measurements": {
            "tread_depth_mm": {"1L": 12.1, "1R": 12.3, "2LO": 9.8, "2LI": 9.6, "2RI": 9.7,
                               "2RO": 9.9, "3LO": 10.2, "3LI": 10.0, "3RI": 10.1, "3RO": 10.4},
            "brake_lining_mm": {"1L": 11.0, "1R": 11.2, "2L": 9.4, "2R": 9.5, "3L": 9.8, "3R": 9.7},
            "tyre_pressure_kpa": {"1L": 900, "1R": 900, "2LO": 900, "2LI": 900, "2RI": 900,
                                  "2RO": 900, "3LO": 900, "3LI": 900, "3RI": 900, "3RO": 900},
            "smoke_percent": 8,
        },
        "tester_axles": ["第1軸", "第2軸", "第3軸"],
        "exhaust": {"smoke_percent": 8, "pass": True},
        "parts": [("エンジン・オイル", 22, "L"), ("オイル・フィルタ", 2, "個"),
                  ("ブレーキ・ライニング(第2軸)", 1, "組"), ("グリース", 1, "式")],
    },
    "trailer": {
        "registration_number": "横浜 100 け 90-12", "chassis_number": "PFB34103-10234",
        "model_code": "PFB34103", "car_name": "トレクス", "engine_model": None,
        "first_registration": "2017-06", "odometer_km": None, "axle_layout": "DDD",
        "customer_name": "株式会社サンプル物流", "customer_address": "神奈川県横浜市中区本町1-1",
        "measurements": {
            "tread_depth_mm": {f"{axle}{place}": 8.0 + axle / 10 for axle in (1, 2, 3)
                               for place in ("LO", "LI", "RI", "RO")},
            "brake_lining_mm": {f"{axle}{side}": 10.0 for axle in (1, 2, 3) for side in "LR"},
        },
        "tester_axles": ["第1軸", "第2軸", "第3軸"],
        "exhaust": None,
        "parts": [("ブレーキ・チャンバ", 1, "個"), ("グリース", 1, "式")],
    },
}


def _symbols(form_id: str, interval: int, vehicle: str) -> dict[str, list[str]]:
    """Every applicable check ✓; what does not apply to the vehicle "/"; some work done."""
    checks = applicable_checks(form_id, interval, SAMPLE_DATE)
    results = {check.id: ["✓"] for check in checks}
    not_applicable = {"distributor_only", "gas_fuel_only", "large_special_only", "rental_only"}
    if vehicle != "passenger":
        not_applicable.add("passenger_only")
    for check in checks:
        if any(note.kind in not_applicable for note in check.notes):
            results[check.id] = ["/"]
    work = [("パッドの摩耗", ["O", "×"]), ("ライニングの摩耗", ["O", "×"]),
            ("ベルトの緩み及び損傷", ["T", "✓"]), ("遊び及び踏み込んだときの床板とのすき間", ["A"]),
            ("エア・クリーナ・エレメントの状態", ["C"]), ("シャシ各部の給油脂状態", ["L"]),
            ("ホイール・ナット及びホイール・ボルトの緩み", ["T", "✓"])]
    for wording, symbols in work:
        for check in checks:
            if check.wording == wording and results[check.id] == ["✓"]:
                results[check.id] = symbols
                break
    return results


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0)  # 17:00 JST, stored naive UTC


def sample_record(form: str | None = None, interval_months: int | None = None,
                  vehicle: str | None = None, *, kind: str = "designated",
                  number: int = 1) -> Record:
    """An unsaved, signed sample record (see the module docstring).

    ``form`` defaults to the vehicle's usual form, ``vehicle`` to the trailer for 別表第４
    and the passenger car otherwise, ``interval_months`` to the form's longer interval;
    ``number`` varies the plate so that a batch of samples can be told apart.
    """
    vehicle = vehicle or ("trailer" if form == "beppyo4" else "passenger")
    if vehicle not in VEHICLES:
        raise ValueError(f"vehicle must be one of {', '.join(VEHICLES)}, not {vehicle!r}")
    form = form or _DEFAULT_FORM[vehicle]
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    intervals = load_form(form, SAMPLE_DATE).intervals
    interval_months = interval_months or intervals[1]
    data = VEHICLES[vehicle]
    business = Business(name="株式会社サンプル自動車", name_kana="サンプルジドウシャ",
                        address="東京都品川区東品川4-5-6", phone="03-0000-0000")
    site = Site(business=business, name="品川工場", address="東京都品川区東品川4-5-6",
                certification_number="関認第1234号",
                designation_number="関指第567号" if kind == "designated" else None,
                records_enabled=True)
    inspector = Inspector(site=site, name="検査 一郎", inspector_code="00112345")
    chief = ChiefMechanic(site=site, name="主任 次郎")
    tester = {
        "side_slip": {"value": 1.2, "direction": "IN", "pass": True},
        "brakes": {"axles": [{"axle": axle, "left_n": 3200 - 200 * i, "right_n": 3150 - 200 * i,
                              "sum_percent": 62.0 - i, "diff_percent": 1.1, "pass": True}
                             for i, axle in enumerate(data["tester_axles"])],
                   "total_percent": 60.5, "pass": True},
        "parking_brake": {"percent": 28.4, "pass": True},
        "speedometer": {"kmh": 38.6, "pass": True},
        "headlamps": {"beam": "すれ違い", "left_cd": 12800, "right_cd": 13100, "pass": True},
        "underbody": {"pass": True},
    }
    if data["exhaust"]:
        tester["exhaust"] = data["exhaust"]
    completed = SAMPLE_DATE
    plate = data["registration_number"]
    if number != 1:
        plate = f"{plate.rsplit(' ', 1)[0]} {number:02d}-{number % 100:02d}"
    record = Record(
        id=None, kind=kind, form=form, interval_months=interval_months,
        site=site, business_id=None, site_id=None,
        registration_number=plate, chassis_number=data["chassis_number"],
        model_code=data["model_code"], car_name=data["car_name"],
        engine_model=data["engine_model"], first_registration=data["first_registration"],
        axle_layout=data["axle_layout"], customer_name=data["customer_name"],
        customer_address=data["customer_address"], inspection_date=SAMPLE_DATE,
        odometer_km=data["odometer_km"],
        results=encode_results(_symbols(form, interval_months, vehicle)),
        measurements=data["measurements"], tester_values=tester,
        replaced_parts=[{"name": n, "quantity": q, "unit": u} for n, q, u in data["parts"]],
        work_summary=f"{interval_months}か月定期点検整備。" + "、".join(n for n, _, _ in data["parts"]) + "を交換・給油。",
        completion_date=completed,
        certificate_number="0012345" if kind == "designated" else None,
        sticker_number="A-0012345" if kind == "designated" else None,
        limited_certificate_number=None,
        inspector=inspector if kind == "designated" else None,
        inspector_signed_at=_utc(completed) if kind == "designated" else None,
        chief_mechanic=chief, chief_mechanic_signed_at=_utc(completed),
        status="signed", version=1, is_current=True,
    )
    return record
