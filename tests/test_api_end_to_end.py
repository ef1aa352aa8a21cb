"""The issue's "done when", end to end: the demo data, a token from `flask api-token create
sakura-inspector`, the example script (scripts/api_example.py) taking a car from scans to 送信
against a running app and the sandbox over real HTTP; midori's token and no token are refused;
a webhook receiver on localhost (the sandbox's) gets 送信済 and 連携済 with valid signatures."""
import datetime as dt
import importlib.util
import json
import os
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import OPEN_MOMENT
from tests.test_certificate_helpers import consent_for, sandbox_config

ROOT = Path(__file__).resolve().parent.parent
VECTORS = {v["name"]: v for v in json.load(open(ROOT / "tests/data/qr-vectors.json", encoding="utf-8"))}


def _example_module():
    spec = importlib.util.spec_from_file_location("api_example", ROOT / "scripts" / "api_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CAR = {
    "scans": VECTORS["registered_electronic_card_per_symbol"]["scans"],
    "vehicle": {"expiry_date": "2026-12-20", "owner_name": "試験 花子", "owner_address": "東京都渋谷区神宮前1-2-3"},
    "inspection": {"inspector_code": "00112345", "inspection_date": "2026-11-26", "odometer_km": 45678,
                   "validity_years": 2, "use": "private", "body": "passenger", "eco": "",
                   "vehicle_weight_kg": 1200, "gross_weight_kg": 1475, "application_type": "oss",
                   "application_agent": "jaspa"},
    "insurance": {"policy1_certificate_number": "ABC-1234 5678", "policy1_insurer_name": "東京海上日動",
                  "policy1_start_date": "2026-11-20", "policy1_end_date": "2029-01-20", "policy1_electronic": True},
    "inspection_fee_yen": 1600,
}


