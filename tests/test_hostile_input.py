"""Bad input never gives a 500 (issue 14.4): every list and search page, found from
``app.url_map`` as tests/test_isolation.py finds its rules, is called with the review's hostile
inputs (a NUL byte, a LIKE pattern ending in the escape character, FAB's list parameters out of
range) and answers below 500, in Japanese; a NUL byte answers a Japanese 400."""
import json
import re
from pathlib import Path

import pytest

from tests.api_helpers import ApiClient, issue_token
from tests.conftest import Browser

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SKIP = {"static", "appbuilder.static", "KeizokuAuthDBView.logout", "LocaleView.index",
        "MenuApi.get_menu_data", "OpenApi.get", "SwaggerView.show"}
APP_DIR = Path(__file__).resolve().parent.parent / "app"
ARG_NAME = re.compile(r"""args(?:\.get(?:list)?\(|\[)\s*["'](\w+)["']""")


def query_names():
    """Every query parameter a view or the API reads (from the source: new ones are covered)."""
    names = set()
    for path in [*APP_DIR.glob("views/*.py"), *APP_DIR.glob("api/*.py")]:
        names |= set(ARG_NAME.findall(path.read_text(encoding="utf-8")))
    names |= {"plate", "chassis", "q"}
    return sorted(names)


def plain_get_rules(app, api):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or "GET" not in rule.methods or rule.arguments:
            continue
        if rule.rule.startswith("/api/") != api:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def fab_list_views(app):
    """(list URL, view name, search columns with their filter counts) of each FAB model view."""
    found = []
    for view in app.appbuilder.baseviews:
        if getattr(view, "datamodel", None) is None or not hasattr(view, "search_columns"):
            continue
        url = f"{view.route_base}/list/"
        filters = view.datamodel.get_filters(view.search_columns)
        columns = {col: len(filters.get_search_filters().get(col, ()))
                   for col in view.search_columns}
        found.append((url, view.__class__.__name__, columns))
    return found


def _assert_answered(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.mimetype in ("text/html", "application/json") or response.status_code >= 400:
        body = (json.dumps(response.get_json(), ensure_ascii=False) if response.is_json
                else response.get_data(as_text=True))
        assert JAPANESE.search(body), f"{what}: no Japanese in the answer"


def _logged_in(app, username):
    browser = Browser(app)
    browser.login(username)
    return browser


@pytest.mark.parametrize("username", ["assoc-admin", "a-manager"])
def test_every_list_and_search_page_survives_hostile_queries(app, tenants, username):
    browser = _logged_in(app, username)
    names = query_names()
    walked = 0
    for rule in plain_get_rules(app, api=False):
        if browser.get(rule.rule).status_code != 200:
            continue  # not this user's page
        walked += 1
        nul = browser.get(rule.rule, query_string={name: "ab\x00cd" for name in names})
        _assert_answered(nul, f"NUL {rule.rule}")
        assert nul.status_code == 400, f"NUL {rule.rule}: {nul.status_code}"
        assert "使えない文字" in nul.get_data(as_text=True)
        for value in ("ab\\", "ab%_\\", "\\", "2026-13-99", "-1", "9" * 30):
            response = browser.get(rule.rule, query_string={name: value for name in names})
            _assert_answered(response, f"{value!r} {rule.rule}")
    assert walked >= 10


@pytest.mark.parametrize("username", ["assoc-admin", "a-manager"])
def test_fab_list_parameters_out_of_range(app, tenants, username):
    browser = _logged_in(app, username)
    walked = 0
    for url, name, columns in fab_list_views(app):
        if browser.get(url).status_code != 200:
            continue
        walked += 1
        hostile = [
            {f"psize_{name}": "abc"}, {f"psize_{name}": "-1"}, {f"psize_{name}": "0"},
            {f"psize_{name}": "100000000"}, {f"page_{name}": "-3"}, {f"page_{name}": "x"},
            {f"page_{name}": "9" * 30}, {f"_oc_{name}": "no_such_column", f"_od_{name}": "asc"},
            {f"_oc_{name}": "password", f"_od_{name}": "desc"},
            {f"_oc_{name}": "id", f"_od_{name}": "sideways"},
            {"_flt_9_no_such_column": "x"},
        ]
        for col, count in columns.items():
            for index in range(max(count, 1)):
                hostile.append({f"_flt_{index}_{col}": "ab\\"})
                hostile.append({f"_flt_{index}_{col}": "\\"})
        for args in hostile:
            _assert_answered(browser.get(url, query_string=args), f"{url} {args}")
        nul = browser.get(url, query_string={f"_flt_0_{next(iter(columns), 'x')}": "a\x00"})
        assert nul.status_code == 400 and "使えない文字" in nul.get_data(as_text=True)
    assert walked >= 3


def test_api_lists_survive_hostile_queries(app, tenants):
    _id, token = issue_token(app, "a-manager")
    api = ApiClient(app, token)
    names = query_names()
    walked = 0
    for rule in plain_get_rules(app, api=True):
        if api.get(rule.rule).status_code != 200:
            continue
        walked += 1
        nul = api.get(rule.rule, query_string={name: "ab\x00" for name in names})
        assert nul.status_code == 400 and "使えない文字" in nul.get_json()["error"]["message"]
        for value in ("ab\\", "\\", "-1", "9" * 30, "abc"):
            response = api.get(rule.rule, query_string={name: value for name in names})
            _assert_answered(response, f"{rule.rule} {value!r}")
    assert walked >= 1
