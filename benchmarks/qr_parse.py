"""車検証 二次元コード parse time per vehicle.

Run: .venv/bin/python benchmarks/qr_parse.py [--vehicles 10000] [--seed 1]
Builds random vehicles (about 60 % registered, 40 % kei), encodes each as a reader would type
it — 5 per-symbol fragments in shuffled order for a registered car, the 2 kei codes in
shuffled order — and times parse_scans on each. Target: p99 under 1 ms per vehicle.
The last two lines are `qr_parse_p50_ms: <value>` and `qr_parse_p99_ms: <value>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.vehicle_qr import FUEL_NAMES, encode_scans, parse_scans  # noqa: E402

TODAY = dt.date(2025, 6, 1)
FW_DIGITS = "０１２３４５６７８９"
AREAS = ["品川", "横浜", "尾張小牧", "なにわ", "札幌", "足立", "富士山", "とちぎ", "袖ケ浦"]
KANA = "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるれわ"
PREFIXES = ["3BA", "6AA", "5BA", "2RG", "DBA", "4BA", "6BA"]


def fullwidth_number(n: int) -> str:
    return "".join(FW_DIGITS[int(c)] for c in str(n))


def random_vehicle(rng: random.Random) -> dict:
    kei = rng.random() < 0.4
    area = rng.choice(AREAS)
    plate_class = fullwidth_number(rng.choice([rng.randint(300, 599), rng.randint(10, 99), rng.randint(1, 9)]))
    serial = fullwidth_number(rng.randint(1, 9999))
    plate = area.ljust(4, "\u3000") + plate_class.rjust(3, "\u3000") + rng.choice(KANA) + serial.rjust(4, "\u3000")
    body = "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(3, 8)))
    prefix = rng.choice(PREFIXES)
    expiry = None if rng.random() < 0.5 else TODAY + dt.timedelta(days=rng.randint(0, 800))
    first = TODAY - dt.timedelta(days=rng.randint(0, 365 * 30))
    fuel = rng.choice(sorted(FUEL_NAMES))

    def axle() -> int | None:
        return None if rng.random() < 0.5 else rng.randint(30, 900) * 10

    fields = {
        "qr2_version": "22" if kei else "2",
        "qr3_version": rng.choice(["31", "32"]) if kei else "2",
        "plate_raw": plate, "plate_area": area, "plate_class": plate_class,
        "plate_kana": plate[7], "plate_serial": serial,
        "plate_type_code": rng.choice("1235ABCE"),
        "chassis_number": f"{body}-{rng.randint(0, 9999999):07d}",
        "engine_model": "".join(rng.choices(string.ascii_uppercase + string.digits, k=3)),
        "form_type": "1",
        "chassis_stamp_position": None,
        "type_designation_number": f"{rng.randint(10000, 99999)}",
        "category_number": f"{rng.randint(1, 9999):04d}",
        "expiry_date": expiry.isoformat() if expiry else None,
        "expiry_available": expiry is not None,
        "first_registration": first.isoformat()[:7],
        "model": f"{prefix}-{body}",
        "emission_prefix": prefix,
        "axle_weight_ff_kg": rng.randint(30, 900) * 10,
        "axle_weight_fr_kg": axle(),
        "axle_weight_rf_kg": axle(),
        "axle_weight_rr_kg": rng.randint(30, 900) * 10,
        "noise_regulation_code": rng.choice(["10", "11", "12", "13"]),
        "proximity_exhaust_noise_db": rng.randint(70, 110),
        "drive_system_code": rng.choice([None, "1", "2"]),
        "opacimeter_code": rng.choice([None, "0", "1"]),
        "nox_pm_mode": None, "nox_value": None, "pm_value": None,
        "safety_standard_date": None if kei else first.isoformat(),
        "fuel_code": fuel, "fuel_name": FUEL_NAMES[fuel],
    }
    if kei:
        fields["reserved"] = "999"
        if fields["qr3_version"] == "31":
            fields["fuel_code"] = fields["fuel_name"] = None
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    batches = []
    for _ in range(args.vehicles):
        fields = random_vehicle(rng)
        reads = encode_scans(fields, today=TODAY)
        rng.shuffle(reads)
        batches.append((fields, reads))
    parse_scans(batches[0][1], today=TODAY)  # warm-up: imports, regex and table caches

    times = []
    kinds = {"registered": 0, "kei": 0}
    for fields, reads in batches:
        start = time.perf_counter()
        result = parse_scans(reads, today=TODAY)
        times.append(time.perf_counter() - start)
        if result.fields != fields:
            raise SystemExit(f"round trip failed for {reads!r}")
        kinds[result.vehicle_kind] += 1

    times_ms = sorted(t * 1000 for t in times)
    p50 = statistics.median(times_ms)
    p99 = times_ms[min(len(times_ms) - 1, int(round(0.99 * len(times_ms))) - 1)]
    print(f"vehicles: {len(times_ms)} ({kinds['registered']} registered as 5 shuffled fragments, "
          f"{kinds['kei']} kei as 2 shuffled codes)")
    print(f"mean {statistics.fmean(times_ms):.3f} ms, max {times_ms[-1]:.3f} ms per vehicle")
    print(f"qr_parse_p50_ms: {p50:.3f}")
    print(f"qr_parse_p99_ms: {p99:.3f}")


if __name__ == "__main__":
    main()
