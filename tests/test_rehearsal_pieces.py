"""The pieces of the production rehearsal (scripts/rehearse_production.py, scripts/topology.py)
and of the load benchmark through nginx that can be checked without nginx: the rehearsal's
settings are valid operator settings, the proxy passes the client's address to both instances,
and a client connects from its own loopback address. The rehearsal itself takes minutes and is
run by hand (docs/operations.md §11)."""
import http.server
import threading

from app.settings import SETTINGS, settings_problems
from scripts.topology import client_session, nginx_config, production_env

from tests.conftest import free_port


def rehearsal_env():
    return production_env(database_url="postgresql://postgres@127.0.0.1:5432/rehearsal",
                          public_url="https://keizoku.rehearsal.example",
                          sandbox_url="http://127.0.0.1:1", smtp_port=2,
                          redis_url="redis://127.0.0.1:6379/14")


def test_the_rehearsal_runs_production_settings_that_are_valid_and_not_samples():
    env = rehearsal_env()
    assert env["KEIZOKU_CONFIG"] == "config.Config" and env["TRUSTED_PROXY_COUNT"] == "1"
    assert env["RATELIMIT_STORAGE_URI"].startswith("redis://127.0.0.1:6379/")
    assert settings_problems(env, production=True) == []  # what flask deploy-check asks
    assert {s.name for s in SETTINGS} <= set(env)  # the optional ones too
    assert rehearsal_env()["SECRET_KEY"] != env["SECRET_KEY"]  # a fresh secret per run


def test_nginx_passes_the_client_address_to_both_instances_on_loopback_only(tmp_path):
    conf = nginx_config(tmp_path, 8443, [8001, 8002], tmp_path / "c.crt", tmp_path / "c.key")
    text = conf.read_text()
    assert "server 127.0.0.1:8001;" in text and "server 127.0.0.1:8002;" in text
    assert "listen 127.0.0.1:8443 ssl;" in text
    assert "X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "X-Forwarded-Proto $scheme;" in text
    assert (tmp_path / "nginx-tmp").is_dir()


def test_a_client_connects_from_its_own_loopback_address():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.client_address[0], self.headers.get("Referer")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{port}"
        for address in ("127.0.0.2", "127.0.0.3"):
            assert client_session(base, address, "unused.crt").get(f"{base}/x", timeout=10).status_code == 204
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("127.0.0.2", f"{base}/"), ("127.0.0.3", f"{base}/")]


def test_each_peak_user_has_an_address_of_its_own(monkeypatch):
    import os

    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
    from load import user_address

    addresses = [user_address(n) for n in range(1, 281)]
    assert len(set(addresses)) == 280
    assert addresses[0] == "127.0.1.1" and addresses[250] == "127.0.2.1"
    assert all(a.startswith("127.") and a != "127.0.0.1" for a in addresses)
