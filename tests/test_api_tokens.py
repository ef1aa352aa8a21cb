"""API tokens and the token API's rules: stored as sha256 only, shown once, revoked, expired and
deactivated tokens refused (401), the same permissions, operating hours (503) and tenancy as the
screens, a rate limit per token, every call audited, cookie sessions kept out, hostile input
answered with a Japanese 4xx, and the OpenAPI description of every endpoint."""
import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.integration import ApiToken
from tests.api_helpers import ApiClient, issue_token
from tests.conftest import OPEN_MOMENT
from tests.test_certificate_helpers import (
    inspection_form,
    insurance_form,
    ready_site,
    vehicle_form,
    with_consent,
)

VECTORS = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}
SCANS = VECTORS["registered_electronic_card_per_symbol"]["scans"]


def _db(app, fn):
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


def test_cli_prints_the_token_alone_last_and_stores_only_its_hash(app, tenants):
    result = app.test_cli_runner().invoke(args=["api-token", "create", "a-inspector", "--label", "整備管理"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kz_") and len(token) >= 40
    row = _db(app, lambda s: s.scalar(select(ApiToken).where(ApiToken.label == "整備管理")))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps({c.name: str(getattr(row, c.name)) for c in ApiToken.__table__.columns})
    assert row.user_id == tenants.ids["a"]["users"]["inspector"] and row.site_id == tenants.ids["a"]["Site"]
    assert ApiClient(app, token).get("/api/v1/certificates").status_code == 200
    unknown = app.test_cli_runner().invoke(args=["api-token", "create", "nobody"])
    assert unknown.exit_code != 0 and "見つかりません" in unknown.output
    staff = app.test_cli_runner().invoke(args=["api-token", "create", "assoc-staff"])
    assert staff.exit_code != 0 and "事業場" in staff.output


def test_refused_tokens_are_401_with_a_japanese_reason(app, tenants):
    token_id, token = issue_token(app, "a-clerk", days=30)
    assert ApiClient(app, token).get("/api/v1/certificates").status_code == 200
    for presented, code in ((None, "missing"), ("kz_not-a-token", "invalid"), (token + "x", "invalid")):
        response = ApiClient(app, presented).get("/api/v1/certificates")
        assert response.status_code == 401 and response.get_json()["error"]["code"] == code
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = app.test_client().get("/api/v1/certificates", headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 401
    app.config["CLOCK"] = lambda: OPEN_MOMENT + dt.timedelta(days=31)
    expired = ApiClient(app, token).get("/api/v1/certificates")
    assert expired.status_code == 401 and expired.get_json()["error"]["code"] == "expired"
    assert "有効期限" in expired.get_json()["error"]["message"]
    app.config["CLOCK"] = lambda: OPEN_MOMENT

    from app.security.models import KeizokuUser

    def deactivate(session):
        session.get(KeizokuUser, tenants.ids["a"]["users"]["clerk"]).active = False
        session.commit()
    _db(app, deactivate)
    inactive = ApiClient(app, token).get("/api/v1/certificates")
    assert inactive.status_code == 401 and inactive.get_json()["error"]["code"] == "inactive"
    refusals = _db(app, lambda s: s.scalars(select(AuditLog.detail).where(
        AuditLog.action == "api_auth_refused", AuditLog.entity_id == str(token_id))).all())
    assert any(d.startswith("expired") for d in refusals) and any(d.startswith("inactive") for d in refusals)


def test_a_user_moved_off_the_site_loses_the_token(app, tenants):
    _, token = issue_token(app, "a-manager", site_id=tenants.ids["a"]["sites"][1])
    from app.models.tenancy import Site
    from app.security.models import KeizokuUser

    def move(session):
        user = session.get(KeizokuUser, tenants.ids["a"]["users"]["manager"])
        user.sites = [s for s in user.sites if s.id != tenants.ids["a"]["sites"][1]]
        session.commit()
    _db(app, move)
    assert ApiClient(app, token).get("/api/v1/certificates").status_code == 401
    assert Site  # the site itself is untouched


def test_the_screen_issues_shows_once_and_revokes(app, tenants, browser):
    site_id = tenants.ids["a"]["Site"]
    browser.login("a-manager")
    page = browser.get("/shop/api-tokens/")
    assert page.status_code == 200 and "新しいトークンを発行する" in page.get_data(as_text=True)
    for days in (30, 365):  # each choice saves
        issued = browser.post("/shop/api-tokens/issue", {
            "site_id": str(site_id), "user_id": str(tenants.ids["a"]["users"]["inspector"]),
            "label": f"整備管理システム{days}", "days": str(days)})
        text = issued.get_data(as_text=True)
        assert issued.status_code == 200 and "今だけ表示します" in text
        token = text.split("<code>")[1].split("</code>")[0]
        row = _db(app, lambda s: s.scalar(select(ApiToken).where(ApiToken.label == f"整備管理システム{days}")))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (row.expires_at - OPEN_MOMENT.astimezone(dt.timezone.utc).replace(tzinfo=None)).days == days
        assert row.user_id == tenants.ids["a"]["users"]["inspector"] and row.created_by_id == tenants.ids["a"]["users"]["manager"]
    listing = browser.get("/shop/api-tokens/").get_data(as_text=True)
    assert token not in listing and row.token_prefix in listing and "未使用" in listing
    assert ApiClient(app, token).get("/api/v1/certificates").status_code == 200
    assert "未使用" not in browser.get("/shop/api-tokens/").get_data(as_text=True).split(row.label)[1][:400]
    bad = browser.post("/shop/api-tokens/issue", {"site_id": str(site_id), "user_id": str(
        tenants.ids["a"]["users"]["inspector"]), "label": "", "days": "30"})
    assert bad.status_code == 422 and "名前" in bad.get_data(as_text=True)
    # A user of another business is not a choice: 404, nothing issued.
    foreign = browser.post("/shop/api-tokens/issue", {"site_id": str(site_id), "user_id": str(
        tenants.ids["b"]["users"]["inspector"]), "label": "侵入", "days": "30"})
    assert foreign.status_code == 404
    assert browser.post(f"/shop/api-tokens/{row.id}/revoke").status_code == 302
    revoked = ApiClient(app, token).get("/api/v1/certificates")
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "revoked"
    assert "失効" in browser.get("/shop/api-tokens/").get_data(as_text=True)
    clerk = type(browser)(app)
    clerk.login("a-clerk")
    assert clerk.get("/shop/api-tokens/").status_code == 403


def test_operating_hours_rate_limit_and_audit(app, tenants):
    token_id, token = issue_token(app, "a-clerk")
    _, other = issue_token(app, "a-manager")
    api = ApiClient(app, token)
    app.config["CLOCK"] = lambda: OPEN_MOMENT.replace(hour=0, minute=30)
    closed = api.get("/api/v1/certificates")
    assert closed.status_code == 503 and int(closed.headers["Retry-After"]) == 30 * 60
    assert closed.get_json()["error"]["code"] == "maintenance" and "メンテナンス" in closed.get_json()["error"]["message"]
    app.config["CLOCK"] = lambda: OPEN_MOMENT
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        app.appbuilder.sm.limiter.reset()
        assert [api.get("/api/v1/certificates").status_code for _ in range(3)] == [200, 200, 200]
        limited = api.get("/api/v1/certificates")
        assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
        assert limited.headers["Retry-After"]
        assert ApiClient(app, other).get("/api/v1/certificates").status_code == 200  # per token
        assert api.get("/api/v1/openapi.json").status_code == 200  # the description is not limited
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    calls = _db(app, lambda s: s.scalars(select(AuditLog).where(
        AuditLog.action == "api_call", AuditLog.entity_id == str(token_id))).all())
    assert len(calls) >= 5
    assert calls[0].actor_username == "a-clerk" and calls[0].business_id == tenants.ids["a"]["Business"]
    assert "GET /api/v1/certificates -> 503" in [c.detail for c in calls]
    assert _db(app, lambda s: s.get(ApiToken, token_id).last_used_at) is not None


def test_cookie_sessions_do_not_reach_the_api(app, tenants, browser):
    browser.login("a-manager")
    response = browser.client.post("/api/v1/certificate-drafts", json={"site_id": tenants.ids["a"]["Site"],
                                                                       "scans": SCANS})
    assert response.status_code == 401  # no CSRF token and no bearer token: refused, nothing created
    assert browser.get("/api/v1/certificates").status_code == 401
    from app.models.certificate import CertificateDraft

    assert _db(app, lambda s: s.scalar(select(CertificateDraft).where(CertificateDraft.step == "vehicle"))) is None


def test_permissions_are_the_screens(app, tenants):
    ids = tenants.ids["a"]
    _db(app, lambda s: (ready_site(s, ids["Site"]), s.commit()))
    _, clerk_token = issue_token(app, "a-clerk")
    clerk = ApiClient(app, clerk_token)
    created = clerk.post("/api/v1/certificate-drafts", {"site_id": ids["Site"], "scans": SCANS})
    assert created.status_code == 201
    body = created.get_json()
    assert body["vehicle"]["chassis_number"] == "JTESTVIN000000001" and body["vehicle"]["qr3_version"] == "2"
    draft = body["id"]
    assert clerk.post(f"/api/v1/certificate-drafts/{draft}/vehicle",
                      vehicle_form("JTESTVIN000000001")).status_code == 200
    inspection = inspection_form(ids["Inspector"])
    inspection.update(odometer_km=45678, validity_years=2)  # JSON numbers
    with_consent(app, draft, "JTESTVIN000000001")  # the 承諾書 is found by 車台番号
    saved = clerk.post(f"/api/v1/certificate-drafts/{draft}/inspection", inspection)
    assert saved.status_code == 200 and saved.get_json()["inspection"]["consent"] is True
    assert clerk.post(f"/api/v1/certificate-drafts/{draft}/insurance", insurance_form()).status_code == 200
    assert clerk.post(f"/api/v1/certificate-drafts/{draft}/checks",
                      {"weight_tax_yen": 24600, "inspection_fee_yen": 1600}).status_code == 200
    keys = [i["key"] for i in clerk.get(f"/api/v1/certificate-drafts/{draft}/confirm").get_json()["items"]]
    refused = clerk.post(f"/api/v1/certificate-drafts/{draft}/confirm", {"confirmed": keys})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"  # clerks cannot certify
    _, inspector_token = issue_token(app, "a-inspector")
    partial = ApiClient(app, inspector_token).post(f"/api/v1/certificate-drafts/{draft}/confirm",
                                                  {"confirmed": keys[:1]})
    assert partial.status_code == 422
    assert "訂正できない項目の確認が済んでいません" in partial.get_json()["error"]["message"]


def test_step_errors_are_the_screens_japanese_messages(app, tenants):
    ids = tenants.ids["a"]
    _, token = issue_token(app, "a-inspector")
    api = ApiClient(app, token)
    unreadable = api.post("/api/v1/certificate-drafts", {"site_id": ids["Site"], "scans": SCANS[:2]})
    assert unreadable.status_code == 422
    error = unreadable.get_json()["error"]
    assert error["code"] in ("MISSING_CODE", "TRUNCATED_CODE", "INVALID_CODE") and "。" in error["message"]
    draft = api.post("/api/v1/certificate-drafts", {"site_id": ids["Site"], "scans": SCANS}).get_json()["id"]
    wrong = api.post(f"/api/v1/certificate-drafts/{draft}/vehicle", {
        **vehicle_form("JTESTVIN000000001"), "expiry_date": "2026-02-30", "owner_name": ""})
    assert wrong.status_code == 422
    messages = wrong.get_json()["error"]["messages"]
    assert any("日付として読めません" in m for m in messages) and "使用者の氏名または名称を入力してください。" in messages
    early = api.post(f"/api/v1/certificate-drafts/{draft}/insurance", insurance_form())
    assert early.status_code == 422 and "先に検査の内容を入力してください" in early.get_json()["error"]["message"]
    nested = api.post(f"/api/v1/certificate-drafts/{draft}/vehicle", {"owner_name": {"a": 1}})
    assert nested.status_code == 400 and nested.get_json()["error"]["code"] == "invalid_field"


def test_a_cert_file_alone_starts_a_draft(app, tenants):
    samples = json.load(open("tests/data/vehicle-cert-file-samples.json", encoding="utf-8"))["cases"]
    case = samples[0]
    _, token = issue_token(app, "a-inspector")
    response = ApiClient(app, token).post("/api/v1/certificate-drafts", {
        "site_id": tenants.ids["a"]["Site"], "cert_file": case["file"]})
    assert response.status_code == 201, response.get_json()
    vehicle = response.get_json()["vehicle"]
    assert vehicle["chassis_number"] == case["expected"]["chassis_number"]
    assert vehicle["expiry_date"] == case["expected"]["expiry_date"] and vehicle["source"] == "cert_file"
    broken = ApiClient(app, token).post("/api/v1/certificate-drafts", {
        "site_id": tenants.ids["a"]["Site"], "cert_file": "{not json"})
    assert broken.status_code == 422


@pytest.mark.parametrize("data, content_type, status, code", [
    (b"[" * 5000 + b"]" * 5000, "application/json", 400, "invalid_json"),
    (b'{"site_id": 1, "scans": ["a\\u0000b"]}', "application/json", 400, "invalid_json"),
    (b'{"site_id": 1, "scans": ["a\x00b"]}', "application/json", 400, "invalid_json"),
    (b'{"site_id": 1, "scans": ["' + b"a" * (3 * 1024 * 1024) + b'"]}', "application/json", 413, "too_large"),
    (b"site_id=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 400, "invalid_json"),
    (b'{"site_id": "1"}', "application/json", 400, "invalid_field"),
    (b'{"site_id": true}', "application/json", 400, "invalid_field"),
    (b'{"site_id": 1, "scans": [1, 2]}', "application/json", 400, "invalid_field"),
])
def test_hostile_bodies_get_a_japanese_4xx(app, tenants, data, content_type, status, code):
    _, token = issue_token(app, "a-inspector")
    response = ApiClient(app, token).raw("POST", "/api/v1/certificate-drafts", data, content_type)
    assert response.status_code == status and response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and any("\u3040" <= ch <= "\u9fff" for ch in error["message"])


def test_paging_is_stable_and_bad_parameters_are_400(app, tenants):
    from app.models.certificate import Certificate

    ids = tenants.ids["a"]
    seed = _db(app, lambda s: s.get(Certificate, ids["Certificate"]))

    def add(session):
        base = OPEN_MOMENT.astimezone(dt.timezone.utc).replace(tzinfo=None)
        for n in range(5):
            session.add(Certificate(
                business_id=ids["Business"], site_id=ids["Site"], vehicle_id=seed.vehicle_id,
                inspector_id=ids["Inspector"], status="linked", application_type="hybrid",
                vehicle_kind="registered", chassis_number=f"PAGE-{n}", inspection_date=dt.date(2026, 11, 20),
                issue_date=dt.date(2026, 11, 20), odometer_km=1, validity_years=2, details={}, payload={},
                idempotency_key=f"page-{n}", attempts=0, updated_at=base + dt.timedelta(minutes=n % 2)))
        session.commit()
    _db(app, add)
    _, token = issue_token(app, "a-manager")
    api = ApiClient(app, token)
    since = (OPEN_MOMENT - dt.timedelta(minutes=1)).isoformat()
    seen, cursor = [], None
    while True:
        params = {"updated_since": since, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/certificates", query_string=params).get_json()
        seen += [item["chassis_number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Oldest change first, ties by id (the seeded one changed at the same moment as PAGE-0, with a
    # lower id), each exactly once across the pages.
    assert seen == ["100-0000001", "PAGE-0", "PAGE-2", "PAGE-4", "PAGE-1", "PAGE-3"]
    later = api.get("/api/v1/certificates", query_string={
        "updated_since": (OPEN_MOMENT + dt.timedelta(seconds=30)).isoformat()}).get_json()["items"]
    assert [c["chassis_number"] for c in later] == ["PAGE-1", "PAGE-3"]
    everything = api.get("/api/v1/certificates").get_json()["items"]
    assert "200-0000001" not in [c["chassis_number"] for c in everything]  # business B's seed
    for params in ({"limit": "0"}, {"limit": "abc"}, {"limit": "1000"}, {"limit": "-1"},
                   {"cursor": "%%%"}, {"cursor": "bm90IGpzb24"}, {"updated_since": "yesterday"},
                   {"updated_since": "2026-13-01"}):
        response = api.get("/api/v1/certificates", query_string=params)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_parameter"
    assert api.get("/api/v1/certificates", query_string={"site_id": tenants.ids["b"]["Site"]}).status_code == 404
    assert api.get("/api/v1/certificates", query_string={"site_id": "x"}).status_code == 404
    assert api.get("/api/v1/no-such-thing").get_json()["error"]["code"] == "not_found"
    assert api.raw("DELETE", "/api/v1/certificates", b"").get_json()["error"]["code"] == "method_not_allowed"


def test_openapi_describes_every_endpoint_in_japanese_and_english(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.") and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api_v1."):
            path = rule.rule.replace("<int:pk>", "{id}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in described, f"{method} {rule.rule} is not described"
    for ops in spec["paths"].values():
        for operation in ops.values():
            text = operation["description"]
            assert any("\u3040" <= ch <= "\u9fff" for ch in text) and any("a" <= ch <= "z" for ch in text)
