"""Webhooks: the outbox is written with the status change (and not for a rolled-back one), the
job delivers signed events and retries with backoff (a receiver failing twice gets the event on
the third try), targets in private ranges are refused at registration and at delivery (DNS
rebinding), redirects are not followed, and a site replays an event from its delivery log."""
import datetime as dt
import json

import pytest
import requests
from sqlalchemy import func, select

from app.integrations.webhooks import WebhookClient, check_target, sign, verify
from app.models.integration import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.conftest import OPEN_MOMENT
from tests.test_certificate_helpers import filled_draft, ready_site, sandbox_config


def resolver_for(*addresses):
    def resolve(host, port, type=None):
        return [(None, None, None, "", (address, port)) for address in addresses]
    return resolve


@pytest.fixture
def sandbox(app, tenants):
    from sqlalchemy import update

    from app.extensions import db

    with app.app_context():  # the seeded endpoints (tests/tenant_seeds) point nowhere reachable
        db.session.execute(update(WebhookEndpoint).values(active=False))
        db.session.commit()
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    with sandbox_config(app) as server:
        yield server
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False


def _endpoint(app, site_id, url, resolver=None):
    from app.extensions import db
    from app.models.tenancy import Site
    from app.services import webhooks

    with app.app_context():
        row, secret = webhooks.register_endpoint(db.session, site=db.session.get(Site, site_id), url=url,
                                                 label="受信システム", created_by=None, resolver=resolver)
        db.session.commit()
        return row.id, secret


def _confirm_one(app, tenants, chassis="WHTEST-0000001"):
    """A certificate confirmed through the services (queued): one status change."""
    from app.extensions import db
    from app.services.certificates import confirmation
    from app.tenancy import tenant_of
    from app.security.models import KeizokuUser

    ids = tenants.ids["a"]
    with app.app_context():
        ready_site(db.session, ids["Site"])
        user = db.session.get(KeizokuUser, ids["users"]["inspector"])
        draft = filled_draft(db.session, tenant_of(user), ids["Site"], user.id, chassis, application_type="hybrid")
        certificate = confirmation.confirm(db.session, draft, user.id, {
            "chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"}, OPEN_MOMENT)
        db.session.commit()
        return certificate.id


def _deliver(app, moment):
    from app.extensions import db
    from app.services import webhooks

    app.config["CLOCK"] = lambda: moment
    with app.app_context():
        return webhooks.deliver_due(db.session, moment, webhooks.client_from_config())


def _count(app, model, *where):
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_signature_is_hmac_sha256_of_the_body():
    body = json.dumps({"id": "x", "data": {"status": "sent"}}).encode()
    assert sign("whsec_k", body) == "sha256=" + __import__("hmac").new(
        b"whsec_k", body, "sha256").hexdigest()
    assert verify("whsec_k", body, sign("whsec_k", body))
    assert not verify("whsec_k", body + b" ", sign("whsec_k", body))
    assert not verify("other", body, sign("whsec_k", body)) and not verify("whsec_k", body, None)


