"""15.4 OBD検査: an 「OBD検査対象」 vehicle (from the 閲覧アプリ file's 備考, or ticked) cannot be
confirmed without an OBD result dated on or before the 完成検査; the result is stored with the
certificate, printed on its 記録簿 and purged with the records after 2 years."""
import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.domain.vehicle_cert_file import parse_cert_file
from app.models.audit import AuditLog
from app.models.certificate import Certificate
from app.models.certificate_checks import ObdResult
from app.reports.record_pdf import render_record_pdf
from app.services import records
from app.services.record_samples import sample_record
from app.services.certificates import drafts, obd
from app.services.certificates.common import CertificateInputError
from tests.prechecks_helpers import confirm, ctx, draft_until_checks  # noqa: F401 - fixture
from tests.test_certificate_helpers import TODAY

SAMPLES = json.load(open("tests/data/vehicle-cert-file-samples.json", encoding="utf-8"))
SPECIAL = {"obd_target": "y", "obd_result": "special", "obd_checked_on": "2026-11-25",
           "obd_special_number": "TK-2611-0042", "obd_call_note": "11/25 14:05 コールセンター 佐藤様 アプリ更新不可のため特例"}


def _refusal(db_session, ids, tenant, chassis, **inspection):
    with pytest.raises(CertificateInputError) as error:
        draft_until_checks(db_session, ids, tenant, chassis, inspection=inspection, with_jibai=False)
    db_session.rollback()
    return error.value.messages


def test_the_marks_in_the_cert_files_remarks_make_a_target():
    case = SAMPLES["cases"][0]
    assert parse_cert_file(case["file"]).fields["obd_target"] is False
    marked = json.loads(json.dumps(case["file"]))
    marked["CertInfo"]["NoteInfo"] += "\nＯＢＤ検査対象"
    assert parse_cert_file(marked).fields["obd_target"] is True


def test_an_obd_date_after_the_completion_inspection_is_refused(app, ctx, db_session):
    ids, tenant = ctx
    assert _refusal(db_session, ids, tenant, "OBD10-0000001", obd_target="y", obd_result="pass",
                    obd_checked_on="2026-11-27") == [
        "OBD検査の実施日(令和8年11月27日)が完成検査の日(検査年月日 令和8年11月26日)より後です。"
        "OBD検査は完成検査の日までに行い、その日付を入力してください。"]


def test_a_special_number_needs_the_number_and_the_calls_record(app, ctx, db_session):
    ids, tenant = ctx
    assert _refusal(db_session, ids, tenant, "OBD10-0000002", obd_target="y", obd_result="special",
                    obd_checked_on="2026-11-25") == [
        "特例番号を入力してください(特定DTC照会アプリが使えないときにコールセンターから伝えられる番号です)。",
        "特例番号を受けたコールセンターとのやり取り(日時・担当者・内容)を記録してください。記録簿と一緒に2年間保存します。"]
    assert _refusal(db_session, ids, tenant, "OBD10-0000002", **{**SPECIAL, "obd_special_number": "番号？"}) == [
        "特例番号「番号?」は半角英数字とハイフンで入力してください。"]
    assert _refusal(db_session, ids, tenant, "OBD10-0000002", **{**SPECIAL, "obd_checked_on": ""}) == [
        "OBD検査の実施日を入力してください。"]


def test_a_target_without_a_result_cannot_be_confirmed(app, ctx, db_session):
    ids, tenant = ctx
    draft = draft_until_checks(db_session, ids, tenant, "OBD10-0000003", inspection={"obd_target": "y"},
                               with_jibai=False)
    with pytest.raises(CertificateInputError) as error:
        confirm(db_session, draft, ids)
    assert error.value.messages == [
        "OBD検査対象の車両です。完成検査(検査年月日)までに行ったOBD検査の結果(合格、または特例番号とコールセンターとの"
        "やり取りの記録)を検査の手順で入力してください。"]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.chassis_number == "OBD10-0000003")) == 0


def test_a_target_from_the_cert_file_is_a_target_without_a_tick(app, ctx, db_session):
    ids, tenant = ctx
    draft = draft_until_checks(db_session, ids, tenant, "OBD10-0000004", with_jibai=False)
    draft.data = {**draft.data, "vehicle": {**draft.data["vehicle"], "obd_target": True}}
    with pytest.raises(CertificateInputError) as error:
        confirm(db_session, draft, ids)
    assert "OBD検査対象の車両です。" in error.value.messages[0]
    db_session.rollback()


