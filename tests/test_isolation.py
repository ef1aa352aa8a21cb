"""Tenant isolation: a user of business A calls every id-taking URL rule with business B's
ids and gets 404 (403 where the role lacks the permission), and nothing in the database
changes; then the same rules with A's own ids answer (2xx/3xx, or a 400 on an empty form), so
each 404 is known to be tenancy, not role. A user limited to A's first site gets the same 404s
for the rows of A's second site (``tenants_two_sites``), and list pages, with or without ids
in the query string, never show those rows.

The rules come from ``app.url_map``, so endpoints added later are covered without editing
this test. Each id argument is resolved to a model through the view that owns the endpoint
(its ``datamodel``, or a ``tenant_model`` attribute); an id-taking rule that cannot be
resolved, or an argument the walk cannot fill (``ARG_VALUES``), fails the test, so nobody can
add one that escapes it.
"""
import hashlib
import json

import pytest
from flask_appbuilder import Model
from sqlalchemy import select

from app.security.roles import all_role_permissions
from tests.conftest import SECOND_SITE_KEY, SHOP_ROLES
from tests.tenant_seeds.invoices import SEED_MONTH

ID_ARGS = {"pk", "id"}
SKIP_ENDPOINTS = {"static", "appbuilder.static"}
ACTION_NAMES = ("muldelete",)
# Every other URL argument: a value the rule accepts for the user's own rows. A new kind of
# argument gets a line here (test_every_rule_argument_is_known says which).
ARG_VALUES = {"name": ACTION_NAMES[0], "kind": "confirmation", "month": SEED_MONTH,
              "locale": "ja", "form": "ocr-kei"}
# Arguments that name a file or a public page rather than a row; each has its own test below.
NAME_ARGS = {"filename": "test_downloads_by_file_name_are_refused",
             "reference": "test_application_pdf_needs_the_sending_browser",
             "entry_no": "public FAQ entries (no tenant)"}
# Ids taken from the query string by list pages: parameter -> model whose id it carries.
QUERY_ID_ARGS = {"site": "Site", "site_id": "Site", "user_id": "KeizokuUser",
                 "certificate": "Certificate"}
# Endpoints whose own-id call removes or retires the row: walked last.
# A failed scan removes an untouched draft (issue 15.11): the wizard's scan step is one too.
REMOVING = ("delete", "discard", "revoke", "disable", "WizardView.scan")


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


def _is_id_arg(arg):
    return arg in ID_ARGS or arg.endswith("_id")


def id_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        if any(_is_id_arg(a) for a in rule.arguments):
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
        filled = value if _is_id_arg(arg) else ARG_VALUES[arg]
        url = url.replace(f"<{arg}>", str(filled))
        for conv in ("int", "string", "path"):
            url = url.replace(f"<{conv}:{arg}>", str(filled))
    return url


def _is_api(rule):
    return rule.endpoint.startswith("api_v1.")


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _permitted(app, endpoint, roles):
    """Whether one of ``roles`` holds the permission ``has_access`` checks on ``endpoint``
    (None for an endpoint without a permission: public or login pages)."""
    view = _view_for(app, endpoint)
    method_name = endpoint.split(".", 1)[1]
    if view is None or not hasattr(getattr(view, method_name, None), "_permission_name"):
        return None
    wanted = "can_" + view.get_method_permission(method_name)
    permissions, _ = all_role_permissions()
    return any(wanted in permissions.get(role, {}).get(view.class_permission_name, ())
               for role in roles)


def _foreign_id(app, ids, model):
    """The id of the row of ``model`` in ``ids`` (one seeded tenant), looked up by business
    when the seeds did not name it."""
    key = model.__name__
    if key in ids:
        return ids[key]
    if not hasattr(model, "business_id"):
        return None
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(model.id).where(
            model.business_id == ids["Business"]).limit(1))


def _call(browser, method, url, row_id, site_id=None):
    """GET, or POST the row's id as FAB's actions take it (and the user's site, as forms do)."""
    if method == "GET":
        return browser.get(url)
    form = {"rowid": str(row_id), "action": ACTION_NAMES[0]}
    if site_id is not None:
        form["site_id"] = str(site_id)
    return browser.post(url, form)


