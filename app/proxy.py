"""The client's address, scheme and host behind a reverse proxy.

Behind nginx every request comes from 127.0.0.1. ``TRUSTED_PROXY_COUNT`` says how many proxies
stand before the app (0: none, the default; 1: the nginx of docs/operations.md); werkzeug's
ProxyFix then takes that many entries from the right of ``X-Forwarded-For``/``-Proto``/``-Host``,
so ``request.remote_addr`` (the login rate limit, the audit log) is the real client and a header a
client forged itself is never believed. With 0 the headers are ignored.

The count is read on every request, so operators (and tests) change it in the config.
"""
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxies:
    def __init__(self, flask_app, wsgi_app):
        self.flask_app = flask_app
        self.wsgi_app = wsgi_app
        self._fixers = {}

    def __call__(self, environ, start_response):
        count = int(self.flask_app.config.get("TRUSTED_PROXY_COUNT") or 0)
        if count <= 0:
            return self.wsgi_app(environ, start_response)
        fixer = self._fixers.get(count)
        if fixer is None:
            fixer = self._fixers[count] = ProxyFix(
                self.wsgi_app, x_for=count, x_proto=count, x_host=count)
        return fixer(environ, start_response)


def trust_proxies(flask_app):
    flask_app.wsgi_app = TrustedProxies(flask_app, flask_app.wsgi_app)
