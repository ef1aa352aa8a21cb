"""Record PDF timings: one A3 shop copy (warm), the heaviest A3 copy (a 3-axle truck on
別表3, 101 checks, per-axle values) and a batch of 100 as one PDF.

Run: .venv/bin/python benchmarks/record_pdf.py [--single-runs 15] [--batch-runs 3]
The record is the 24-month 別表6 指定整備記録簿 the tests use (every check filled in,
tester values, measurements, parts, QR code). Target: under 400 ms per record.
Medians of wall time; the CPU time of the same runs is printed too (on a shared machine the
wall time counts the other processes' turns).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.reports.record_pdf import render_record_pdf, render_records_batch  # noqa: E402
from app.services.record_samples import sample_record  # noqa: E402
from app.services.records import record_pdf_dict  # noqa: E402
from tests.reports.test_record_pdf import beppyo6_record  # noqa: E402


def _timed(record, runs):
    """(wall seconds, CPU seconds) of each render."""
    times = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        render_record_pdf(record, copy="shop")
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single-runs", type=int, default=15)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    record = beppyo6_record()
    truck = record_pdf_dict(sample_record("beppyo3", 12, "truck"), "https://keizoku.example.jp/records/1")
    for warm in (record, truck):
        render_record_pdf(warm, copy="shop")  # warm-up: fonts, templates, form data, layouts

    timed = _timed(record, args.single_runs)
    singles = [wall for wall, _ in timed]
    truck_timed = _timed(truck, args.single_runs)

    records = [beppyo6_record(n % 99 + 1) for n in range(args.batch_size)]
    batches = []
    size = 0
    for _ in range(args.batch_runs):
        start = time.perf_counter()
        size = len(render_records_batch(records, copy="shop"))
        batches.append(time.perf_counter() - start)

    single_ms = statistics.median(singles) * 1000
    truck_ms = statistics.median(wall for wall, _ in truck_timed) * 1000
    batch_s = statistics.median(batches)
    print(f"single A3 shop copy: runs={len(singles)} min={min(singles) * 1000:.0f} ms max={max(singles) * 1000:.0f} ms"
          f" cpu median={statistics.median(cpu for _, cpu in timed) * 1000:.0f} ms")
    print(f"truck A3 shop copy: runs={len(truck_timed)} cpu median={statistics.median(cpu for _, cpu in truck_timed) * 1000:.0f} ms")
    print(f"batch of {args.batch_size}: runs={len(batches)} per record={batch_s / args.batch_size * 1000:.0f} ms size={size / 1024:.0f} KiB")
    print(f"record_pdf_a3_ms: {single_ms:.0f}")
    print(f"record_pdf_truck_a3_ms: {truck_ms:.0f}")
    print(f"record_pdf_batch100_s: {batch_s:.1f}")


if __name__ == "__main__":
    main()