def walk_id_rules(app, browser, roles, own, foreign):
    """Every browser id rule with the ``foreign`` tenant's ids, then with the ``own`` ones.

    Foreign: 404 where the roles hold the permission, 403 where they do not, and no row
    changes. Own: every permitted call answers (not 401/403/404, never 500). Returns how many
    calls were refused by tenancy alone (permitted, own id answered, foreign id 404)."""
    before = database_fingerprint(app)
    own_calls = []
    for rule in id_rules(app):
        if _is_api(rule):
            continue  # cookie sessions never reach the token API: see the bearer walk below
        model = _model_for(app, rule.endpoint)
        foreign_id, own_id = _foreign_id(app, foreign, model), own.get(model.__name__)
        if foreign_id is None and not hasattr(model, "__tenant_scope__"):
            continue  # association data with no row on this side: not a tenant's
        assert foreign_id is not None, f"no foreign row of {model.__name__} for {rule.rule}"
        if foreign_id == own_id:
            continue  # the same row on both sides (the business itself, a shared month)
        permitted = _permitted(app, rule.endpoint, roles)
        for method in _methods(rule):
            response = _call(browser, method, _url(rule, foreign_id), foreign_id)
            expected = 404 if permitted else 403
            assert response.status_code == expected, (
                f"{method} {_url(rule, foreign_id)} (another tenant's {model.__name__}) "
                f"answered {response.status_code}, expected {expected}")
            if permitted:
                assert own_id is not None, f"no own row of {model.__name__} for {rule.rule}"
                own_calls.append((rule, method, own_id))
    assert database_fingerprint(app) == before
    removing = lambda call: (call[1] != "GET", any(w in call[0].endpoint for w in REMOVING))
    removed = set()  # (model, id) a removing call took away: later calls prove nothing on it
    for rule, method, own_id in sorted(own_calls, key=removing):
        row = (_model_for(app, rule.endpoint).__name__, own_id)
        if row in removed:
            continue
        response = _call(browser, method, _url(rule, own_id), own_id, own["Site"])
        if removing((rule, method)) == (True, True) and response.status_code < 400:
            removed.add(row)
        assert response.status_code < 500 and response.status_code not in (401, 403, 404), (
            f"{method} {_url(rule, own_id)} with the user's own id answered "
            f"{response.status_code}: the refusal above is not shown to be tenancy")
        if response.status_code in (301, 302, 303):
            assert "/login" not in response.headers["Location"]
    return len(own_calls)


def test_every_id_rule_is_covered(app):
    unresolved = [r.rule for r in id_rules(app) if _model_for(app, r.endpoint) is None]
    assert unresolved == [], "id-taking rules the isolation test cannot map to a model"
    assert len(id_rules(app)) >= 10


def test_every_rule_argument_is_known(app):
    """A new kind of URL argument needs a value in ARG_VALUES (or its own test in NAME_ARGS)."""
    unknown = sorted({f"{rule.rule}: {arg}" for rule in app.url_map.iter_rules()
                      if rule.endpoint not in SKIP_ENDPOINTS for arg in rule.arguments
                      if not _is_id_arg(arg) and arg not in ARG_VALUES and arg not in NAME_ARGS})
    assert unknown == []


@pytest.mark.parametrize("role", SHOP_ROLES)
def test_business_a_cannot_reach_business_b(app, tenants, browser, role):
    username = {"site_manager": "a-manager"}.get(role, f"a-{role}")
    browser.login(username)
    assert browser.get("/").status_code == 200
    refused_by_tenancy = walk_id_rules(app, browser, [role], tenants.ids["a"], tenants.ids["b"])
    assert refused_by_tenancy >= 10


@pytest.mark.parametrize(("username", "roles"), [
    ("a-site0", SHOP_ROLES), ("a-inspector", ("inspector",)), ("a-clerk", ("clerk",))])
def test_site_limited_user_cannot_reach_the_other_site(app, tenants_two_sites, browser, username, roles):
    """Users of A's first site only (``a-site0`` holds every shop role): each row of the second
    site (certificate, record, invoice billed to that site, inquiry, user, ...) is 404."""
    ids = tenants_two_sites.ids
    browser.login(username)
    refused_by_tenancy = walk_id_rules(app, browser, roles, ids["a"], ids[SECOND_SITE_KEY])
    assert refused_by_tenancy >= 20
    for model in ("Certificate", "Record", "Invoice", "Inquiry", "KeizokuUser", "Site"):
        assert ids[SECOND_SITE_KEY][model] != ids["a"][model]


