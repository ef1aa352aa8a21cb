"""削除 and 引戻し + corrected 登録 at the sandbox's AIRAS, through AirasClient: allowed statuses,
refusals with AIRAS's words, idempotent repeats, and the same fault switches as every call."""

import pytest

from app.integrations import OutsideClosedError, OutsideRejectedError, OutsideServerError, OutsideTimeoutError
from tests.integrations import certificate_payload, control, impatient, sandbox_server  # noqa: F401
from tests.integrations.test_airas_client import airas  # noqa: F401  (the client fixture)


def _linked(airas, key, **changes):
    changes.setdefault("chassis_number", f"COR1-{sum(map(ord, key)):06d}")  # one car per test
    result = airas.submit_certificate(certificate_payload(**changes), idempotency_key=key)
    assert result["status"] == "linked"
    return result


def test_delete_twice_answers_the_deleted_record(airas, control):
    first = _linked(airas, "del-1")
    deleted = airas.delete_certificate(first["airas_id"])
    assert deleted["status"] == "deleted" and deleted["replayed"] is False
    again = airas.delete_certificate(first["airas_id"])
    assert again["status"] == "deleted" and again["replayed"] is True
    assert control.stats()["airas"]["deleted"] == 1


def test_delete_refused_for_an_oss_certificate_already_reported(airas, control):
    control.settings(report_times=["11:00"])
    control.clock(now="2025-06-02T10:58:00+09:00", frozen=True)
    first = _linked(airas, "del-2")
    control.clock(advance_seconds=180)
    with pytest.raises(OutsideRejectedError) as refused:
        airas.delete_certificate(first["airas_id"])
    assert refused.value.code == "NOT-DELETABLE" and refused.value.http_status == 409
    assert refused.value.reason == "現在のステータスでは削除できません。"
    with pytest.raises(OutsideRejectedError) as no_pull:
        airas.pull_back_certificate(first["airas_id"])
    assert no_pull.value.code == "NOT-PULLABLE" and "代理人" in no_pull.value.reason


def test_hybrid_reported_can_still_be_pulled_back(airas, control):
    control.settings(report_times=["11:00"])
    control.clock(now="2025-06-02T10:58:00+09:00", frozen=True)
    first = _linked(airas, "pb-hybrid", application_type="hybrid")
    control.clock(advance_seconds=180)
    assert airas.get_status(first["airas_id"])["status"] == "reported"
    pulled = airas.pull_back_certificate(first["airas_id"])
    assert pulled["status"] == "sent" and pulled["airas_status"] == "作成中"


def test_pull_back_then_corrected_registration_keeps_the_issue_number(airas, control):
    first = _linked(airas, "pb-1", chassis_number="COR1-000001")
    pulled = airas.pull_back_certificate(first["airas_id"])
    assert pulled["airas_status"] == "作成中" and pulled["replayed"] is False
    assert airas.pull_back_certificate(first["airas_id"])["replayed"] is True
    assert airas.get_status(first["airas_id"])["status"] == "sent"  # stays 作成中 until corrected

    corrected = certificate_payload(chassis_number="COR1-000001", odometer_km=45700)
    with pytest.raises(OutsideRejectedError) as conflict:  # the first 登録's key is not a new correction
        airas.resubmit_certificate(first["airas_id"], corrected, "pb-1")
    assert conflict.value.code == "IDEMPOTENCY-CONFLICT"
    result = airas.resubmit_certificate(first["airas_id"], corrected, "pb-1:c1")
    assert result["status"] == "linked" and result["issue_number"] == first["issue_number"]
    replay = airas.resubmit_certificate(first["airas_id"], corrected, "pb-1:c1")
    assert replay["replayed"] is True
    record = [r for r in control.get("records/airas") if r["airas_id"] == first["airas_id"]][0]
    assert record["payload"]["odometer_km"] == 45700
    assert len(control.get("fees")) == 1  # one 保適証, one fee


def test_correction_refused_without_pull_back_and_for_uncorrectable_items(airas):
    first = _linked(airas, "pb-2", chassis_number="COR1-000002")
    with pytest.raises(OutsideRejectedError) as not_pulled:
        airas.resubmit_certificate(first["airas_id"], certificate_payload(chassis_number="COR1-000002",
                                                                          odometer_km=1), "pb-2:c1")
    assert not_pulled.value.code == "NOT-PULLED-BACK"
    airas.pull_back_certificate(first["airas_id"])
    with pytest.raises(OutsideRejectedError) as uncorrectable:
        airas.resubmit_certificate(first["airas_id"], certificate_payload(chassis_number="COR1-000003"),
                                   "pb-2:c1")
    assert uncorrectable.value.code == "UNCORRECTABLE" and uncorrectable.value.http_status == 409
    assert "削除" in uncorrectable.value.message
    assert uncorrectable.value.detail["fields"] == ["chassis_number"]


def test_faults_apply_to_delete_and_pull_back(airas, control):
    first = _linked(airas, "fault-1")
    control.faults(error_rate=1.0)
    with pytest.raises(OutsideServerError):
        airas.pull_back_certificate(first["airas_id"])
    with pytest.raises(OutsideServerError):
        airas.delete_certificate(first["airas_id"])
    control.faults(error_rate=0.0, maintenance={"airas": 600})
    with pytest.raises(OutsideClosedError):
        airas.delete_certificate(first["airas_id"])
    control.faults(maintenance=[], timeout_rate=1.0)
    with pytest.raises(OutsideTimeoutError):  # stored, answer lost
        impatient(airas).delete_certificate(first["airas_id"])
    control.faults(timeout_rate=0.0)
    assert airas.delete_certificate(first["airas_id"])["replayed"] is True
