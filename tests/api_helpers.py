"""Shared builders for the token API tests (no tests here): a token issued through the service,
and a test client that sends it as a bearer token with JSON bodies."""
from sqlalchemy import select

from tests.conftest import OPEN_MOMENT


def issue_token(app, username, site_id=None, days=365, label="試験用"):
    """(token id, token) for ``username`` at ``site_id`` (default: the user's first site)."""
    from app.extensions import db
    from app.models.tenancy import Site
    from app.security.models import KeizokuUser
    from app.services import api_tokens

    with app.app_context():
        user = db.session.scalar(select(KeizokuUser).where(KeizokuUser.username == username))
        site = db.session.get(Site, site_id) if site_id else user.sites[0]
        row, plain = api_tokens.issue(db.session, site=site, user=user, label=label, days=days,
                                      created_by=None, now=OPEN_MOMENT)
        db.session.commit()
        return row.id, plain


class ApiClient:
    """The Flask test client with ``Authorization: Bearer`` (or none) and JSON bodies."""

    def __init__(self, app, token=None):
        self.client = app.test_client()
        self.token = token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, payload=None, **kw):
        return self.client.post(url, json=payload if payload is not None else {},
                                headers=self._headers(kw.pop("headers", None)), **kw)

    def raw(self, method, url, data, content_type="application/json", **kw):
        return self.client.open(url, method=method, data=data, content_type=content_type,
                                headers=self._headers(kw.pop("headers", None)), **kw)
