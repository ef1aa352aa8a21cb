"""The review's bad inputs, each answered below 500 in Japanese (issue 14.4, 14.5, 14.7):
deeply nested JSON, NUL bytes, a 20 MB POST, an oversized tester export; and the headers every
answer carries, the public form's throttle, one charset in CSV content types."""
import io

from tests.api_helpers import ApiClient, issue_token
from tests.conftest import Browser

DEEP = b'{"reads": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
TWENTY_MB = 20 * 1024 * 1024


def _logged_in(app, username):
    browser = Browser(app)
    browser.login(username)
    return browser


def _message(response):
    return response.get_json()["error"]["message"]


def test_nul_byte_in_the_association_certificate_search(app, tenants):
    admin = _logged_in(app, "assoc-admin")
    for args in ({"chassis": "AB\x00C"}, {"plate": "品川\x00"}, {"status": "failed\x00"}):
        response = admin.get("/association/certificates/", query_string=args)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, args
        assert "使えない文字が含まれています" in page and "入力し直して" in page
    search = admin.get("/association/search/", query_string={"chassis": "\x00\x00\x00"})
    assert search.status_code == 400 and "使えない文字" in search.get_data(as_text=True)


def test_nul_byte_in_a_form_field(app, tenants):
    manager = _logged_in(app, "a-manager")
    iid = tenants.ids["a"]["Inspector"]
    response = manager.post(f"/shop/inspectors/edit/{iid}", {"name": "検査\x00一郎"})
    assert response.status_code == 400 and "使えない文字" in response.get_data(as_text=True)
    path = Browser(app).get("/guide/faq/a%00b")
    assert path.status_code == 400 and "使えない文字" in path.get_data(as_text=True)


def test_deep_json_to_the_wizard_parse_endpoint(app, tenants):
    clerk = _logged_in(app, "a-clerk")
    response = clerk.client.post("/certificates/wizard/parse", data=DEEP,
                                 content_type="application/json",
                                 headers={"X-CSRFToken": clerk.token(), "Accept": "application/json"})
    assert response.status_code == 400
    assert "入れ子が深すぎます" in _message(response)
    nul = clerk.client.post("/certificates/wizard/parse", data=b'{"reads": ["a\\u0000b"]}',
                            content_type="application/json", headers={"X-CSRFToken": clerk.token()})
    assert nul.status_code == 400 and "使えない文字" in _message(nul)
    # A plain bad shape still gets the endpoint's own answer.
    junk = clerk.client.post("/certificates/wizard/parse", data=b"{not json",
                             content_type="application/json", headers={"X-CSRFToken": clerk.token()})
    assert junk.status_code == 400 and "読み取りデータの形式が正しくありません" in _message(junk)


def test_deep_json_to_the_record_result_endpoints(app, tenants):
    inspector = _logged_in(app, "a-inspector")
    rid = tenants.ids["a"]["Record"]
    for action in ("result", "device-good"):
        response = inspector.client.post(f"/records/{rid}/{action}", data=DEEP,
                                         content_type="application/json",
                                         headers={"X-CSRFToken": inspector.token()})
        assert response.status_code == 400, action
        assert "入れ子が深すぎます" in _message(response)


def test_deep_json_in_the_vehicle_certificate_file(app, tenants):
    clerk = _logged_in(app, "a-clerk")
    draft = tenants.ids["a"]["CertificateDraft"]
    response = clerk.client.post(f"/certificates/wizard/{draft}/scan", data={
        "csrf_token": clerk.token(), "reads": "",
        "cert_file": (io.BytesIO(b"[" * 100_000 + b"]" * 100_000), "shaken.json")},
        content_type="multipart/form-data")
    assert response.status_code < 500
    page = response.get_data(as_text=True) if response.status_code == 200 else \
        clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "車検証情報ファイル(JSON)として読み込めませんでした" in page.replace("（", "(").replace("）", ")")


def test_deep_json_through_the_token_api(app, tenants):
    _id, token = issue_token(app, "a-manager")
    api = ApiClient(app, token)
    response = api.raw("POST", "/api/v1/certificates", DEEP)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert "入れ子が深すぎます" in _message(response)


