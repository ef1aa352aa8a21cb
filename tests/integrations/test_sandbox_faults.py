"""Fault injection at volume: the clients plus a simple retry loop never create a duplicate."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app.integrations import AinasClient, AirasClient, OutsideSystemError
from tests.integrations import (  # noqa: F401
    LOST_TIMEOUT,
    TEST_TIMEOUT,
    certificate_payload,
    control,
    impatient,
    oss_request_payload,
    sandbox_server,
)


def until_it_works(call, attempts=40):
    """What the sender does, minus the backoff: retry retryable errors with the same key."""
    for _ in range(attempts):
        try:
            return call()
        except OutsideSystemError as exc:
            if not exc.retryable:
                raise
    raise AssertionError("still failing after retries")


def send_both(airas, ainas, number):
    chassis = f"ABC1-{number:06d}"
    until_it_works(lambda: airas.submit_certificate(certificate_payload(chassis_number=chassis),
                                                    idempotency_key=f"cert-{number}"))
    return until_it_works(lambda: ainas.submit_request(oss_request_payload(chassis_number=chassis),
                                                       idempotency_key=f"oss-{number}"))


def test_thirty_percent_errors_and_ten_percent_lost_answers_make_no_duplicates(sandbox_server, control):
    # Lost answers both ways: the answer held past the client's timeout, the connection dropped.
    control.faults(error_rate=0.3, timeout_rate=0.05, drop_rate=0.05)
    local = threading.local()

    def clients():
        # requests.Session is not thread-safe: one pair of clients per worker thread. They wait
        # LOST_TIMEOUT, so an injected timeout is one; an ordinary answer that a loaded machine
        # makes that slow is a lost answer too, retried with the same key like the others.
        if not hasattr(local, "clients"):
            session = requests.Session()
            local.clients = (AirasClient(sandbox_server.url("airas"), timeout=LOST_TIMEOUT, session=session),
                             AinasClient(sandbox_server.url("ainas"), timeout=LOST_TIMEOUT, session=session))
        return local.clients

    count = 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: send_both(*clients(), n), range(count)))

    assert len({r["request_id"] for r in results}) == count
    stats = control.stats()
    assert stats["airas"]["stored"] == count and stats["ainas"]["stored"] == count
    assert stats["airas_statuses"] == {"作成済": count}
    for system in ("airas", "ainas"):
        assert stats[system]["fault_error"] > 0 and stats[system]["fault_timeout"] > 0
        assert stats[system]["fault_drop"] > 0
    # Every create that timed out after storing was answered by a replay, never a second record.
    assert stats["airas"]["duplicates_refused"] + stats["ainas"]["duplicates_refused"] > 0
    keys = [r["idempotency_key"] for r in control.get("records/airas")]
    assert len(keys) == len(set(keys)) == count


def outcomes(control, airas, calls=30):
    # Dropped answers, not timeouts: the sequence must not depend on how fast the machine is.
    control.post("reset")
    control.faults(error_rate=0.3, drop_rate=0.1, seed=7)
    seen = []
    for number in range(calls):
        try:
            airas.submit_certificate(certificate_payload(chassis_number=f"ABC1-{number:06d}"),
                                     idempotency_key=f"cert-{number}")
            seen.append("ok")
        except OutsideSystemError as exc:
            seen.append(exc.code)
    return seen


def test_faults_repeat_with_the_same_seed(sandbox_server, control):
    airas = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)

    first = outcomes(control, airas)
    assert outcomes(control, airas) == first
    assert {"ok", "SERVER_ERROR", "CONNECTION"} <= set(first)


def test_faults_can_be_limited_to_one_system(sandbox_server, control):
    control.faults(error_rate=1.0, fault_systems=["ainas"])
    airas = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)

    assert airas.submit_certificate(certificate_payload(), idempotency_key="cert-x")["linked"]


def test_control_api_refuses_unknown_settings(sandbox_server, control):
    response = requests.post(f"{sandbox_server.base_url}/_control/faults", json={"eror_rate": 0.3}, timeout=5)
    assert response.status_code == 400 and "eror_rate" in response.json()["error"]["message"]
    response = requests.post(f"{sandbox_server.base_url}/_control/faults",
                             json={"error_rate": 0.8, "timeout_rate": 0.5}, timeout=5)
    assert response.status_code == 400


def test_calls_are_logged_with_their_outcome(sandbox_server, control):
    control.faults(maintenance={"airas": 60})
    airas = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)
    with pytest.raises(OutsideSystemError):
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-y")

    calls = control.get("calls")
    assert [(c["system"], c["method"], c["status"], c["outcome"]) for c in calls] == [
        ("airas", "POST", 503, "closed:MAINTENANCE")]


@pytest.mark.parametrize("fault, code", [
    ("error", "SERVER_ERROR"), ("timeout", "TIMEOUT"), ("drop", "CONNECTION"), ("maintenance", "MAINTENANCE"),
    ("hours", "HOURS"), ("INSPECTOR", "INSPECTOR"),
])
def test_a_fault_can_be_forced_for_one_request_by_header(sandbox_server, control, fault, code):
    session = requests.Session()
    session.headers["X-Sandbox-Fault"] = fault
    airas = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT, session=session)

    with pytest.raises(OutsideSystemError) as failed:
        impatient(airas).submit_certificate(certificate_payload(), idempotency_key="cert-z")
    assert failed.value.code == code

    plain = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)
    assert plain.submit_certificate(certificate_payload(), idempotency_key="cert-z")["linked"]


def test_a_dropped_answer_is_stored_and_replayed(sandbox_server, control):
    """``drop``: the call is handled and stored, then the connection closes with no answer at
    once (no timing involved); the retry with the same key gets the stored record."""
    control.faults(drop_rate=1.0, fault_systems=["airas"])
    airas = AirasClient(sandbox_server.url("airas"), timeout=TEST_TIMEOUT)
    with pytest.raises(OutsideSystemError) as lost:
        airas.submit_certificate(certificate_payload(), idempotency_key="cert-drop")
    assert lost.value.code == "CONNECTION" and lost.value.retryable
    assert [r["idempotency_key"] for r in control.get("records/airas")] == ["cert-drop"]

    control.faults(drop_rate=0.0)
    retried = airas.submit_certificate(certificate_payload(), idempotency_key="cert-drop")
    assert retried["replayed"] is True
    stats = control.stats()
    assert stats["airas"]["stored"] == 1 and stats["airas"]["fault_drop"] == 1
    response = requests.post(f"{sandbox_server.base_url}/_control/faults",
                             json={"error_rate": 0.5, "timeout_rate": 0.3, "drop_rate": 0.3}, timeout=5)
    assert response.status_code == 400
