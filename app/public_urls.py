"""Absolute URLs, from ``PUBLIC_BASE_URL`` only.

Whatever leaves the browser — mails, the 利用登録通知書, the QR code printed on a record —
must name the address people reach the service at, not the Host the current request happened
to arrive on (a proxy's internal name, a health check's 127.0.0.1, a scheduler job with no
request at all). So: no ``url_for(..., _external=True)``, no ``request.host_url``; this.
"""
from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under PUBLIC_BASE_URL (works outside requests too)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    # A bare adapter builds the path alone: no request, no Host, no scheme to leak in.
    return base + current_app.url_map.bind("").build(endpoint, values)