def test_a_twenty_megabyte_post_is_refused_with_a_japanese_413(app, tenants):
    clerk = _logged_in(app, "a-clerk")
    draft = tenants.ids["a"]["CertificateDraft"]
    big = b"x" * TWENTY_MB
    upload = clerk.client.post(f"/certificates/wizard/{draft}/scan", data={
        "csrf_token": clerk.token(), "cert_file": (io.BytesIO(big), "big.json")},
        content_type="multipart/form-data")
    page = upload.get_data(as_text=True)
    assert upload.status_code == 413
    assert "送信内容が大きすぎます" in page and "10MBまで" in page
    form = clerk.client.post("/login/", data={"username": "x" * TWENTY_MB})
    assert form.status_code == 413 and "送信内容が大きすぎます" in form.get_data(as_text=True)
    parse = clerk.client.post("/certificates/wizard/parse", data=big, content_type="application/json",
                              headers={"X-CSRFToken": clerk.token()})
    assert parse.status_code == 413 and "大きすぎます" in _message(parse)
    _id, token = issue_token(app, "a-manager")
    api = ApiClient(app, token).raw("POST", "/api/v1/certificates", big)
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "too_large"


def test_the_tester_import_is_read_with_a_cap(app, tenants, monkeypatch):
    from flask import has_request_context
    from werkzeug.datastructures import FileStorage

    from app.domain.tester_import import MAX_EXPORT_BYTES

    asked = []

    def read(self, size=-1):
        if has_request_context():  # the view's reads, not the test client's encoding
            asked.append(size)
        return self.stream.read(size)

    monkeypatch.setattr(FileStorage, "read", read, raising=False)
    inspector = _logged_in(app, "a-inspector")
    rid = tenants.ids["a"]["Record"]
    response = inspector.client.post(f"/records/{rid}/tester", data={
        "csrf_token": inspector.token(),
        "file": (io.BytesIO(b"1,2,3\n" * (MAX_EXPORT_BYTES // 3)), "tester.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ファイルが大きすぎます" in page and "何も取り込んでいません" in page
    assert asked == [MAX_EXPORT_BYTES + 1]  # never the whole file


def test_every_answer_carries_the_browser_headers(app, tenants):
    clerk = _logged_in(app, "a-clerk")
    _id, token = issue_token(app, "a-manager")
    answers = [
        clerk.get("/"), clerk.get("/login/"), Browser(app).get("/login/"), clerk.get("/no-such-page"),
        clerk.get("/static/css/keizoku.css"), Browser(app).get("/guide/"),
        clerk.get("/association/certificates/"),  # 403
        ApiClient(app, token).get("/api/v1/certificates"), ApiClient(app).get("/api/v1/certificates"),
        clerk.get("/association/certificates/", query_string={"q": "\x00"}),
    ]
    for response in answers:
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'wasm-unsafe-eval'" in csp
        assert "mediastream:" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=(self)" in headers["Permissions-Policy"]


def test_the_public_application_form_is_throttled_per_client(app, app_config):
    app_config["PUBLIC_FORM_RATE_LIMIT"] = "3 per hour"
    sender = Browser(app)
    sender.client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    codes = [sender.post("/guide/application", {"action": "more"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = sender.post("/guide/application", {"action": "more"})
    assert "短時間に操作が集中しました" in refused.get_data(as_text=True)
    other = Browser(app)
    other.client.environ_base["REMOTE_ADDR"] = "192.0.2.11"
    assert other.post("/guide/application", {"action": "more"}).status_code == 200
    assert sender.get("/guide/application").status_code == 200  # reading it is not throttled


def test_csv_content_types_carry_one_charset(app, tenants):
    manager = _logged_in(app, "a-manager")
    invoice = tenants.ids["a"]["Invoice"]
    for url, charset in ((f"/billing/invoices/{invoice}/csv", "utf-8"),
                         (f"/billing/invoices/{invoice}/csv?encoding=sjis", "shift_jis"),
                         ("/certificates/register.csv?month=2026-11", "utf-8")):
        response = manager.get(url)
        assert response.status_code == 200, url
        content_type = response.headers["Content-Type"]
        assert content_type.count("charset") == 1, content_type
        assert content_type == f"text/csv; charset={charset}"
