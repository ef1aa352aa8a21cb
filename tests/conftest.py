"""Fixtures: one app per run on the database in DATABASE_URL (SQLite by default), built by
the migrations; every test that uses the app starts from empty tenant tables and a clock set
inside operating hours."""
import os
import re
import socket
from datetime import datetime

import pytest

from app.plugins import modules_of
from app.timeutil import JST

OPEN_MOMENT = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
PERMANENT_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
                    "ab_permission_view_role", "alembic_version"}
PASSWORD = "Test-Pass-2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_database(db):
    from flask_appbuilder import Model
    from sqlalchemy import inspect, text

    engine = db.engine
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        engine.dispose()
        if path and os.path.exists(path):
            os.remove(path)
        return
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    assert not inspect(engine).get_table_names()
    assert Model  # metadata registered


@pytest.fixture(scope="session")
def app():
    os.environ.setdefault("KEIZOKU_CONFIG", "config.TestConfig")
    from flask_migrate import upgrade

    from app import create_app
    from app.commands.roles import sync_roles
    from app.extensions import db

    from config import TestConfig

    class RunConfig(TestConfig):
        # One SQLite file per test process, so parallel runs never share a database.
        if not os.environ.get("DATABASE_URL"):
            SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                "instance", f"test-{os.getpid()}.db")

    flask_app = create_app(RunConfig)
    with flask_app.app_context():
        _reset_database(db)
        upgrade(revision="heads")
        sync_roles()
    flask_app.config["CLOCK"] = lambda: OPEN_MOMENT
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            _reset_database(db)


def wipe_tenant_tables(flask_app):
    """Every table but the permissions back to empty, and the shipped prices and fees seeded."""
    from flask_appbuilder import Model

    from app.extensions import db
    from app.services.fees import seed_shipped_data

    with flask_app.app_context():
        db.session.rollback()
        with db.engine.begin() as conn:
            for table in reversed(Model.metadata.sorted_tables):
                if table.name not in PERMANENT_TABLES:
                    conn.execute(table.delete())
        seed_shipped_data(db.session)  # the prices and fees migration 0012 seeds
        db.session.commit()
        db.session.remove()


@pytest.fixture(autouse=True)
def _clean_app_state(request):
    """Each test starts on empty tables, except the tests of a class marked ``keeps_data``:
    they share what the class's fixture loaded, and that fixture empties the tables after the
    last of them."""
    if "app" not in request.fixturenames:
        yield
        return
    flask_app = request.getfixturevalue("app")
    flask_app.config["CLOCK"] = lambda: OPEN_MOMENT
    flask_app.appbuilder.sm.limiter.reset()
    yield
    if request.node.get_closest_marker("keeps_data") is None:
        wipe_tenant_tables(flask_app)


@pytest.fixture
def app_config(app):
    """``app.config`` for one test to change: every key is as before afterwards."""
    saved = dict(app.config)
    yield app.config
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def db_session(app):
    from app.extensions import db

    with app.app_context():
        yield db.session


