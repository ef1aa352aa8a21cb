"""AinasClient against the sandbox running as a real HTTP server."""

import pytest

from app.integrations import (
    AinasClient,
    AirasClient,
    OutsideClosedError,
    OutsideNotReadyError,
    OutsideRejectedError,
    OutsideTimeoutError,
)
from tests.integrations import (  # noqa: F401
    TEST_TIMEOUT,
    certificate_payload,
    control,
    impatient,
    oss_request_payload,
    sandbox_server,
)


@pytest.fixture
def airas(sandbox_server):
    return AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)


@pytest.fixture
def ainas(sandbox_server):
    return AinasClient(sandbox_server.url("ainas"), timeout=TEST_TIMEOUT)


def test_request_before_the_certificate_is_linked_is_retryable(airas, ainas, control):
    control.settings(link_delay_seconds=60)
    control.clock(now="2025-06-02T10:00:00+09:00", frozen=True)

    with pytest.raises(OutsideNotReadyError) as not_ready:
        ainas.submit_request(oss_request_payload(), idempotency_key="oss-1")
    assert not_ready.value.code == "NOT-IN-AIRAS" and not_ready.value.retryable
    assert not_ready.value.reason == "保安基準適合証の情報が取得できませんでした。"

    airas.submit_certificate(certificate_payload(), idempotency_key="cert-1")
    with pytest.raises(OutsideNotReadyError):  # still 作成中
        ainas.submit_request(oss_request_payload(), idempotency_key="oss-1")

    control.clock(advance_seconds=60)
    accepted = ainas.submit_request(oss_request_payload(), idempotency_key="oss-1")
    assert accepted["status"] == "accepted" and accepted["ainas_status"] == "依頼受付"
    assert control.stats()["ainas"]["stored"] == 1


def test_request_goes_to_completed_and_completes_the_certificate(airas, ainas, control):
    control.clock(now="2025-06-02T10:00:00+09:00", frozen=True)
    control.settings(ainas_step_seconds=600)
    certificate = airas.submit_certificate(certificate_payload(), idempotency_key="cert-2")
    request = ainas.submit_request(oss_request_payload(), idempotency_key="oss-2")

    seen = []
    for _ in range(4):
        control.clock(advance_seconds=600)
        seen.append(ainas.get_status(request["request_id"])["status"])

    assert seen == ["filing", "paid", "under_review", "completed"]
    final = ainas.get_status(request["request_id"])
    assert final["final"] and [line["amount_yen"] for line in final["paid_lines"]] == [1800, 16400]
    assert airas.get_status(certificate["airas_id"])["status"] == "completed"


def test_lost_response_then_retry_creates_one_request(airas, ainas, control):
    airas.submit_certificate(certificate_payload(), idempotency_key="cert-3")
    control.faults(timeout_rate=1.0, fault_systems=["ainas"])

    with pytest.raises(OutsideTimeoutError):
        impatient(ainas).submit_request(oss_request_payload(), idempotency_key="oss-3")
    control.faults(timeout_rate=0.0)
    retried = ainas.submit_request(oss_request_payload(), idempotency_key="oss-3")

    assert retried["replayed"] is True
    stats = control.stats()
    assert stats["ainas"]["stored"] == 1 and stats["ainas"]["duplicates_refused"] == 1


def test_hybrid_certificate_cannot_be_used_for_oss(airas, ainas, control):
    airas.submit_certificate(certificate_payload(application_type="hybrid"), idempotency_key="cert-4")

    with pytest.raises(OutsideRejectedError) as refused:
        ainas.submit_request(oss_request_payload(), idempotency_key="oss-4")
    assert refused.value.code == "KIND-MISMATCH"
    assert refused.value.reason == "保適証の申請種別が申請方法と一致しません。"
    assert "窓口申請" in refused.value.message


def test_missing_consent_is_refused(airas, ainas, control):
    airas.submit_certificate(certificate_payload(), idempotency_key="cert-5")

    with pytest.raises(OutsideRejectedError) as refused:
        ainas.submit_request(oss_request_payload(consent_obtained=False), idempotency_key="oss-5")
    assert refused.value.code == "CONSENT" and "承諾書" in refused.value.message
    assert control.stats()["ainas"]["stored"] == 0


def test_ainas_maintenance_leaves_airas_open(airas, ainas, control):
    control.faults(maintenance={"ainas": 600})
    airas.submit_certificate(certificate_payload(), idempotency_key="cert-6")

    with pytest.raises(OutsideClosedError) as closed:
        ainas.submit_request(oss_request_payload(), idempotency_key="oss-6")
    assert closed.value.code == "MAINTENANCE" and closed.value.system == "ainas"
    assert "OSS申請共同利用システム" in closed.value.message