def test_a_special_number_is_stored_printed_on_the_record_and_kept_two_years(app, ctx, db_session):
    from app.services.certificates import common, sender
    from tests.prechecks_helpers import NOW
    from tests.test_certificate_helpers import sandbox_config

    ids, tenant = ctx
    draft = draft_until_checks(db_session, ids, tenant, "OBD10-0000005", inspection=SPECIAL, with_jibai=False)
    certificate = confirm(db_session, draft, ids)
    stored = db_session.scalar(select(ObdResult).where(ObdResult.certificate_id == certificate.id))
    assert (stored.result, stored.special_number, stored.checked_on, stored.completion_inspection_date,
            stored.target_source) == ("special", "TK-2611-0042", dt.date(2026, 11, 25), TODAY, "ticked")
    assert "佐藤様" in stored.call_note
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "ObdResult")) >= 1

    with sandbox_config(app):  # a record is made from a linked certificate (one with its 交付番号)
        sender.send_now(db_session, certificate.id, common.clients_from_config(), NOW)
    db_session.expire_all()
    record = records.create_record(db_session, tenant, site_id=ids["Site"], kind="designated", form="beppyo6", interval_months="24",
                                   certificate_id=certificate.id, car_name="トヨタ", customer_name="試験 花子",
                                   customer_address="東京都品川区1-2-3")
    records.update_details(db_session, tenant, record.id, {"work_summary": "点検のみ"})
    records.add_replaced_parts(db_session, tenant, record.id, records.parse_parts_lines("エンジン・オイル,4,L"))
    db_session.commit()
    printed = records.record_pdf_dict(record)["obd_result"]
    assert printed["label"] == "特例番号(コールセンター) 特例番号 TK-2611-0042"
    # Printed on the shop copy in the 検査の結果 OBD row (a full sample record, with this result).
    sample = records.record_pdf_dict(sample_record("beppyo6", 24))
    pdf = render_record_pdf({**sample, "obd_result": printed}, copy="shop")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "TK-2611-0042" in text.replace(" ", "") and "佐藤様" in text

    # The records' retention (2 years from the 完成検査) purges it, not a day earlier.
    app.config["RECORDS_RETENTION_YEARS"] = 2
    assert obd.purge_expired(db_session, records.retention_cutoff(dt.date(2028, 11, 26)), log=lambda _m: None) == 0
    assert obd.purge_expired(db_session, records.retention_cutoff(dt.date(2028, 11, 27)), log=lambda _m: None) == 1
    assert db_session.scalar(select(func.count()).select_from(ObdResult).where(
        ObdResult.certificate_id == certificate.id)) == 0


def test_a_pass_is_stored_and_a_non_target_stores_nothing(app, ctx, db_session):
    ids, tenant = ctx
    passed = draft_until_checks(db_session, ids, tenant, "OBD10-0000006", with_jibai=False, inspection={
        "obd_target": "y", "obd_result": "pass", "obd_checked_on": "令和8年11月26日"})
    certificate = confirm(db_session, passed, ids)
    row = obd.result_for_certificate(db_session, certificate.id)
    assert row.result == "pass" and row.checked_on == TODAY and row.special_number is None
    plain = draft_until_checks(db_session, ids, tenant, "OBD10-0000007", with_jibai=False)
    other = confirm(db_session, plain, ids)
    assert obd.result_for_certificate(db_session, other.id) is None


def test_the_inspection_page_shows_the_mark_from_the_file(app, ctx, db_session):
    ids, tenant = ctx
    draft = drafts.start_draft(db_session, tenant, ids["Site"], ids["users"]["clerk"])
    case = json.loads(json.dumps(SAMPLES["cases"][0]["file"]))
    case["CertInfo"]["NoteInfo"] += "\nＯＢＤ検査対象"
    vehicle = drafts.save_scan(db_session, draft, "", TODAY, json.dumps(case, ensure_ascii=False).encode())
    assert vehicle["obd_target"] is True
    db_session.rollback()


def test_the_retention_job_runs_the_purge(app, ctx, db_session):
    from scheduler.jobs.obd import JOBS, run_obd_retention

    (job,) = JOBS
    assert (job["id"], job["trigger"], job["hour"], job["minute"]) == ("obd_results_retention", "cron", 0, 40)
    ids, tenant = ctx
    draft = draft_until_checks(db_session, ids, tenant, "OBD10-0000008", inspection=SPECIAL, with_jibai=False)
    certificate = confirm(db_session, draft, ids)
    row = obd.result_for_certificate(db_session, certificate.id)
    row.completion_inspection_date = dt.date(2020, 1, 6)  # long past the 2 years
    db_session.commit()
    assert run_obd_retention(app) >= 1
    db_session.expire_all()
    assert obd.result_for_certificate(db_session, certificate.id) is None
