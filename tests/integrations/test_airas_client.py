"""AirasClient against the sandbox running as a real HTTP server."""

import time
from datetime import datetime, timedelta

import pytest

from app.integrations import (
    AirasClient,
    CompulsoryInsuranceNotYetError,
    OutsideClosedError,
    OutsideConnectionError,
    OutsideNotFoundError,
    OutsideRejectedError,
    OutsideServerError,
    OutsideTimeoutError,
)
from app.integrations.base import JST
from app.integrations.sandbox import start_sandbox_in_thread
from tests.integrations import (  # noqa: F401
    TEST_TIMEOUT,
    certificate_payload,
    control,
    impatient,
    sandbox_server,
)


@pytest.fixture
def airas(sandbox_server):
    return AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)


def has_kana(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" for ch in text)


def test_submit_moves_from_sent_to_linked_after_the_link_delay(airas, control):
    control.settings(link_delay_seconds=0.4)

    submitted = airas.submit_certificate(certificate_payload(), idempotency_key="cert-1")

    assert submitted["status"] == "sent" and submitted["airas_status"] == "作成中"
    assert submitted["linked"] is False and submitted["replayed"] is False
    assert submitted["report_status"] == "未報告"
    time.sleep(0.5)
    status = airas.get_status(submitted["airas_id"])
    assert status["status"] == "linked" and status["airas_status"] == "作成済" and status["linked"]
    assert status["issue_number"] == submitted["issue_number"]
    stats = control.stats()
    assert stats["airas"]["stored"] == 1 and stats["fees_yen"] == 36


def test_retry_after_a_lost_response_returns_the_stored_record(airas, control):
    control.faults(timeout_rate=1.0)
    payload = certificate_payload()

    with pytest.raises(OutsideTimeoutError) as lost:
        impatient(airas).submit_certificate(payload, idempotency_key="cert-lost")
    assert lost.value.retryable and lost.value.system == "airas" and has_kana(lost.value.message)

    control.faults(timeout_rate=0.0)
    retried = airas.submit_certificate(payload, idempotency_key="cert-lost")

    assert retried["replayed"] is True and retried["linked"]
    stats = control.stats()
    assert stats["airas"]["stored"] == 1
    assert stats["airas"]["duplicates_refused"] == 1
    records = control.get("records/airas")
    assert [r["idempotency_key"] for r in records] == ["cert-lost"]
    assert records[0]["airas_id"] == retried["airas_id"]


def test_same_key_with_other_data_is_refused(airas, control):
    airas.submit_certificate(certificate_payload(), idempotency_key="cert-2")

    with pytest.raises(OutsideRejectedError) as refused:
        airas.submit_certificate(certificate_payload(odometer_km=1), idempotency_key="cert-2")

    assert refused.value.code == "IDEMPOTENCY-CONFLICT" and not refused.value.retryable
    assert control.stats()["airas"]["stored"] == 1


def test_server_error_is_retryable_and_stores_nothing(airas, control):
    control.faults(error_rate=1.0)

    with pytest.raises(OutsideServerError) as failed:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-3")

    assert failed.value.retryable and failed.value.http_status == 500
    assert failed.value.retry_after > 0 and "再送" in failed.value.message
    assert control.stats()["airas"]["stored"] == 0


def test_maintenance_says_when_it_opens(airas, control, sandbox_server):
    control.clock(now="2025-06-02T10:00:00+09:00", frozen=True)
    control.faults(maintenance={"airas": 1800})

    with pytest.raises(OutsideClosedError) as closed:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-4")

    error = closed.value
    assert error.code == "MAINTENANCE" and error.retryable and error.http_status == 503
    assert error.opens_at == datetime(2025, 6, 2, 10, 30, tzinfo=JST)
    assert error.retry_after == 1800
    assert "6月2日 10:30" in error.message and "メンテナンス" in error.message

    control.clock(advance_seconds=1800)
    assert airas.submit_certificate(certificate_payload(), idempotency_key="cert-4")["linked"]


@pytest.mark.parametrize("now, opens_at", [
    ("2025-06-02T20:00:00+09:00", datetime(2025, 6, 3, 8, 0, tzinfo=JST)),
    ("2025-06-03T07:59:00+09:00", datetime(2025, 6, 3, 8, 0, tzinfo=JST)),
    ("2025-12-29T10:00:00+09:00", datetime(2026, 1, 4, 8, 0, tzinfo=JST)),
])
def test_outside_service_hours_waits_for_the_opening(airas, control, now, opens_at):
    control.settings(enforce_hours=True)
    control.clock(now=now, frozen=True)

    with pytest.raises(OutsideClosedError) as closed:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-5")

    assert closed.value.code == "HOURS" and closed.value.opens_at == opens_at
    assert closed.value.reason == "保適証サービスの利用時間外です(利用時間 8:00~20:00)。"
    assert closed.value.retry_after == int((opens_at - datetime.fromisoformat(now)).total_seconds())
    assert control.stats()["airas"]["stored"] == 0


def test_inside_service_hours_is_open(airas, control):
    control.settings(enforce_hours=True)
    control.clock(now="2025-06-02T19:59:00+09:00", frozen=True)

    assert airas.submit_certificate(certificate_payload(), idempotency_key="cert-6")["linked"]


def test_sync_rejection_carries_the_outside_reason_and_our_advice(airas, control):
    payload = certificate_payload()
    payload["compulsory_insurance"][0]["certificate_number"] = "1234-567890"

    with pytest.raises(OutsideRejectedError) as refused:
        airas.submit_certificate(payload, idempotency_key="cert-7")

    error = refused.value
    assert error.code == "JIBAI-FORMAT" and not error.retryable and error.http_status == 422
    assert error.reason == "自賠責保険証明書番号にハイフン・スペースは入力できません。"
    assert error.reason in error.message and "取り除いて" in error.message
    assert control.stats()["airas"]["stored"] == 0


@pytest.mark.parametrize("changes, code", [
    ({"inspector_code": "112345"}, "INSPECTOR"),
    ({"site_code": "111234"}, "SITE-CODE"),
    ({"new_expiry_date": "2027-07-20"}, "JIBAI-PERIOD"),
    ({"odometer_km": -1}, "VALIDATION"),
])
def test_checks_at_registration(airas, control, changes, code):
    with pytest.raises(OutsideRejectedError) as refused:
        airas.submit_certificate(certificate_payload(**changes), idempotency_key="cert-8")
    assert refused.value.code == code and has_kana(refused.value.message)


def test_paper_insurance_is_refused_for_oss_but_allowed_for_hybrid(airas, control):
    payload = certificate_payload()
    payload["compulsory_insurance"][0]["electronic"] = False

    with pytest.raises(OutsideRejectedError) as refused:
        airas.submit_certificate(payload, idempotency_key="cert-9")
    assert refused.value.code == "JIBAI-PAPER-OSS"

    payload["application_type"] = "hybrid"
    assert airas.submit_certificate(payload, idempotency_key="cert-9")["linked"]


def test_rejection_rule_for_a_chassis_number_gives_kyakka_with_reason(airas, control):
    control.faults(rejections=[{"chassis_number": "ABC1-234567", "code": "VIN-KIND"}])
    control.settings(review_delay_seconds=0.3)

    submitted = airas.submit_certificate(certificate_payload(), idempotency_key="cert-10")
    assert submitted["linked"] and submitted["reason_code"] is None
    time.sleep(0.4)
    status = airas.get_status(submitted["airas_id"])

    assert status["status"] == "rejected" and status["airas_status"] == "却下"
    assert status["reason_code"] == "VIN-KIND" and status["linked"] is False
    assert status["reason"] == "車台番号及び自動車区分が自動車検査証の記録と一致しません。"
    assert "削除して新しく作成" in status["advice"]


def test_rejection_rule_only_hits_its_own_chassis_number(airas, control):
    control.faults(rejections=[{"chassis_number": "XYZ9-000001", "code": "INSPECTOR"}])

    assert airas.submit_certificate(certificate_payload(), idempotency_key="cert-11")["linked"]
    with pytest.raises(OutsideRejectedError) as refused:
        airas.submit_certificate(certificate_payload(chassis_number="XYZ9-000001"), idempotency_key="cert-12")
    assert refused.value.code == "INSPECTOR"


def test_compulsory_insurance_error_127_clears_after_the_delay(airas, control):
    control.clock(now="2025-06-02T10:00:00+09:00", frozen=True)
    control.faults(jibai_delay_seconds=3000)

    with pytest.raises(CompulsoryInsuranceNotYetError) as waiting:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-13")
    error = waiting.value
    assert error.code == "E127" and error.retryable and error.retry_after == 3000
    assert error.reason == "自賠責保険証明書情報該当なし" and "1時間" in error.message
    assert error.give_up_after == timedelta(hours=1)

    control.clock(advance_seconds=2000)
    with pytest.raises(CompulsoryInsuranceNotYetError) as still:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-13")
    assert still.value.retry_after == 1000

    control.clock(advance_seconds=1000)
    assert airas.submit_certificate(certificate_payload(), idempotency_key="cert-13")["linked"]
    assert control.stats()["airas"]["stored"] == 1


def test_chassis_suffix_gives_error_127_every_time(airas, control):
    with pytest.raises(CompulsoryInsuranceNotYetError) as waiting:
        airas.submit_certificate(certificate_payload(chassis_number="ABC1-9000127"), idempotency_key="cert-14")
    assert waiting.value.retry_after == 600  # our default when AIRAS gives no Retry-After


def test_second_live_certificate_for_a_chassis_is_refused_until_the_first_is_deleted(airas, control):
    first = airas.submit_certificate(certificate_payload(), idempotency_key="cert-15")

    with pytest.raises(OutsideRejectedError) as duplicate:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-16")
    assert duplicate.value.code == "DUP" and "削除" in duplicate.value.message

    deleted = airas.delete_certificate(first["airas_id"])
    assert deleted["status"] == "deleted" and deleted["airas_status"] == "削除"
    second = airas.submit_certificate(certificate_payload(), idempotency_key="cert-16")
    assert second["issue_number"] != first["issue_number"]
    assert control.get("fees") and len(control.get("fees")) == 2


def test_report_batch_moves_linked_to_reported(airas, control):
    control.settings(report_times=["11:00"])
    control.clock(now="2025-06-02T10:58:00+09:00", frozen=True)
    submitted = airas.submit_certificate(certificate_payload(), idempotency_key="cert-17")
    assert submitted["status"] == "linked"

    control.clock(advance_seconds=180)
    status = airas.get_status(submitted["airas_id"])
    assert status["status"] == "reported" and status["report_status"] == "報告済" and status["linked"]


def test_unknown_record_is_not_found(airas, control):
    with pytest.raises(OutsideNotFoundError) as missing:
        airas.get_status("HT99999999")
    assert not missing.value.retryable and missing.value.http_status == 404


def test_connection_refused_is_retryable():
    base_url, server = start_sandbox_in_thread()
    server.stop()  # the port is now closed
    client = AirasClient(f"{base_url}/airas", timeout=TEST_TIMEOUT)

    with pytest.raises(OutsideConnectionError) as refused:
        client.get_status("HT00000001")
    assert refused.value.retryable and refused.value.system == "airas"


def test_maintenance_ending_after_closing_time_opens_next_morning(airas, control):
    control.settings(enforce_hours=True)
    control.clock(now="2025-06-02T19:00:00+09:00", frozen=True)
    control.faults(maintenance={"airas": 7200})

    with pytest.raises(OutsideClosedError) as closed:
        airas.get_status("HT00000001")
    assert closed.value.code == "MAINTENANCE"
    assert closed.value.opens_at == datetime(2025, 6, 3, 8, 0, tzinfo=JST)