class Tenants:
    """Two businesses: A (three sites) and B (one site), with users for each role.

    With ``second_site=True`` business A's second site gets its own rows too (every seed module
    runs again for it, key ``SECOND_SITE_KEY``), plus an inspector, a chief mechanic and a clerk
    of that site only, and ``a-site0`` holds every shop role limited to the first site: what a
    site-limited user must never reach. ``ids["a2"]`` has that site's ids, ``markers[key]`` the
    texts that identify each key's seeded rows on a page (seed modules may return ``_markers``).
    """

    def __init__(self, app, second_site=False):
        from app.extensions import db
        from app.models.tenancy import Business, ChiefMechanic, Inspector, Site
        from app.security.models import KeizokuUser
        from app.services.accounts import _hash

        self.ids = {}
        self.markers = {}
        with app.app_context():
            sm = app.appbuilder.sm
            password_hash = _hash(PASSWORD)

            def user(username, roles, business=None, sites=()):
                roles = [roles] if isinstance(roles, str) else roles
                u = KeizokuUser(username=username, first_name="太郎", last_name="試験",
                                email=f"{username}@example.jp", active=True,
                                business=business, sites=list(sites),
                                roles=[sm.find_role(r) for r in roles], must_change_password=False)
                u.password = password_hash
                db.session.add(u)
                return u

            def seed_site(key, business, site, sites, users, inspector_code):
                inspector = Inspector(business_id=business.id, site=site, name="検査 一郎",
                                      inspector_code=inspector_code)
                chief = ChiefMechanic(business_id=business.id, site=site, name="主任 次郎")
                db.session.add_all([inspector, chief])
                db.session.flush()
                ids = self.ids[key] = {
                    "Business": business.id, "Site": site.id,
                    "sites": [s.id for s in sites], "Inspector": inspector.id,
                    "ChiefMechanic": chief.id, "KeizokuUser": users["manager"].id,
                    "users": {k: u.id for k, u in users.items()},
                }
                markers = self.markers[key] = []
                ctx = {"business_id": business.id, "site_id": site.id,
                       "site_ids": ids["sites"], "user_ids": ids["users"]}
                for module in modules_of("tests.tenant_seeds"):
                    seeded = dict(module.seed(db.session, key, ctx) or {})
                    markers.extend(seeded.pop("_markers", ()))
                    ids.update(seeded)
                    db.session.flush()

            for key, n_sites in (("a", 3), ("b", 1)):
                business = Business(name=f"事業者{key.upper()}", name_kana="ジギョウシャ",
                                    address="東京都", phone="03-0000-0000")
                sites = [Site(business=business, name=f"{key}工場{i}", address="東京都",
                              certification_number=f"認{i}", designation_number=f"{i}0")
                         for i in range(n_sites)]
                db.session.add_all([business, *sites])
                db.session.flush()
                users = {
                    "manager": user(f"{key}-manager", "site_manager", business, sites),
                    "inspector": user(f"{key}-inspector", "inspector", business, sites[:1]),
                    "clerk": user(f"{key}-clerk", "clerk", business, sites[:1]),
                }
                db.session.flush()
                seed_site(key, business, sites[0], sites, users, f"0000000{len(key)}")
                if key == "a" and second_site:
                    user("a-site0", list(SHOP_ROLES), business, sites[:1])
                    # The second site's own user: the manager's id stands for "a user of the
                    # business" in seeds, this clerk for a user the first site does not share.
                    users2 = dict(users, manager=user("a-site1", "clerk", business, sites[1:2]))
                    db.session.flush()
                    seed_site(SECOND_SITE_KEY, business, sites[1], sites, users2, "00000009")
            user("assoc-admin", "association_admin")
            user("assoc-staff", "association_staff")
            db.session.commit()


SHOP_ROLES = ("site_manager", "inspector", "clerk")
SECOND_SITE_KEY = "a2"


@pytest.fixture
def tenants(app):
    return Tenants(app)


@pytest.fixture
def tenants_two_sites(app):
    """``tenants`` plus rows on business A's second site and the first site's user ``a-site0``."""
    return Tenants(app, second_site=True)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page carries no CSRF token"
    return m.group(1) or m.group(2)


class Browser:
    """The Flask test client with a login helper and CSRF-aware POSTs."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._token = None

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def token(self):
        if self._token is None:
            page = self.client.get("/login/", follow_redirects=True).get_data(as_text=True)
            self._token = csrf_from(page)
        return self._token

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)

    def login(self, username, password=PASSWORD):
        self._token = None
        response = self.post("/login/", {"username": username, "password": password})
        self._token = None
        return response

    def logout(self):
        self._token = None  # the login started a fresh session, with its own CSRF token
        response = self.post("/logout/")
        assert response.status_code == 302, "logout refused"
        self._token = None
        return response


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    previous = (app.config["MAIL_SERVER"], app.config["MAIL_PORT"])
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
    try:
        yield received
    finally:
        controller.stop()
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = previous


def pytest_sessionstart(session):
    """Compile the catalogs so a bare `pytest` sees the same Japanese UI as `make test`."""
    from babel.messages.frontend import CommandLineInterface

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    CommandLineInterface().run(
        ["pybabel", "-q", "compile", "-f", "-d", os.path.join(here, "translations")]
    )