@pytest.fixture
def running_app(app):
    """The app served over HTTP on localhost (one request at a time), for as long as the test runs."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def private_targets(app):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    yield
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False


def _cli_token(app, username):
    result = app.test_cli_runner().invoke(args=["api-token", "create", username, "--label", "整備管理システム"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("kz_") and " " not in lines[-1]  # the token alone on the last line
    return lines[-1]


def _site_id(app, name):
    from app.extensions import db
    from app.models.tenancy import Site

    with app.app_context():
        return db.session.scalar(select(Site.id).where(Site.name == name))


def test_scans_to_sent_through_the_api_alone(app, running_app, private_targets):
    from app.commands.demo_data import load_demo_data
    from app.extensions import db
    from app.services import webhooks
    from scheduler.jobs.certificates import run_certificate_send
    from scheduler.jobs.webhooks import run_webhook_delivery

    with app.app_context():
        load_demo_data()
    sakura_token, midori_token = _cli_token(app, "sakura-inspector"), _cli_token(app, "midori-inspector")
    site_id = _site_id(app, "本社工場")
    with app.app_context():  # the customer signed the 承諾書 on the shop's tablet
        consent_for(db.session, site_id, "JTESTVIN000000001")
        db.session.commit()

    # AIRAS answers 作成中 first (送信済) and 作成済 (連携済) a little later.
    with sandbox_config(app, link_delay_seconds=30) as sandbox:
        inbox = f"{sandbox.base_url}/hooks/sakura"
        with app.app_context():
            from app.models.tenancy import Site

            endpoint, secret = webhooks.register_endpoint(db.session, site=db.session.get(Site, site_id),
                                                          url=inbox, label="整備管理システム", created_by=None)
            db.session.commit()
        requests.post(f"{sandbox.base_url}/_control/hooks/sakura", json={"secret": secret}, timeout=5)

        # Another business's token and no token: 404 and 401, nothing created.
        body = {"site_id": site_id, "scans": CAR["scans"]}
        foreign = requests.post(f"{running_app}/api/v1/certificate-drafts", json=body,
                                headers={"Authorization": f"Bearer {midori_token}"}, timeout=10)
        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
        anonymous = requests.post(f"{running_app}/api/v1/certificate-drafts", json=body, timeout=10)
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert "トークン" in anonymous.json()["error"]["message"]

        lines = []
        certificate = _example_module().take_car_to_sending(running_app, sakura_token, site_id, CAR,
                                                             echo=lines.append)
        assert certificate["status"] == "sent" and certificate["airas"]["status"] == "作成中"
        assert certificate["issue_number"]
        assert [h["status_after"] for h in certificate["history"]][:2] == ["queued", "sent"]

        # The same ids with midori's token are 404; with sakura's the certificate reads back.
        for path in (f"/api/v1/certificates/{certificate['id']}", "/api/v1/certificates?site_id=" + str(site_id)):
            refused = requests.get(running_app + path, headers={"Authorization": f"Bearer {midori_token}"},
                                   timeout=10)
            assert refused.status_code == 404
        mine = requests.get(f"{running_app}/api/v1/certificates/{certificate['id']}",
                            headers={"Authorization": f"Bearer {sakura_token}"}, timeout=10).json()
        assert mine["chassis_number"] == "JTESTVIN000000001" and mine["issue_number"] == certificate["issue_number"]

        # 送信済 reaches the receiver; then AIRAS makes it 作成済 and the sender follows: 連携済.
        run_webhook_delivery(app)
        requests.post(f"{sandbox.base_url}/_control/clock", json={"advance_seconds": 60}, timeout=5)
        app.config["CLOCK"] = lambda: OPEN_MOMENT + dt.timedelta(minutes=2)
        run_certificate_send(app)
        run_webhook_delivery(app)
        listed = requests.get(f"{running_app}/api/v1/certificates",
                              params={"updated_since": (OPEN_MOMENT - dt.timedelta(hours=1)).isoformat()},
                              headers={"Authorization": f"Bearer {sakura_token}"}, timeout=10).json()
        assert [c["status"] for c in listed["items"]] == ["linked"]
        assert listed["items"][0]["oss_request"]["status"] == "accepted"

        received = requests.get(f"{sandbox.base_url}/_control/hooks/sakura", timeout=5).json()
    certificate_events = [r for r in received if r["body"]["data"]["certificate_id"] == certificate["id"]
                          and r["body"]["data"]["subject"] == "certificate"]
    statuses = [r["body"]["data"]["status"] for r in certificate_events]
    assert statuses == ["queued", "sent", "linked"]
    assert [r["body"]["data"]["status_label"] for r in certificate_events][1:] == ["送信済", "連携済"]
    assert all(r["signature_valid"] is True for r in received)
    assert all(r["event_id"] == r["body"]["id"] for r in received)
    assert len({r["event_id"] for r in received}) == len(received)
    assert any(r["body"]["data"]["subject"] == "oss_request" and r["body"]["data"]["status"] == "accepted"
               for r in received)


def test_the_script_from_the_shell(app, running_app, tmp_path):
    """The script as a shop-system developer runs it (its main(), arguments and exit code)."""
    from app.commands.demo_data import load_demo_data
    from app.extensions import db

    with app.app_context():
        load_demo_data()
        consent_for(db.session, _site_id(app, "本社工場"), "JTESTVIN000000001")  # the 承諾書, taken on the tablet
        db.session.commit()
    token = _cli_token(app, "sakura-inspector")
    car = tmp_path / "car.json"
    car.write_text(json.dumps(CAR, ensure_ascii=False), encoding="utf-8")
    module = _example_module()
    with sandbox_config(app):
        assert module.main(["--base-url", running_app, "--token", token, "--site",
                            str(_site_id(app, "本社工場")), str(car)]) == 0
        # A wrong token: the script stops with the API's Japanese message and exit code 1.
        assert module.main(["--base-url", running_app, "--token", "kz_wrong", "--site", "1", str(car)]) == 1
    assert os.path.exists(car)
