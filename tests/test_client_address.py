"""Behind a proxy (TRUSTED_PROXY_COUNT): the login rate limit and the audit log see the real
client, so one attacker does not block everyone's login; without the setting the forwarded
headers are ignored."""
from sqlalchemy import select

from tests.conftest import PASSWORD

PROXY = {"REMOTE_ADDR": "127.0.0.1"}
ATTACKER = "203.0.113.5"
SHOP = "198.51.100.9"


def _client(app, forwarded_for):
    from tests.conftest import Browser

    browser = Browser(app)
    browser.client.environ_base.update(PROXY)
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return browser


def _attack_then_login(app, app_config):
    app_config["AUTH_RATE_LIMIT"] = "20 per minute"
    attacker = _client(app, ATTACKER)
    codes = [attacker.login("nobody-here", "wrong-password").status_code for _ in range(25)]
    assert codes[:20] == [302] * 20 and codes[20:] == [429] * 5
    shop = _client(app, SHOP)
    return shop, shop.login("a-clerk", PASSWORD)


def test_one_forwarded_client_does_not_block_another(app, app_config, tenants):
    app_config["TRUSTED_PROXY_COUNT"] = 1
    shop, response = _attack_then_login(app, app_config)
    assert response.status_code == 302
    assert shop.get("/").status_code == 200

    from app.extensions import db
    from app.models.audit import AuditLog

    with app.app_context():
        address = db.session.scalar(select(AuditLog.remote_addr).where(
            AuditLog.action == "login_success", AuditLog.actor_username == "a-clerk"))
    assert address == SHOP


def test_forwarded_headers_are_ignored_without_trusted_proxies(app, app_config, tenants):
    app_config["TRUSTED_PROXY_COUNT"] = 0
    _shop, response = _attack_then_login(app, app_config)
    assert response.status_code == 429  # every request is the proxy's: one client for the limit


def test_only_the_proxys_entry_is_believed(app, app_config, tenants):
    """A client's own forged X-Forwarded-For sits left of the proxy's entry: not believed."""
    app_config["TRUSTED_PROXY_COUNT"] = 1
    shop = _client(app, f"10.9.9.9, {SHOP}")
    assert shop.login("a-clerk", PASSWORD).status_code == 302

    from app.extensions import db
    from app.models.audit import AuditLog

    with app.app_context():
        addresses = set(db.session.scalars(select(AuditLog.remote_addr).where(
            AuditLog.remote_addr.is_not(None))))
    assert addresses == {SHOP}


def test_scheme_and_host_come_from_the_proxy(app, app_config):
    from werkzeug.test import EnvironBuilder

    from app.proxy import TrustedProxies

    seen = {}

    def inner(environ, start_response):
        seen.update(scheme=environ["wsgi.url_scheme"], host=environ["HTTP_HOST"],
                    addr=environ["REMOTE_ADDR"])
        start_response("204 No Content", [])
        return []

    wrapped = TrustedProxies(app, inner)
    environ = EnvironBuilder(path="/", environ_base=PROXY, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "keizoku.example.jp",
        "X-Forwarded-For": SHOP}).get_environ()
    app_config["TRUSTED_PROXY_COUNT"] = 1
    wrapped(dict(environ), lambda *a: None)
    assert seen == {"scheme": "https", "host": "keizoku.example.jp", "addr": SHOP}
    app_config["TRUSTED_PROXY_COUNT"] = 0
    wrapped(dict(environ), lambda *a: None)
    assert seen == {"scheme": "http", "host": "localhost", "addr": "127.0.0.1"}
