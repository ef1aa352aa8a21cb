"""Tester import (per-maker profiles, line-numbered Japanese errors, all or nothing) and the
two-year retention purge (dry run, real run, billing untouched, command and nightly job)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app.domain import tester_import
from app.domain.tester_import import builtin_profiles, parse_tester_export
from app.models.audit import AuditLog
from app.models.billing import BillableEvent
from app.models.record import PrintBatch, Record
from tests.test_record_services import build_beppyo6

BANZAI_HEADER = ("メーカー,測定日時,受付番号,登録番号,車台番号,サイドスリップ,サイドスリップ判定,前軸重,"
                 "前軸制動力左,前軸制動力右,前軸判定,後軸重,後軸制動力左,後軸制動力右,後軸判定,制動力合計,"
                 "制動判定,駐車制動力,駐車判定,速度計,速度計判定,前照灯左光度,前照灯右光度,前照灯判定,CO,HC,"
                 "排ガス判定,総合判定")


def banzai_line(slip="-1.2", front_left="330", chassis="ZVW30-1234567", code="BZ"):
    return (f"{code},2026/11/24 10:15:00,A-001,品川 300 あ 12-34,{chassis},{slip},○,800,"
            f"{front_left},320,○,600,150,148,○,62.5,○,25.0,○,39.5,○,15200,14800,○,0.05,12,○,○")


def test_banzai_profile_converts_units_and_derives_percentages():
    text = "\n".join([BANZAI_HEADER, banzai_line()])
    profile, (reading,) = parse_tester_export(text.encode("cp932"), builtin_profiles())
    assert profile["code"] == "banzai"  # chosen by the maker code of the first data line
    assert reading["side_slip"] == {"value": 1.2, "direction": "OUT", "pass": True}
    front = reading["brakes"]["axles"][0]
    assert front["left_n"] == pytest.approx(330 * 9.80665, abs=0.01)  # kgf → N
    assert front["sum_percent"] == pytest.approx((330 + 320) / 800 * 100, abs=0.1)
    assert front["axle"] == "前軸" and "load_kg" not in front
    assert reading["exhaust"] == {"co_percent": 0.05, "hc_ppm": 12, "pass": True}
    assert reading["meta"]["chassis_number"] == "ZVW30-1234567"
    assert reading["meta"]["measured_at"] == "2026-11-24T10:15:00"


def test_every_maker_profile_reads_a_line_of_its_own_format():
    profiles = builtin_profiles()
    assert set(profiles) == {"banzai", "yasaka", "anzen", "altia"}
    for code, profile in profiles.items():
        assert "仮定" in profile["assumption"]
        samples = {"number": "1.5", "judgement": "OK", "direction": "IN", "text": "X-1"}
        fields = []
        for column in profile["columns"]:
            kind = column.get("type", "text")
            if column["field"] == "maker_code":
                fields.append(profile["maker_code"])
            elif kind == "datetime":
                from datetime import datetime

                fields.append(datetime(2026, 11, 24, 9, 30).strftime(profile["datetime_format"]))
            else:
                fields.append(samples[kind])
        lines = [profile["delimiter"].join(fields)]
        if profile["header"]:
            lines.insert(0, profile["delimiter"].join(c["title"] for c in profile["columns"]))
        chosen, readings = parse_tester_export("\n".join(lines), profiles, code)
        assert chosen["code"] == code and len(readings) == 1
        assert readings[0]["brakes"]["axles"][0]["left_n"] > 0, code


def test_malformed_file_gives_line_numbered_japanese_errors():
    profiles = builtin_profiles()
    bad = "\n".join([
        BANZAI_HEADER,
        banzai_line(),
        banzai_line(front_left="三百"),  # line 3: not a number
        banzai_line(code="ZZ"),  # line 4: unknown maker code
        banzai_line() + ",余分",  # line 5: wrong number of columns
        banzai_line(code="YS"),  # line 6: another maker's data
    ])
    with pytest.raises(tester_import.TesterImportError) as caught:
        parse_tester_export(bad, profiles, "banzai")
    errors = caught.value.errors
    assert any(e.startswith("3行目") and "「前軸制動力左」の値「三百」が数値ではありません" in e
               for e in errors), errors
    assert any(e.startswith("4行目") and "メーカーコード「ZZ」は登録されていません" in e for e in errors)
    assert any(e.startswith("5行目") and "列の数が29" in e for e in errors)
    assert any(e.startswith("6行目") and "イヤサカ" in e for e in errors)
    assert not any(e.startswith("2行目") for e in errors)
    wrong_header = BANZAI_HEADER.replace("速度計,", "速度,") + "\n" + banzai_line()
    with pytest.raises(tester_import.TesterImportError) as caught:
        parse_tester_export(wrong_header, profiles, "banzai")
    assert caught.value.errors[0].startswith("1行目: 見出しがバンザイの形式と合いません")
    with pytest.raises(tester_import.TesterImportError, match="1件目のデータのメーカーコードが登録されていません"):
        parse_tester_export(banzai_line(code="QQ"), profiles)


def test_bad_file_imports_nothing_and_good_file_keeps_the_last_attempt(app, tenants, browser):
    from app.extensions import db

    with app.test_request_context():
        record = build_beppyo6(db, tenants)
        record_id = record.id
    browser.login("a-manager")
    bad = "\n".join([BANZAI_HEADER, banzai_line(), banzai_line(front_left="x")])
    page = browser.post(f"/records/{record_id}/tester", {"profile": "banzai", "text": bad})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "何も取り込んでいません" in html and "3行目" in html
    with app.app_context():
        assert db.session.get(Record, record_id).tester_values == {}
    retest = "\n".join([BANZAI_HEADER, banzai_line(slip="-4.0"), banzai_line(slip="0.8"),
                        banzai_line(slip="2.0", chassis="OTHER-1")])
    assert browser.post(f"/records/{record_id}/tester", {"text": retest}).status_code == 302
    with app.app_context():
        values = db.session.get(Record, record_id).tester_values
        assert values["side_slip"]["value"] == 0.8 and values["side_slip"]["direction"] == "IN"
        assert values["meta"]["attempts"] == 2
        assert db.session.scalar(select(AuditLog.detail).where(
            AuditLog.action == "record_tester_import")).startswith("バンザイ")


def test_association_edits_profiles_and_shop_users_cannot(app, tenants, browser):
    from app.extensions import db
    from app.models.record import TesterProfile

    browser.login("assoc-admin")
    assert "バンザイ" in browser.get("/association/tester-profiles/list/").get_data(as_text=True)
    response = browser.post("/association/tester-profiles/add", {
        "code": "newline", "maker": "新メーカー", "name": "新しい形式", "active": "y",
        "mapping_text": '{"delimiter": ",", "maker_code": "NM", "columns": [{"title": "x"}]}'})
    assert "1列目はメーカーコード" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TesterProfile).where(TesterProfile.code == "newline")) is None
        banzai = db.session.scalar(select(TesterProfile).where(TesterProfile.code == "banzai"))
    assert browser.get(f"/association/tester-profiles/edit/{banzai.id}").status_code == 200
    import json

    mapping = dict(builtin_profiles()["banzai"], maker_code="NM")
    browser.post("/association/tester-profiles/add", {
        "code": "newline", "maker": "新メーカー", "name": "新しい形式", "active": "y",
        "mapping_text": json.dumps(mapping, ensure_ascii=False)})
    with app.app_context():
        added = db.session.scalar(select(TesterProfile).where(TesterProfile.code == "newline"))
        assert added is not None and added.mapping["maker_code"] == "NM"
        assert added.mapping["maker"] == "新メーカー"  # the form's name wins over the text
    line = banzai_line(code="NM")
    profile, _ = parse_tester_export(BANZAI_HEADER + "\n" + line,
                                     {"newline": added.mapping, **builtin_profiles()})
    assert profile["code"] == "newline"
    shop = browser.__class__(app)
    shop.login("a-manager")
    assert shop.get("/association/tester-profiles/list/").status_code == 403


def _old_record(db, tenants, inspection, completion=None):
    a = tenants.ids["a"]
    record = Record(business_id=a["Business"], site_id=a["Site"], kind="periodic", form="beppyo6",
                    interval_months=12, inspection_date=inspection, completion_date=completion,
                    results="", status="output", version=1, is_current=True)
    db.session.add(record)
    db.session.flush()
    db.session.add(BillableEvent(kind="record", object_id=record.id, business_id=a["Business"],
                                 site_id=a["Site"], occurred_at=record.created_at))
    return record


def test_retention_dry_run_then_real_run(app, tenants, tmp_path, monkeypatch):
    from app.extensions import db
    from app.services import records as svc

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    today = date(2026, 11, 26)
    with app.test_request_context():
        expired = [_old_record(db, tenants, date(2024, 11, 20), date(2024, 11, 25)),
                   _old_record(db, tenants, date(2023, 5, 1))]
        kept = [_old_record(db, tenants, date(2024, 11, 26)),  # exactly two years: kept
                _old_record(db, tenants, date(2024, 11, 20), date(2024, 11, 26))]
        db.session.commit()
        for record in expired + kept:
            (tmp_path / "records" / str(record.id)).mkdir(parents=True)
            (tmp_path / "records" / str(record.id) / "shop-x.pdf").write_bytes(b"%PDF")
        expired_ids = {r.id for r in expired}
        kept_ids = {r.id for r in kept}
        before = db.session.scalar(select(func.count()).select_from(Record))
        messages = []
        summary = svc.purge_expired_records(db.session, today, dry_run=True, log=messages.append)
        assert summary["records"] == 2 and messages and "dry-run" in messages[0]
        assert db.session.scalar(select(func.count()).select_from(Record)) == before

        summary = svc.purge_expired_records(db.session, today, batch_size=1, log=messages.append)
        assert summary["records"] == 2
        remaining = set(db.session.scalars(select(Record.id)))
        assert not remaining & expired_ids and kept_ids <= remaining
        assert all(not (tmp_path / "records" / str(i)).exists() for i in expired_ids)
        assert all((tmp_path / "records" / str(i) / "shop-x.pdf").exists() for i in kept_ids)
        billed = set(db.session.scalars(select(BillableEvent.object_id).where(
            BillableEvent.kind == "record")))
        assert expired_ids <= billed  # billing rows are untouched
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "records_purged")) == 2
        assert db.session.scalar(select(func.count()).select_from(PrintBatch)) == 2  # seeds: new


def test_purge_command_and_nightly_job(app, tenants, monkeypatch, tmp_path):
    from app.extensions import db
    from scheduler.jobs.records import JOBS, run_retention

    monkeypatch.setitem(app.config, "RECORDS_FILE_DIR", str(tmp_path))
    with app.app_context():
        _old_record(db, tenants, date(2023, 1, 10))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["records", "purge", "--dry-run"])
    assert result.exit_code == 0 and "記録簿 1 件" in result.output and "削除していません" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record).where(
            Record.inspection_date == date(2023, 1, 10))) == 1
    (job,) = JOBS
    assert (job["id"], job["trigger"], job["hour"], job["minute"]) == ("records_retention", "cron", 0, 30)
    assert run_retention(app)["records"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record).where(
            Record.inspection_date == date(2023, 1, 10))) == 0
