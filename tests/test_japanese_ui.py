"""Every page a shop user and an association user can reach renders in Japanese.

Pages are found from ``app.url_map`` (GET rules; id rules filled with ids the user owns),
so new pages are covered automatically. Text and the attributes people read (title,
placeholder, button values, alt, and the texts scripts show: FAB's confirmation dialogs take
``data-text``, tooltips ``data-original-title``) are checked for leftover English words,
hidden ones included: the dialogs every page carries are hidden until they open. Identifiers
in ``<code>`` (environment names, commands) and URLs are data, not words.
"""
import re
from html.parser import HTMLParser

import pytest

# Words allowed in the Japanese UI: names of systems, file formats and our brand.
ALLOWED = {"Keizoku", "AIRAS", "AINAS", "OSS", "PDF", "CSV", "QR", "ID", "URL", "UTC",
           "MLIT", "A3", "A4", "registered", "hybrid_only", "Demo", "Pass",
           # units and names people in the trade read as they are
           "mm", "km", "kPa", "ppm", "cd", "dB", "CO", "HC", "JIS", "JSON", "API",
           "Microsoft", "Edge", "Windows", "Chromium",
           # OBD検査 and the 特定DTC照会アプリ are the official names (shop-workflow.md §4)
           "OBD", "DTC"}
SKIP = {"static", "appbuilder.static", "AuthDBView.logout", "KeizokuAuthDBView.logout",
        "LocaleView.index", "MenuApi.get_menu_data", "OpenApi.get", "SwaggerView.show"}
WORD = re.compile(r"[A-Za-z][A-Za-z]+")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks = []
        self._skip = 0

    SKIPPED = ("script", "style", "noscript", "code")

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skip += 1
        attrs = dict(attrs)
        for name in ("title", "placeholder", "alt", "aria-label", "data-text",
                     "data-original-title", "data-placeholder"):
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])
        if tag == "option" and attrs.get("value") == "__None":
            pass

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def english_words(html, data_values):
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text)  # e-mail addresses are data
    text = re.sub(r"https?://[^\s<>\"'）)]+", " ", text)  # so are URLs
    for value in sorted(data_values, key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED and w != "__None"})


def reachable_pages(app, own_ids):
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint.endswith(".delete") or rule.endpoint.endswith(".action"):
            continue
        url = rule.rule
        args = set(rule.arguments)
        if args - {"pk"}:
            continue
        if "pk" in args:
            model = rule.endpoint.split(".")[0]
            pk = own_ids.get(model)
            if pk is None:
                continue
            url = re.sub(r"<(?:\w+:)?pk>", str(pk), url)
        urls.append(url)
    return sorted(set(urls))


DATA_VALUES = {"a-manager", "a-clerk", "a-inspector", "b-manager", "b-clerk", "b-inspector",
               "assoc-admin", "assoc-staff"}


@pytest.mark.parametrize("username", ["a-manager", "assoc-admin"])
def test_pages_have_no_english(app, tenants, browser, username):
    own = tenants.ids["a"]
    own_ids = {
        "SiteView": own["Site"], "InspectorView": own["Inspector"],
        "ChiefMechanicView": own["ChiefMechanic"], "SiteUserView": own["users"]["clerk"],
        "BusinessAdminView": own["Business"], "SiteAdminView": own["Site"],
        "AccountAdminView": own["users"]["clerk"],
    }
    browser.login(username)
    pages = reachable_pages(app, own_ids)
    checked, leftovers = 0, {}
    for url in pages:
        response = browser.get(url)
        if response.status_code in (403, 404, 405) or response.status_code >= 300 and response.status_code < 400:
            continue
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if "html" not in response.content_type:
            continue
        checked += 1
        words = english_words(response.get_data(as_text=True), DATA_VALUES)
        if words:
            leftovers[url] = words
    assert checked >= 8
    assert leftovers == {}, "\n".join(f"{u}: {w}" for u, w in leftovers.items())


def test_login_page_is_japanese(app):
    response = app.test_client().get("/login/")
    assert english_words(response.get_data(as_text=True), set()) == []
    assert "ログイン" in response.get_data(as_text=True)


def test_error_pages_are_japanese(app, tenants, browser):
    browser.login("a-manager")
    not_found = browser.get(f"/shop/inspectors/show/{tenants.ids['b']['Inspector']}")
    assert not_found.status_code == 404
    forbidden = browser.get("/association/businesses/list/")
    assert forbidden.status_code == 403
    no_token = browser.client.post(f"/shop/inspectors/delete/{tenants.ids['a']['Inspector']}")
    assert no_token.status_code == 400
    for response in (not_found, forbidden, no_token):
        html = response.get_data(as_text=True)
        assert english_words(html, set()) == [], html
    assert "ページが見つかりません" in not_found.get_data(as_text=True)
    assert "有効期限が切れました" in no_token.get_data(as_text=True)


def test_hidden_text_is_read_too():
    hidden = ('<div class="modal fade" style="display: none" hidden><button>Cancel</button>'
              '<a class="confirm" data-text="Delete it?" href="#">削除</a></div>'
              '<code>DEBIT_BANK_CODE</code> https://keizoku.example.jp/login/')
    assert english_words(hidden, set()) == ["Cancel", "Delete", "it"]


def test_fabs_dialogs_on_every_page_speak_japanese(app, tenants, browser):
    browser.login("assoc-admin")
    html = browser.get("/association/businesses/list/").get_data(as_text=True)
    start = html.rindex("<div", 0, html.index('id="modal-confirm"'))
    end = html.index('class="modal-footer"', html.index('id="modal-alert"')) + 200
    dialogs = html[start:end]
    assert "操作の確認" in dialogs and "キャンセル" in dialogs and "実行する" in dialogs
    assert "閉じる" in dialogs and "OK" not in dialogs and "Cancel" not in dialogs
    assert english_words(dialogs, set()) == []
    assert "js/fab_ja.js" in html  # FAB's own script messages ("No row selected")
    script = app.test_client().get("/static/js/fab_ja.js").get_data(as_text=True)
    assert '"No row selected": "対象の行を選んでから操作してください。"' in script
