"""An AIRAS id is one certificate (issue 14.10): the sandbox keeps its memory across restarts, a
status answer about another car is logged and set aside (not applied, not billed, shown to the
shop), and the database refuses a second certificate with the same AIRAS id."""
import datetime as dt
import logging

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.integrations import AirasClient
from app.integrations.sandbox import start_sandbox_in_thread
from app.models.billing import BillableEvent
from app.models.certificate import Certificate, CertificateEvent
from app.services.certificates import common, sender
from app.timeutil import JST
from tests.integrations import certificate_payload
from tests.test_certificate_helpers import confirmed_certificate, sandbox_config, site_a_ready

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


@pytest.fixture
def ctx(app, tenants, db_session):
    return site_a_ready(tenants, db_session)


def _confirmed(session, ids, tenant, chassis):
    return confirmed_certificate(session, ids, tenant, chassis, NOW)


def _billed(session, certificate_id):
    return session.scalar(select(func.count()).select_from(BillableEvent).where(
        BillableEvent.kind == "certificate", BillableEvent.object_id == certificate_id))


def test_the_sandbox_keeps_its_records_across_a_restart(tmp_path):
    state = tmp_path / "instance" / "sandbox-state.json"
    _, first = start_sandbox_in_thread(port=0, state_path=str(state))
    created = AirasClient(first.url("airas")).submit_certificate(certificate_payload(), "key-1")
    first.stop()
    assert state.exists()

    _, second = start_sandbox_in_thread(port=0, state_path=str(state))
    try:
        client = AirasClient(second.url("airas"))
        again = client.get_status(created["airas_id"])
        assert again["chassis_number"] == "ABC1-234567" and again["issue_number"] == created["issue_number"]
        replay = client.submit_certificate(certificate_payload(), "key-1")
        assert replay["replayed"] and replay["airas_id"] == created["airas_id"]
        other = client.submit_certificate(certificate_payload(chassis_number="XYZ9-000001"), "key-2")
        assert other["airas_id"] != created["airas_id"]  # numbers are not handed out twice
        assert other["issue_number"] != created["issue_number"]
        stats = requests.get(f"{second.base_url}/_control/stats", timeout=5).json()
        assert stats["airas"]["stored"] == 2 and stats["fees_yen"] == 72
    finally:
        second.stop()


def test_a_sandbox_without_a_state_file_starts_empty(tmp_path):
    _, first = start_sandbox_in_thread(port=0)
    created = AirasClient(first.url("airas")).submit_certificate(certificate_payload(), "key-1")
    first.stop()
    _, second = start_sandbox_in_thread(port=0)
    try:
        other = AirasClient(second.url("airas")).submit_certificate(
            certificate_payload(chassis_number="XYZ9-000001"), "key-2")
        assert other["airas_id"] == created["airas_id"]  # the amnesia the state file prevents
    finally:
        second.stop()


