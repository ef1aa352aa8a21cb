"""Volume and crash safety: 300 certificates confirmed at once against a sandbox that fails
30% of calls and times out on 10% all reach 連携済, each exactly once at the far end and
billed once; killing the senders mid-run and starting them again changes none of the counts.

Time is driven by the test: every round moves the ``now`` handed to the sender past every
backoff, so the run takes seconds while the retry schedule stays the real one.
"""
import datetime as dt
import threading

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import BillableEvent
from app.models.certificate import Certificate, OssRequest
from app.services.certificates import common, confirmation, sender
from app.tenancy import Tenant
from app.timeutil import JST
from tests.test_certificate_helpers import filled_draft, ready_site, sandbox_config

COUNT = 300
WORKERS = 4
START = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


class Killed(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


class KillingAirasClient:
    """Passes calls to the real client, then dies after ``calls`` answers (the worst moment:
    the far end has stored it, we have not)."""

    def __init__(self, real, calls):
        self.real, self.left = real, calls

    def _count(self):
        self.left -= 1
        if self.left < 0:
            raise Killed()

    def submit_certificate(self, payload, key):
        result = self.real.submit_certificate(payload, key)
        self._count()
        return result

    def get_status(self, airas_id):
        result = self.real.get_status(airas_id)
        self._count()
        return result


def _run_threads(target, count):
    errors = []

    def guarded(index):
        try:
            target(index)
        except Killed:
            pass  # a killed sender: its leases run out, another sender takes over
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)  # a bound for a hung thread, not a pace a slow machine must keep
    assert not any(thread.is_alive() for thread in threads), "a sender thread hangs"
    assert not errors, errors


def _sender(app, moment, kill_after=None):
    def work(_index):
        with app.app_context():
            clients = common.clients_from_config()
            if kill_after is not None:
                clients.airas = KillingAirasClient(clients.airas, kill_after)
            try:
                while sender.send_due(db.session, moment, clients, limit=25):
                    pass
            finally:
                db.session.remove()
    return work


def _counts(app, ids):
    with app.app_context():
        s = db.session
        result = {
            "linked": s.scalar(select(func.count()).select_from(Certificate).where(
                Certificate.id.in_(ids), Certificate.status.in_(common.LINKED_STATUSES))),
            "oss_accepted": s.scalar(select(func.count()).select_from(OssRequest).where(
                OssRequest.certificate_id.in_(ids), OssRequest.status == "accepted")),
            "billable": s.scalar(select(func.count()).select_from(BillableEvent).where(
                BillableEvent.kind == "certificate", BillableEvent.object_id.in_(ids))),
            "failed": s.scalar(select(func.count()).select_from(Certificate).where(
                Certificate.id.in_(ids), Certificate.status.in_(("failed", "rejected")))),
        }
        db.session.remove()
    return result


def _far_end(server):
    airas = requests.get(f"{server.base_url}/_control/records/airas", timeout=10).json()
    ainas = requests.get(f"{server.base_url}/_control/records/ainas", timeout=10).json()
    return {"airas": len(airas), "airas_chassis": len({r["payload"]["chassis_number"] for r in airas}),
            "airas_linked": sum(r["status"] == "作成済" for r in airas),
            "ainas": len(ainas), "ainas_chassis": len({r["payload"]["chassis_number"] for r in ainas})}


@pytest.fixture
def fast_retries(app):
    overrides = {"OUTSIDE_TIMEOUT_SECONDS": 0.3, "CERTIFICATE_MAX_ATTEMPTS": 60,
                 "CERTIFICATE_RETRY_BASE_SECONDS": 30, "CERTIFICATE_RETRY_MAX_SECONDS": 1800,
                 "CERTIFICATE_LEASE_SECONDS": 120,
                 # Reading back linked ones every 6 hours keeps the rounds about sending.
                 "CERTIFICATE_FOLLOW_SECONDS": 6 * 3600}
    previous = {k: app.config.get(k) for k in overrides}
    app.config.update(overrides)
    yield
    for key, value in previous.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


def test_300_concurrent_certificates_with_faults_and_a_killed_sender(app, tenants, fast_retries):
    ids = tenants.ids["a"]
    tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
    # An injected timeout holds its answer ten times the client's 0.3 s, so it is always lost; an
    # ordinary answer a loaded machine makes slower than 0.3 s is lost too and resent like one.
    with sandbox_config(app, error_rate=0.3, timeout_rate=0.1, timeout_seconds=3.0, seed=7) as server:
        app.config["OUTSIDE_TIMEOUT_SECONDS"] = 0.3  # sandbox_config keeps the key; the override wins
        with app.app_context():
            ready_site(db.session, ids["Site"])
            drafts = [filled_draft(db.session, tenant, ids["Site"], ids["users"]["inspector"],
                                   f"VOL{i:03d}-{i:07d}").id for i in range(COUNT)]
            db.session.commit()
            db.session.remove()

        # Confirm all of them at once, each sent at once as the wizard does.
        confirmed, lock = [], threading.Lock()

        def confirm(index):
            with app.app_context():
                clients = common.clients_from_config()
                from app.models.certificate import CertificateDraft
                for draft_id in drafts[index::8]:
                    draft = db.session.get(CertificateDraft, draft_id)
                    certificate = confirmation.confirm(db.session, draft, ids["users"]["inspector"],
                                                       set(confirmation.PREFLIGHT_ITEMS), START)
                    db.session.commit()
                    with lock:
                        confirmed.append(certificate.id)
                    sender.send_now(db.session, certificate.id, clients, START)
                db.session.remove()

        _run_threads(confirm, 8)
        assert len(confirmed) == COUNT

        moment = START
        # Senders killed mid-run (each dies after a few answers), then started again.
        moment += dt.timedelta(minutes=31)
        _run_threads(_sender(app, moment, kill_after=15), WORKERS)
        for _round in range(40):
            counts = _counts(app, confirmed)
            if counts["linked"] == COUNT and counts["oss_accepted"] == COUNT:
                break
            moment += dt.timedelta(minutes=31)
            _run_threads(_sender(app, moment), WORKERS)
        counts = _counts(app, confirmed)
        assert counts == {"linked": COUNT, "oss_accepted": COUNT, "billable": COUNT, "failed": 0}
        far = _far_end(server)
        assert far == {"airas": COUNT, "airas_chassis": COUNT, "airas_linked": COUNT,
                       "ainas": COUNT, "ainas_chassis": COUNT}
        stats = requests.get(f"{server.base_url}/_control/stats", timeout=10).json()
        assert stats["airas"]["fault_error"] > 0 and stats["airas"]["fault_timeout"] > 0
        assert stats["airas"]["duplicates_refused"] > 0  # lost answers were resent with the same key

        # Kill the senders that read them back too and start them again: no count moves.
        moment += dt.timedelta(hours=7)
        _run_threads(_sender(app, moment, kill_after=5), WORKERS)
        moment += dt.timedelta(hours=7)
        _run_threads(_sender(app, moment), WORKERS)
        assert _counts(app, confirmed) == counts
        assert _far_end(server) == far
