"""Deactivating a business or a site (13.4): its users are logged out on their next request with
a Japanese notice, cannot log in, their API tokens are refused, and the sender leaves its
certificates alone until the association switches it back on."""
import datetime as dt

import pytest
import requests

from app.extensions import db
from app.models.certificate import Certificate
from app.models.tenancy import Business, Site
from app.services.certificates import common, sender
from app.tenancy import SERVICE_STOPPED_MESSAGE
from tests.api_helpers import ApiClient, issue_token
from tests.test_certificate_sender import NOW, _confirmed, ctx  # noqa: F401 - fixture
from tests.test_certificate_helpers import sandbox_config


def _set_active(app, model, pk, active):
    with app.app_context():
        db.session.get(model, pk).active = active
        db.session.commit()


def _text(response):
    return response.get_data(as_text=True)


@pytest.mark.parametrize("model,key", [(Business, "Business"), (Site, "Site")])
def test_next_request_logs_the_user_out_with_the_notice(app, tenants, browser, model, key):
    ids = tenants.ids["a"]
    browser.login("a-inspector")  # works at the first site only
    assert browser.get("/").status_code == 200
    _set_active(app, model, ids[key], False)
    refused = browser.get("/certificates/", follow_redirects=True)
    assert SERVICE_STOPPED_MESSAGE in _text(refused)
    assert "/login/" in refused.request.path
    again = browser.get("/", follow_redirects=True)  # logged out: the login page, no notice
    assert "/login/" in again.request.path and SERVICE_STOPPED_MESSAGE not in _text(again)
    login = browser.login("a-inspector")
    assert SERVICE_STOPPED_MESSAGE in _text(browser.get(login.headers["Location"], follow_redirects=True))
    _set_active(app, model, ids[key], True)
    browser.login("a-inspector")
    assert browser.get("/").status_code == 200


def test_a_user_with_another_active_site_keeps_working_without_it(app, tenants, browser):
    from app.security.models import KeizokuUser
    from app.tenancy import tenant_of

    ids = tenants.ids["a"]
    _set_active(app, Site, ids["Site"], False)
    browser.login("a-manager")  # three sites, one of them stopped
    assert browser.get("/").status_code == 200
    with app.app_context():
        tenant = tenant_of(db.session.get(KeizokuUser, ids["users"]["manager"]))
        assert ids["Site"] not in tenant.site_ids and set(ids["sites"][1:]) <= tenant.site_ids
    shown = browser.get(f"/shop/sites/show/{ids['Site']}")
    assert shown.status_code == 404


def test_other_businesses_and_the_association_are_untouched(app, tenants, browser):
    _set_active(app, Business, tenants.ids["a"]["Business"], False)
    browser.login("b-manager")
    assert browser.get("/").status_code == 200
    browser.logout()
    browser.login("assoc-admin")
    assert browser.get("/association/businesses/list/").status_code == 200


@pytest.mark.parametrize("model,key", [(Business, "Business"), (Site, "Site")])
def test_api_tokens_of_a_stopped_site_are_refused(app, tenants, model, key):
    ids = tenants.ids["a"]
    _token_id, token = issue_token(app, "a-inspector")
    client = ApiClient(app, token)
    assert client.get("/api/v1/certificates").status_code == 200
    _set_active(app, model, ids[key], False)
    refused = client.get("/api/v1/certificates")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "inactive"
    _set_active(app, model, ids[key], True)
    assert client.get("/api/v1/certificates").status_code == 200


@pytest.mark.parametrize("model,key", [(Business, "Business"), (Site, "Site")])
def test_the_sender_skips_a_stopped_site_until_it_is_back(app, ctx, db_session, model, key):  # noqa: F811
    ids, tenant = ctx
    with sandbox_config(app) as server:
        certificate_id = _confirmed(db_session, ids, tenant, "HRS10-0000031")
        db_session.get(model, ids[key]).active = False
        db_session.commit()
        clients = common.clients_from_config()
        later = NOW + dt.timedelta(minutes=1)
        assert sender.send_due(db_session, later, clients) == 0
        sender.send_now(db_session, certificate_id, clients, later)
        assert db_session.get(Certificate, certificate_id).status == "queued"
        stats = requests.get(f"{server.base_url}/_control/stats", timeout=5).json()
        assert stats["airas"].get("received", 0) == 0
        db_session.get(model, ids[key]).active = True
        db_session.commit()
        assert sender.send_due(db_session, later, clients) == 1
        db_session.expire_all()
        assert db_session.get(Certificate, certificate_id).status == "linked"
