"""Tenant isolation: a user of business A calls every id-taking URL rule with business B's
ids and gets 403/404, and nothing in the database changes.

The rules come from ``app.url_map``, so endpoints added later are covered without editing
this test. Each id argument is resolved to a model through the view that owns the endpoint
(its ``datamodel``, or a ``tenant_model`` attribute); an id-taking rule that cannot be
resolved fails the test, so nobody can add one that escapes it.
"""
import hashlib
import json

import pytest
from flask_appbuilder import Model
from sqlalchemy import select

ID_ARGS = {"pk", "id"}
SKIP_ENDPOINTS = {"static", "appbuilder.static"}
ACTION_NAMES = ("muldelete",)


def _view_for(app, endpoint):
    class_name = endpoint.split(".")[0]
    for view in app.appbuilder.baseviews:
        if view.__class__.__name__ == class_name:
            return view
    return None


def _model_for(app, endpoint):
    view = _view_for(app, endpoint)
    if view is None:  # a plain endpoint (the token API) names its model on the function
        return getattr(app.view_functions.get(endpoint), "tenant_model", None)
    model = getattr(view, "tenant_model", None)
    if model is None and getattr(view, "datamodel", None) is not None:
        model = view.datamodel.obj
    return model


def id_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        args = set(rule.arguments)
        if args & ID_ARGS or any(a.endswith("_id") for a in args):
            rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def database_fingerprint(app, skip=("audit_log",)):
    from app.extensions import db

    digest = hashlib.sha256()
    with app.app_context():
        for table in Model.metadata.sorted_tables:
            if table.name in skip:
                continue  # refused requests may log; they must not change data
            rows = db.session.execute(select(table)).all()
            digest.update(json.dumps(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def _url(rule, value):
    url = rule.rule
    for arg in rule.arguments:
        filled = ACTION_NAMES[0] if arg == "name" else value
        url = url.replace(f"<{arg}>", str(filled))
        for conv in ("int", "string", "path"):
            url = url.replace(f"<{conv}:{arg}>", str(filled))
    return url


def _is_api(rule):
    return rule.endpoint.startswith("api_v1.")


def _foreign_id(app, tenants, model):
    """A row of ``model`` that belongs to business B."""
    key = model.__name__
    if key == "KeizokuUser":
        return tenants.ids["b"]["users"]["manager"]
    if key in tenants.ids["b"]:
        return tenants.ids["b"][key]
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(model.id).where(
            model.business_id == tenants.ids["b"]["Business"]).limit(1))


def test_every_id_rule_is_covered(app):
    unresolved = [r.rule for r in id_rules(app) if _model_for(app, r.endpoint) is None]
    assert unresolved == [], "id-taking rules the isolation test cannot map to a model"
    assert len(id_rules(app)) >= 10


@pytest.mark.parametrize("role", ["manager", "clerk"])
def test_business_a_cannot_reach_business_b(app, tenants, browser, role):
    browser.login(f"a-{role}")
    assert browser.get("/").status_code == 200
    before = database_fingerprint(app)
    checked = 0
    for rule in id_rules(app):
        model = _model_for(app, rule.endpoint)
        foreign = _foreign_id(app, tenants, model)
        assert foreign is not None, f"no business-B row of {model.__name__} for {rule.rule}"
        url = _url(rule, foreign)
        # A cookie session never reaches the token API (401); see the bearer walk below.
        refused = (401,) if _is_api(rule) else (403, 404)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = browser.get(url)
            else:
                response = browser.post(url, {"rowid": str(foreign), "action": "muldelete"})
            assert response.status_code in refused, (
                f"{method} {url} as a-{role} answered {response.status_code}")
            checked += 1
    assert checked >= 10
    assert database_fingerprint(app) == before


def test_own_rows_are_reachable(app, tenants, browser):
    """The same URLs work with the user's own ids (so 404 above is isolation, not breakage)."""
    browser.login("a-manager")
    own = tenants.ids["a"]
    assert browser.get(f"/shop/inspectors/show/{own['Inspector']}").status_code == 200
    assert browser.get(f"/shop/inspectors/edit/{own['Inspector']}").status_code == 200
    assert browser.get(f"/shop/sites/show/{own['Site']}").status_code == 200
    assert browser.get(f"/shop/chief-mechanics/show/{own['ChiefMechanic']}").status_code == 200


def test_lists_show_only_own_rows(app, tenants, browser):
    browser.login("a-manager")
    page = browser.get("/shop/sites/list/").get_data(as_text=True)
    assert "a工場0" in page and "b工場0" not in page
    page = browser.get("/shop/inspectors/add").get_data(as_text=True)
    assert "a工場1" in page and "b工場0" not in page  # dropdown choices are scoped too


def test_site_limited_user_sees_only_their_sites(app, tenants, browser):
    browser.login("a-clerk")  # limited to a工場0
    page = browser.get("/shop/sites/list/").get_data(as_text=True)
    assert "a工場0" in page and "a工場1" not in page
    other_site = tenants.ids["a"]["sites"][1]
    assert browser.get(f"/shop/sites/show/{other_site}").status_code == 404


def test_user_without_business_sees_nothing(app, tenants, browser):
    """Default-deny: a shop role with no business or sites matches no row."""
    from app.extensions import db
    from app.security.models import KeizokuUser

    with app.app_context():
        user = db.session.get(KeizokuUser, tenants.ids["a"]["users"]["clerk"])
        user.sites = []
        db.session.commit()
    browser.login("a-clerk")
    page = browser.get("/shop/inspectors/list/").get_data(as_text=True)
    assert "検査 一郎" not in page
    assert browser.get(f"/shop/inspectors/show/{tenants.ids['a']['Inspector']}").status_code == 404


def test_creating_under_another_business_site_is_refused(app, tenants, browser):
    from app.extensions import db
    from app.models.tenancy import Inspector

    browser.login("a-manager")
    response = browser.post("/shop/inspectors/add", {
        "site": str(tenants.ids["b"]["Site"]), "name": "侵入 太郎", "inspector_code": "00999999",
        "active": "y",
    })
    assert response.status_code == 200  # the form comes back: not a valid choice
    with app.app_context():
        assert db.session.scalar(select(Inspector).where(Inspector.name == "侵入 太郎")) is None


def test_token_api_walk_own_ids_succeed_foreign_ids_404(app, tenants):
    """Every id-taking API rule with a bearer token of business A: B's ids are 404 on every
    method and change nothing; A's own ids are reached (not 401/403/404); no token is 401."""
    from tests.api_helpers import ApiClient, issue_token

    _, token = issue_token(app, "a-inspector")
    api, anonymous = ApiClient(app, token), ApiClient(app)
    rules = [rule for rule in id_rules(app) if _is_api(rule)]
    assert len(rules) >= 8
    before = database_fingerprint(app, skip=("audit_log", "api_token"))
    for rule in rules:
        model = _model_for(app, rule.endpoint)
        foreign = _foreign_id(app, tenants, model)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            call = api.get if method == "GET" else api.post
            response = call(_url(rule, foreign))
            assert response.status_code == 404, f"{method} {rule.rule} with B's id: {response.status_code}"
            assert response.get_json()["error"]["code"] == "not_found"
            no_token = (anonymous.get if method == "GET" else anonymous.post)(_url(rule, foreign))
            assert no_token.status_code == 401
    assert database_fingerprint(app, skip=("audit_log", "api_token")) == before
    for rule in rules:
        own = tenants.ids["a"][_model_for(app, rule.endpoint).__name__]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            call = api.get if method == "GET" else api.post
            response = call(_url(rule, own))
            assert response.status_code not in (401, 403, 404) and response.status_code < 500, (
                f"{method} {rule.rule} with A's own id: {response.status_code} {response.get_data(as_text=True)}")