def test_outbox_is_written_with_the_change_and_not_for_a_rollback(app, tenants, sandbox):
    from app.extensions import db
    from app.models.certificate import Certificate
    from app.services.certificates.events import record_event

    _endpoint(app, tenants.ids["a"]["Site"], f"{sandbox.base_url}/hooks/a")
    certificate_id = _confirm_one(app, tenants)
    assert _count(app, WebhookEvent, WebhookEvent.certificate_id == certificate_id) == 1  # 送信待ち
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        certificate.status = "sent"
        record_event(db.session, certificate, OPEN_MOMENT, "airas", "submit", "queued", "sent")
        db.session.flush()
        db.session.rollback()  # the change did not happen: no event for it
    assert _count(app, WebhookEvent, WebhookEvent.certificate_id == certificate_id) == 1
    with app.app_context():
        certificate = db.session.get(Certificate, certificate_id)
        record_event(db.session, certificate, OPEN_MOMENT, "airas", "status", "queued", "queued")  # no change
        db.session.commit()
    assert _count(app, WebhookEvent, WebhookEvent.certificate_id == certificate_id) == 1
    # Another business's endpoint hears nothing of business A's certificates.
    assert _count(app, WebhookEvent, WebhookEvent.site_id == tenants.ids["b"]["Site"],
                  WebhookEvent.certificate_id == certificate_id) == 0


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(app, tenants, sandbox):
    endpoint_id, secret = _endpoint(app, tenants.ids["a"]["Site"], f"{sandbox.base_url}/hooks/flaky")
    requests.post(f"{sandbox.base_url}/_control/hooks/flaky", json={"secret": secret, "fail_next": 2,
                                                                      "fail_status": 503}, timeout=5)
    certificate_id = _confirm_one(app, tenants)
    assert _deliver(app, OPEN_MOMENT) == 0  # first try: 503
    assert _deliver(app, OPEN_MOMENT + dt.timedelta(seconds=10)) == 0  # not due yet: nothing sent
    assert _deliver(app, OPEN_MOMENT + dt.timedelta(seconds=31)) == 0  # second try (after 30 s): 503
    assert _deliver(app, OPEN_MOMENT + dt.timedelta(seconds=60)) == 0  # backoff doubled: not due
    assert _deliver(app, OPEN_MOMENT + dt.timedelta(seconds=92)) == 1  # third try: delivered
    assert _deliver(app, OPEN_MOMENT + dt.timedelta(hours=1)) == 0  # delivered events are not sent again
    received = requests.get(f"{sandbox.base_url}/_control/hooks/flaky", timeout=5).json()
    assert [r["answered"] for r in received] == [503, 503, 200]
    assert len({r["event_id"] for r in received}) == 1  # the same event id every time
    assert all(r["signature_valid"] for r in received)
    assert received[-1]["body"]["data"]["certificate_id"] == certificate_id
    assert received[-1]["body"]["data"]["status"] == "queued"
    from app.extensions import db

    with app.app_context():
        event = db.session.scalar(select(WebhookEvent).where(WebhookEvent.endpoint_id == endpoint_id))
        assert event.status == "delivered" and event.attempts == 3
        assert [(d.attempt, d.status_code, d.success) for d in event.deliveries] == [
            (1, 503, False), (2, 503, False), (3, 200, True)]


def test_private_targets_are_refused_unless_allowed(app, tenants):
    site_id = tenants.ids["a"]["Site"]
    from app.services.webhooks import WebhookError

    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254", "::1",
                    "fe80::1", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1"):
        with pytest.raises(WebhookError) as refused:
            _endpoint(app, site_id, "https://hooks.example.jp/in", resolver=resolver_for(address))
        assert "インターネットから見えないアドレス" in refused.value.message
    # One private address among public ones is enough to refuse (a rebinding-friendly name).
    with pytest.raises(WebhookError):
        _endpoint(app, site_id, "https://hooks.example.jp/in", resolver=resolver_for("93.184.216.34", "10.0.0.1"))
    with pytest.raises(WebhookError) as http:
        _endpoint(app, site_id, "http://hooks.example.jp/in", resolver=resolver_for("93.184.216.34"))
    assert "https://" in http.value.message
    for bad in ("https://user:pw@hooks.example.jp/", "https://hooks.example.jp:99999/", "ftp://x.jp/",
                "https://ホスト.jp/", "https://hooks.example.jp/#frag", "https://" + "a" * 600 + ".jp/"):
        with pytest.raises(WebhookError):
            _endpoint(app, site_id, bad, resolver=resolver_for("93.184.216.34"))
    with pytest.raises(WebhookError) as unknown:
        _endpoint(app, site_id, "https://nowhere.example.jp/", resolver=resolver_for())
    assert "見つかりません" in unknown.value.message
    endpoint_id, _ = _endpoint(app, site_id, "https://hooks.example.jp/in", resolver=resolver_for("93.184.216.34"))
    assert _count(app, WebhookEndpoint, WebhookEndpoint.id == endpoint_id) == 1
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    try:
        _endpoint(app, site_id, "http://127.0.0.1:9/in", resolver=resolver_for("127.0.0.1"))
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False