def _list_pages(app):
    """GET pages with no URL argument behind a permission (list and index pages)."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and not _is_api(rule)
                  and rule.endpoint not in SKIP_ENDPOINTS and _permitted(app, rule.endpoint, SHOP_ROLES))


def _shown(browser, url, markers):
    response = browser.get(url)
    assert response.status_code < 500, f"GET {url} answered {response.status_code}"
    page = response.get_data().decode(response.mimetype_params.get("charset", "utf-8"), "replace")
    return {marker for marker in markers if marker in page}


def _query_variants(page, ids):
    yield page
    for param, model in QUERY_ID_ARGS.items():
        yield f"{page}?{param}={ids[model]}"


def test_lists_never_show_the_other_site(app, tenants_two_sites, browser):
    """Every list page, also with the second site's ids in the query string: what A's manager
    (all sites) sees of the second site, the first site's user never sees."""
    second = tenants_two_sites.ids[SECOND_SITE_KEY]
    markers = tenants_two_sites.markers[SECOND_SITE_KEY]
    pages = _list_pages(app)
    browser.login("a-manager")
    seen = {}
    for page in pages:
        for url in _query_variants(page, second):
            seen.setdefault(page, set()).update(_shown(browser, url, markers))
    # Each seeded feature shows its second-site rows on some list (else nothing is checked).
    assert set().union(*seen.values()) == set(markers)
    browser.logout()
    browser.login("a-site0")
    for page in pages:
        for url in _query_variants(page, second):
            assert _shown(browser, url, markers) == set(), f"{url} shows the other site's rows"


def test_lists_never_show_business_b(app, tenants, browser):
    """The same with business B's ids in the query string, for A's manager."""
    markers = tenants.markers["b"]
    browser.login("a-manager")
    for page in _list_pages(app):
        for url in _query_variants(page, tenants.ids["b"]):
            assert _shown(browser, url, markers) == set(), f"{url} shows business B's rows"


@pytest.mark.parametrize("username", ["a-manager", "a-clerk", "a-inspector", "assoc-admin"])
def test_downloads_by_file_name_are_refused(app, tenants, browser, tmp_path, username):
    """FAB's file downloads (``download/<filename>``) serve any file of UPLOAD_FOLDER by name,
    whoever uploaded it. No view of ours stores files there, so no role may call one."""
    planted = tmp_path / "b-secret.txt"
    planted.write_text("事業者Bのファイル")
    previous = app.config.get("UPLOAD_FOLDER")
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    try:
        browser.login(username)
        rules = [r for r in app.url_map.iter_rules() if "filename" in r.arguments]
        assert len(rules) >= 5
        for rule in rules:
            url = rule.rule.replace("<string:filename>", planted.name)
            response = browser.get(url)
            assert response.status_code in (403, 404), f"{url} as {username}: {response.status_code}"
            assert "事業者B" not in response.get_data(as_text=True)
    finally:
        app.config["UPLOAD_FOLDER"] = previous


def test_application_pdf_needs_the_sending_browser(app, tenants, browser):
    """A web application's PDF (it carries the bank account) is served only to the browser
    that sent the form, whatever its reference: logged in or not."""
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission

    with app.app_context():
        reference = db.session.get(ApplicationFormSubmission,
                                   tenants.ids["b"]["ApplicationFormSubmission"]).reference
    assert browser.get(f"/guide/application/{reference}.pdf").status_code == 404
    browser.login("a-manager")
    assert browser.get(f"/guide/application/{reference}.pdf").status_code == 404


@pytest.mark.parametrize("username", ["a-manager", "a-clerk", "assoc-admin"])
def test_billing_month_pages(app, tenants, browser, username):
    """The month pages are the association's: a shop user gets 403 on each (the month is every
    business's), the association reaches them; an unknown month is 404."""
    rules = [r for r in app.url_map.iter_rules() if "month" in r.arguments]
    assert len(rules) >= 4
    association = username.startswith("assoc")
    browser.login(username)
    for rule in rules:
        for method in _methods(rule):
            url = _url(rule, None)
            response = _call(browser, method, url, None)
            if association:
                # (GET debit-file of a month without one is 404, its POST makes one.)
                assert response.status_code < 500 and response.status_code != 403, (
                    f"{method} {url}: {response.status_code}")
            else:
                assert response.status_code == 403, f"{method} {url} as {username}: {response.status_code}"
    if association:
        assert browser.get("/billing/admin/months/2026-13/").status_code == 404
        assert browser.get("/billing/admin/months/1999-01/").status_code == 404


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
        foreign = _foreign_id(app, tenants.ids["b"], model)
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
