"""Real-browser fixtures: the app on a real HTTP server in a thread, Debian's Chromium driven
by Playwright (launched with the system executable; no browser download), the project's
IPAex fonts made visible to Chromium through fontconfig, screenshots into docs/screenshots/."""
import os
import shutil
import tempfile
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(ROOT, "docs", "screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=ja"]
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="session")
def fontconfig():
    """A fontconfig file that adds app/reports/fonts, so Japanese renders without system fonts."""
    directory = tempfile.mkdtemp(prefix="keizoku-fonts-")
    path = os.path.join(directory, "fonts.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{os.path.join(ROOT, "app", "reports", "fonts")}</dir>
  <cachedir>{directory}</cachedir>
  <alias><family>sans-serif</family><prefer><family>IPAexGothic</family></prefer></alias>
</fontconfig>""")
    return path


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch_chromium(playwright, fontconfig, extra_args=()):
    """Debian's Chromium in Japanese with the project's fonts; ``extra_args`` for a browser of
    its own (a fake camera, for one)."""
    assert os.path.exists(CHROMIUM), "Chromium がありません: apt-get install chromium"
    env = dict(os.environ, FONTCONFIG_FILE=fontconfig, LANGUAGE="ja", LANG="ja_JP.UTF-8")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args),
                                      env=env)


@pytest.fixture(scope="session")
def chromium(playwright_driver, fontconfig):
    browser = launch_chromium(playwright_driver, fontconfig)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on a free localhost port."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class JsErrors(list):
    """JavaScript errors of a page: uncaught exceptions, console errors and failed scripts,
    styles or images. A refused page (403/404) is a test's business, not a JavaScript error."""

    ASSETS = ("script", "stylesheet", "image", "font")

    def watch(self, page):
        page.on("pageerror", lambda exc: self.append(f"pageerror: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message):
        # Chromium reports every 4xx/5xx response as a console error; _response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.append(f"console.error: {message.text}")

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type in self.ASSETS:
            self.append(f"{response.request.resource_type} {response.status}: {response.url}")

    def _failed(self, request):
        # A document request that turns into a download ends as "aborted": that is no error.
        if request.resource_type in self.ASSETS:
            self.append(f"requestfailed: {request.url} {request.failure}")


def new_page(chromium, live_server, viewport=TABLET, has_touch=True):
    """A fresh context (own cookies) and page; its JavaScript errors land in ``page.js_errors``."""
    context = chromium.new_context(viewport=viewport, locale="ja-JP", has_touch=has_touch,
                                   accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server
    page.js_errors = JsErrors()
    page.js_errors.watch(page)
    return page


@pytest.fixture
def page(chromium, live_server):
    page = new_page(chromium, live_server)
    yield page
    errors = list(page.js_errors)
    page.context.close()
    assert errors == [], "JavaScript errors in the browser"


def assert_no_js_errors(page):
    assert list(page.js_errors) == [], "JavaScript errors in the browser"


def screenshots_asked():
    """Screenshots are written only when asked (KEIZOKU_SCREENSHOTS=1), so `make test` leaves
    `git status` clean; `make screenshots` asks."""
    return os.environ.get("KEIZOKU_SCREENSHOTS") == "1"


def screenshot(page, name, full_page=True):
    """docs/screenshots/<name>.png when asked: the whole page, or with full_page=False what the
    screen shows. The page is rendered either way, so a page that cannot be drawn still fails."""
    image = page.screenshot(full_page=full_page)
    assert image.startswith(b"\x89PNG"), f"{name}: Chromium returned no PNG"
    if screenshots_asked():
        os.makedirs(SCREENSHOTS, exist_ok=True)
        with open(os.path.join(SCREENSHOTS, f"{name}.png"), "wb") as out:
            out.write(image)


def login(page, username, password):
    page.goto(page.base_url + "/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