def test_delivery_checks_the_address_again_and_follows_no_redirect(app, sandbox):
    host_and_port = sandbox.base_url.split("//")[1]
    port = int(host_and_port.split(":")[1])
    body = b'{"id":"e1"}'
    # The name resolved to a public address when it was registered; now it points inside.
    rebinding = WebhookClient(allow_private=False, resolver=resolver_for("127.0.0.1"))
    result = rebinding.deliver(f"https://hooks.example.jp:{port}/hooks/rebind", "s", body, "e1", 1)
    assert not result.ok and result.status_code is None and "インターネットから見えない" in result.error
    assert requests.get(f"{sandbox.base_url}/_control/hooks/rebind", timeout=5).json() == []
    # The connection goes to the checked address, whatever the host name says.
    pinned = WebhookClient(allow_private=True, resolver=resolver_for("127.0.0.1"))
    result = pinned.deliver(f"http://hooks.example.jp:{port}/hooks/pinned", "s", body, "e2", 2)
    assert result.ok and result.status_code == 200
    got = requests.get(f"{sandbox.base_url}/_control/hooks/pinned", timeout=5).json()
    assert got[0]["host"] == f"hooks.example.jp:{port}" and got[0]["event_id"] == "e2"
    # A redirect is a failure, and its target hears nothing.
    requests.post(f"{sandbox.base_url}/_control/hooks/moved",
                  json={"redirect_to": f"{sandbox.base_url}/hooks/elsewhere"}, timeout=5)
    result = WebhookClient(allow_private=True).deliver(f"{sandbox.base_url}/hooks/moved", "s", body, "e3", 3)
    assert not result.ok and result.status_code == 302 and "リダイレクト" in result.error
    assert requests.get(f"{sandbox.base_url}/_control/hooks/elsewhere", timeout=5).json() == []
    # A receiver slower than the timeout is a failure, quickly.
    requests.post(f"{sandbox.base_url}/_control/hooks/slow", json={"delay_seconds": 1.5}, timeout=5)
    result = WebhookClient(allow_private=True, timeout=0.5).deliver(f"{sandbox.base_url}/hooks/slow", "s", body,
                                                                    "e4", 4)
    assert not result.ok and "時間内に応答" in result.error
    assert check_target(f"{sandbox.base_url}/hooks/x", allow_private=True).addresses == ("127.0.0.1",)


def test_screens_register_show_the_secret_once_log_and_replay(app, tenants, browser, sandbox):
    site_id = tenants.ids["a"]["Site"]
    browser.login("a-manager")
    page = browser.get("/shop/webhooks/")
    assert page.status_code == 200 and "状態の通知" in page.get_data(as_text=True)
    refused = browser.post("/shop/webhooks/create", {"site_id": str(site_id), "label": "受信",
                                                     "url": "ftp://example.jp/"})
    assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
    created = browser.post("/shop/webhooks/create", {"site_id": str(site_id), "label": "受信システム",
                                                     "url": f"{sandbox.base_url}/hooks/screen"})
    text = created.get_data(as_text=True)
    assert created.status_code == 200 and "シークレットは今だけ表示します" in text
    from app.extensions import db

    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.label == "受信システム"))
        secret, endpoint_id = endpoint.secret, endpoint.id
    assert secret in text
    assert secret not in browser.get("/shop/webhooks/").get_data(as_text=True)  # shown once
    requests.post(f"{sandbox.base_url}/_control/hooks/screen", json={"secret": secret}, timeout=5)

    _confirm_one(app, tenants)
    assert _deliver(app, OPEN_MOMENT) == 1
    log = browser.get(f"/shop/webhooks/{endpoint_id}/log").get_data(as_text=True)
    assert "送信待ち" in log and "1回目" in log and "成功" in log
    with app.app_context():
        event_pk = db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.endpoint_id == endpoint_id))
    replayed = browser.post(f"/shop/webhooks/events/{event_pk}/replay")
    assert replayed.status_code == 302
    received = requests.get(f"{sandbox.base_url}/_control/hooks/screen", timeout=5).json()
    assert len(received) == 2 and received[0]["event_id"] == received[1]["event_id"]
    assert all(r["signature_valid"] for r in received)
    assert _count(app, WebhookDelivery, WebhookDelivery.event_id == event_pk) == 2
    assert "2回目" in browser.get(f"/shop/webhooks/{endpoint_id}/log").get_data(as_text=True)

    # Stopping the endpoint cancels what waits for it; nothing more is queued for it.
    assert browser.post(f"/shop/webhooks/{endpoint_id}/disable").status_code == 302
    _confirm_one(app, tenants, chassis="WHTEST-0000002")
    assert _count(app, WebhookEvent, WebhookEvent.endpoint_id == endpoint_id) == 1
    # Clerks and inspectors have no webhook screens.
    clerk = type(browser)(app)
    clerk.login("a-clerk")
    assert clerk.get("/shop/webhooks/").status_code == 403