def test_an_answer_about_another_car_is_set_aside(app, ctx, db_session, caplog):
    """The review's finding: after the sandbox forgot everything, its ids came back naming other
    cars, and a certificate was marked 連携済 and billed from another car's record."""
    ids, tenant = ctx
    with sandbox_config(app):
        first_id = _confirmed(db_session, ids, tenant, "IDA10-0000001")
        sender.send_now(db_session, first_id, common.clients_from_config(), NOW)
        first = db_session.get(Certificate, first_id)
        assert first.status == "linked" and _billed(db_session, first_id) == 1
        first_airas_id = first.airas_id
    with sandbox_config(app):  # a sandbox that lost its memory: ids start again
        clients = common.clients_from_config()
        second_id = _confirmed(db_session, ids, tenant, "IDB20-0000002")
        with caplog.at_level(logging.WARNING, logger="app.services.certificates.followup"):
            sender.send_now(db_session, second_id, clients, NOW)
            db_session.expire_all()
            second = db_session.get(Certificate, second_id)
            # The new car's record got the id the first certificate holds: not taken over, not billed.
            assert second.status == "failed" and second.airas_id is None
            assert second.reason_code == "AIRAS-MISMATCH" and _billed(db_session, second_id) == 0
            assert "のものではありませんでした" in second.reason and "協会のサポート" in second.advice

            # Reading the first certificate back now answers about the other car: refused.
            sender.send_due(db_session, NOW + dt.timedelta(hours=1), clients)
            db_session.expire_all()
            first = db_session.get(Certificate, first_id)
            assert first.status == "failed" and first.reason_code == "AIRAS-MISMATCH"
            assert first.airas_id == first_airas_id and first.issue_number is not None
            assert "IDA10-0000001" in first.reason
            assert _billed(db_session, first_id) == 1  # still the one charge of its own link
        logged = [r.getMessage() for r in caplog.records]
        assert any(f"certificate {second_id}" in m and "already belongs to certificate" in m for m in logged)
        assert any(f"certificate {first_id}" in m and "'IDB20-0000002'" in m for m in logged)
        event = db_session.scalars(select(CertificateEvent).where(
            CertificateEvent.certificate_id == first_id, CertificateEvent.code == "AIRAS-MISMATCH")).one()
        assert event.success is False and event.status_after == "failed"


def test_the_shop_sees_the_set_aside_certificate_as_needing_attention(app, ctx, db_session, browser):
    ids, tenant = ctx
    with sandbox_config(app) as server:
        certificate_id = _confirmed(db_session, ids, tenant, "IDC30-0000003")
        requests.post(f"{server.base_url}/_control/reset", timeout=5)
        other = AirasClient(server.url("airas")).submit_certificate(
            certificate_payload(chassis_number="IDD40-0000004"), "somebody-else")
        certificate = db_session.get(Certificate, certificate_id)
        certificate.airas_id, certificate.status = other["airas_id"], "sent"
        db_session.commit()
        sender.send_now(db_session, certificate_id, common.clients_from_config(), NOW)
    browser.login("a-manager")
    page = browser.get(f"/certificates/{certificate_id}").get_data(as_text=True)
    assert "のものではありませんでした" in page and "協会のサポートに連絡してください" in page
    assert "IDD40-0000004" not in page  # nothing of the other car's record is shown or kept
    assert _billed(db_session, certificate_id) == 0


def test_two_certificates_cannot_hold_one_airas_id(app, ctx, db_session):
    ids, tenant = ctx
    first = db_session.get(Certificate, _confirmed(db_session, ids, tenant, "IDE50-0000005"))
    second = db_session.get(Certificate, _confirmed(db_session, ids, tenant, "IDF60-0000006"))
    first.airas_id = "HT00000042"
    db_session.commit()
    second.airas_id = "HT00000042"
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_the_sandbox_process_writes_its_state_when_stopped(tmp_path):
    """`python -m app.integrations.sandbox` stopped with SIGTERM (as run.py and the rehearsal stop
    it) writes what its writer thread had not written yet, and the next start reads it back."""
    import subprocess
    import sys
    import time

    from tests.conftest import free_port

    state = tmp_path / "sandbox-state.json"

    def start(port):
        process = subprocess.Popen([sys.executable, "-m", "app.integrations.sandbox", "--port", str(port),
                                    "--profile", "instant", "--state-file", str(state), "--save-interval", "60"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/_control/clock", timeout=1)
                return process
            except requests.ConnectionError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError("sandbox did not start")

    port = free_port()
    process = start(port)
    try:
        created = AirasClient(f"http://127.0.0.1:{port}/airas").submit_certificate(certificate_payload(), "k-1")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    port = free_port()
    process = start(port)
    try:
        again = AirasClient(f"http://127.0.0.1:{port}/airas").get_status(created["airas_id"])
        assert again["chassis_number"] == "ABC1-234567" and again["issue_number"] == created["issue_number"]
    finally:
        process.terminate()
        process.wait(timeout=10)
