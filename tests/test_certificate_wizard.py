"""The wizard end to end over HTTP, against the sandbox running as a real server.

scan (registered per-symbol, kei) -> vehicle -> inspection -> 自賠責 -> checks -> pre-flight ->
certify -> sent -> linked, with the billable event recorded exactly once.
"""
import json
import re

import pytest
import requests
from sqlalchemy import func, select

from app.models.billing import BillableEvent
from app.models.certificate import Certificate, CertificateDraft, CertificateEvent, OssRequest
from app.models.audit import AuditLog
from tests.test_certificate_helpers import (
    inspection_form,
    insurance_form,
    ready_site,
    sandbox_config,
    with_consent,
)

VECTORS = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}


class _Db:
    """Database checks in their own app context each time: a request reuses an app context
    that is already pushed (and its ``g``), so the tests never keep one open while browsing."""

    def __init__(self, app):
        self.app = app

    def __call__(self, fn):
        from app.extensions import db

        with self.app.app_context():
            return fn(db.session)


@pytest.fixture
def dbq(app):
    return _Db(app)


@pytest.fixture
def site(app, tenants, dbq):
    def prepare(session):
        ready_site(session, tenants.ids["a"]["Site"])
        session.commit()

    dbq(prepare)
    return tenants.ids["a"]["Site"]


@pytest.fixture
def sandbox(app):
    with sandbox_config(app) as server:
        yield server


def _certificate(dbq, chassis):
    """A detached snapshot of the certificate and its OSS request."""
    def load(session):
        c = session.scalar(select(Certificate).where(Certificate.chassis_number == chassis))
        snap = {k: getattr(c, k) for k in ("id", "status", "airas_id", "issue_number", "payload", "details",
                                            "vehicle_kind")}
        snap["oss_status"] = c.oss_request.status if c.oss_request else None
        snap["oss_payload"] = c.oss_request.payload if c.oss_request else None
        return snap
    return dbq(load)


def _draft_data(dbq, draft):
    return dbq(lambda s: (s.get(CertificateDraft, draft).step, s.get(CertificateDraft, draft).data))


def _draft_id(response):
    match = re.search(r"/certificates/wizard/(\d+)/", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def _start(browser, site):
    response = browser.post("/certificates/wizard/start", {"site_id": str(site)})
    assert response.status_code == 302
    return _draft_id(response)


def _count(dbq, model, *where):
    return dbq(lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def _fill_until_confirm(browser, draft, vector, inspector_id, *, kind, expiry="2026-12-20",
                        application_type="oss"):
    base = f"/certificates/wizard/{draft}"
    scan = browser.post(f"{base}/scan", {"reads": "\n".join(vector["scans"])})
    assert scan.status_code == 302 and scan.headers["Location"].endswith(f"{base}/vehicle")
    page = browser.get(f"{base}/vehicle").get_data(as_text=True)
    expected = vector["expected"]
    assert expected["chassis_number"] in page and expected["model"] in page
    vehicle = {"vehicle_kind": kind, "chassis_number": expected["chassis_number"],
               "plate_area": expected["plate_area"], "plate_class": expected["plate_class"],
               "plate_kana": expected["plate_kana"], "plate_serial": expected["plate_serial"],
               "model": expected["model"], "first_registration": expected["first_registration"],
               "expiry_date": expiry, "owner_name": "試験 花子", "owner_address": "東京都品川区1-2-3"}
    assert browser.post(f"{base}/vehicle", vehicle).status_code == 302
    with_consent(browser.app, draft, expected["chassis_number"])
    form = inspection_form(inspector_id, application_type, kind=kind)
    assert browser.post(f"{base}/inspection", form).status_code == 302
    assert browser.post(f"{base}/insurance", insurance_form()).status_code == 302
    return base


def test_registered_oss_end_to_end(app, tenants, dbq, browser, site, sandbox):
    ids = tenants.ids["a"]
    vector = VECTORS["registered_electronic_card_per_symbol"]
    assert vector["reader_mode"] == "per_symbol" and len(vector["scans"]) == 5
    browser.login("a-clerk")  # the clerk prepares
    draft = _start(browser, site)
    base = _fill_until_confirm(browser, draft, vector, ids["Inspector"], kind="registered")

    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "新しい有効期間の満了日" in checks and "令和10年12月20日" in checks  # X + 2 years
    assert "最終検査申請日" in checks
    assert "24,600円" in checks  # the local table; the inquiry knows no such car
    assert "該当する車両情報がありません。" in checks
    response = browser.post(f"{base}/checks", {"weight_tax_yen": "24600", "inspection_fee_yen": "1600",
                                               "weight_tax_differs": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/confirm")

    preflight = browser.get(f"{base}/confirm").get_data(as_text=True)
    assert "JTESTVIN000000001" in preflight and "令和8年11月26日" in preflight
    assert "保適証の確定は自動車検査員が行います" in preflight
    every = {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}
    assert browser.post(f"{base}/certify", every).status_code == 403  # a clerk cannot certify
    assert _count(dbq, Certificate, Certificate.chassis_number == "JTESTVIN000000001") == 0

    inspector = type(browser)(app)  # the inspector resumes the draft on another device
    inspector.login("a-inspector")
    start_page = inspector.get("/certificates/wizard/").get_data(as_text=True)
    assert f"/certificates/wizard/{draft}/confirm" in start_page
    partial = inspector.post(f"{base}/certify", {"confirmed": ["chassis_number"]})
    assert partial.status_code == 422
    assert "訂正できない項目の確認が済んでいません" in partial.get_data(as_text=True)
    assert _count(dbq, Certificate, Certificate.chassis_number == "JTESTVIN000000001") == 0

    done = inspector.post(f"{base}/certify", every)
    assert done.status_code == 302
    certificate = _certificate(dbq, "JTESTVIN000000001")
    assert certificate["status"] == "linked" and certificate["airas_id"] and certificate["issue_number"]
    assert certificate["oss_status"] == "accepted"
    assert certificate["payload"]["application_type"] == "oss"
    assert certificate["payload"]["compulsory_insurance"][0]["certificate_number"] == "ABC12345678"
    show = inspector.get(f"/certificates/{certificate['id']}").get_data(as_text=True)
    assert "連携済" in show and certificate["issue_number"] in show
    assert _count(dbq, BillableEvent, BillableEvent.object_id == certificate["id"],
                  BillableEvent.kind == "certificate") == 1

    # The sandbox holds one 保適証 and one OSS request; the scheduler's run changes nothing.
    stats = requests.get(f"{sandbox.base_url}/_control/stats", timeout=5).json()
    assert stats["airas"]["received"] == 1 and stats["ainas"]["received"] == 1
    from scheduler.jobs.certificates import run_certificate_send
    app.config["CERTIFICATE_FOLLOW_SECONDS"] = 0
    try:
        run_certificate_send(app)
    finally:
        app.config.pop("CERTIFICATE_FOLLOW_SECONDS")
    assert _count(dbq, BillableEvent, BillableEvent.object_id == certificate["id"]) == 1
    stats = requests.get(f"{sandbox.base_url}/_control/stats", timeout=5).json()
    assert stats["airas"]["received"] == 1 and stats["ainas"]["received"] == 1

    # Every state change was audited; the draft is done and cannot be confirmed again.
    changes = dbq(lambda s: [c.after for c in s.scalars(select(AuditLog).where(
        AuditLog.entity_type == "Certificate", AuditLog.entity_id == str(certificate["id"])).order_by(AuditLog.id))])
    statuses = [after.get("status") for after in changes if after and "status" in after]
    assert statuses[0] == "queued" and "linked" in statuses
    again = inspector.post(f"{base}/certify", every)
    assert again.status_code == 302 and f"/certificates/{certificate['id']}" in again.headers["Location"]
    assert _count(dbq, Certificate, Certificate.chassis_number == "JTESTVIN000000001") == 1


def test_kei_with_inquiry_difference(app, tenants, dbq, browser, site, sandbox):
    ids = tenants.ids["a"]
    vector = VECTORS["kei_electronic_card_v32"]
    requests.post(f"{sandbox.base_url}/_control/weight-tax", json={
        "system": "kei", "chassis_number": "XY21S-654321", "weight_tax_yen": 8200}, timeout=5)
    browser.login("a-inspector")
    draft = _start(browser, site)
    base = _fill_until_confirm(browser, draft, vector, ids["Inspector"], kind="kei")
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "8,200円" in checks and "6,600円" in checks
    assert "照会サービスの税額と計算した税額が違います" in checks
    form = {"weight_tax_yen": "8200", "inspection_fee_yen": "1600", "weight_tax_differs": "1",
            "weight_tax_local_yen": "6600", "weight_tax_inquiry_yen": "8200"}
    refused = browser.post(f"{base}/checks", form)
    assert refused.status_code == 200 and "税額の違いを確認した" in refused.get_data(as_text=True)
    assert _draft_data(dbq, draft)[0] == "checks"
    form["weight_tax_difference_checked"] = "y"
    assert browser.post(f"{base}/checks", form).status_code == 302
    every = {"confirmed": ["chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"]}
    assert browser.post(f"{base}/certify", every).status_code == 302
    certificate = _certificate(dbq, "XY21S-654321")
    assert certificate["status"] == "linked" and certificate["vehicle_kind"] == "kei"
    assert certificate["details"]["checks"]["weight_tax_differs"] is True
    assert certificate["oss_payload"]["weight_tax_yen"] == 8200
    assert _count(dbq, BillableEvent, BillableEvent.object_id == certificate["id"]) == 1


def test_parse_endpoint_answers_json(app, tenants, browser, site):
    browser.login("a-clerk")
    vector = VECTORS["registered_paper_per_symbol"]
    ok = browser.client.post("/certificates/wizard/parse", json={"reads": vector["scans"]},
                             headers={"X-CSRFToken": browser.token()})
    assert ok.status_code == 200 and ok.get_json()["fields"]["chassis_number"] == "XYZ10-0012345"
    bad = browser.client.post("/certificates/wizard/parse", json={"reads": VECTORS["registered_missing_symbol"]["scans"]},
                              headers={"X-CSRFToken": browser.token()})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "MISSING_CODE"
    assert "読み取られていません" in bad.get_json()["error"]["message"]
    junk = browser.client.post("/certificates/wizard/parse", json={"reads": 5},
                               headers={"X-CSRFToken": browser.token()})
    assert junk.status_code == 400 and "形式" in junk.get_json()["error"]["message"]


def test_bad_input_saves_nothing(app, tenants, dbq, browser, site):
    ids = tenants.ids["a"]
    browser.login("a-clerk")
    draft = _start(browser, site)
    base = f"/certificates/wizard/{draft}"
    misread = browser.post(f"{base}/scan", {"reads": "\n".join(VECTORS["registered_truncated_symbol"]["scans"])})
    assert misread.status_code == 200
    assert "途中で切れています" in misread.get_data(as_text=True)
    # The failed scan left no draft behind (issue 15.11): start again, by hand this time.
    assert _count(dbq, CertificateDraft, CertificateDraft.id == draft) == 0
    manual = browser.post("/certificates/wizard/start", {"site_id": str(site), "manual": "1"})
    draft = _draft_id(manual)
    assert manual.headers["Location"].endswith(f"/certificates/wizard/{draft}/vehicle")
    base = f"/certificates/wizard/{draft}"
    assert _draft_data(dbq, draft)[1] == {}

    vehicle = {"vehicle_kind": "registered", "chassis_number": "ABC10-1234567", "expiry_date": "2026-02-30",
               "owner_name": "試験 花子", "owner_address": "東京都"}
    wrong = browser.post(f"{base}/vehicle", vehicle)
    assert wrong.status_code == 200 and "日付として読めません" in wrong.get_data(as_text=True)
    assert _draft_data(dbq, draft)[1] == {}
    vehicle["expiry_date"] = "令和8年12月20日"  # 和暦 is accepted too
    assert browser.post(f"{base}/vehicle", vehicle).status_code == 302
    form = inspection_form(ids["Inspector"], "oss")
    form.update(consent="", odometer_km="-5", inspector_id=str(tenants.ids["b"]["Inspector"]))
    page = browser.post(f"{base}/inspection", form).get_data(as_text=True)
    for message in ("承諾書", "走行距離計表示値", "自動車検査員をこの事業場の一覧から選んでください"):
        assert message in page
    assert "inspection" not in _draft_data(dbq, draft)[1]
    with_consent(app, draft, "ABC10-1234567")
    assert browser.post(f"{base}/inspection", inspection_form(ids["Inspector"], "oss")).status_code == 302
    paper = insurance_form(electronic=False)
    assert "電子自賠責が必要です" in browser.post(f"{base}/insurance", paper).get_data(as_text=True)
    short = insurance_form(end="2027-01-10")  # ends long before the new expiry on any day
    assert browser.post(f"{base}/insurance", short).status_code == 302
    checks = browser.get(f"{base}/checks").get_data(as_text=True)
    assert "保適証を交付しないでください" in checks and "交付できません" in checks
    blocked = browser.post(f"{base}/checks", {"weight_tax_yen": "1", "inspection_fee_yen": "1"})
    assert "交付できません" in blocked.get_data(as_text=True)
    assert "checks" not in _draft_data(dbq, draft)[1]
    assert _count(dbq, Certificate, Certificate.chassis_number == "ABC10-1234567") == 0


def test_a_clerk_of_one_site_cannot_start_at_another(app, tenants, dbq, browser, site):
    browser.login("a-clerk")  # limited to a工場0
    other = tenants.ids["a"]["sites"][1]
    response = browser.post("/certificates/wizard/start", {"site_id": str(other)})
    assert response.status_code == 302
    assert _count(dbq, CertificateDraft, CertificateDraft.site_id == other) == 0


def test_certificate_pages_are_japanese(app, tenants, browser, site):
    from tests.test_japanese_ui import DATA_VALUES, english_words

    # The menu (other features' entries too) is the shared Japanese-UI test's business.
    menu = {str(item.label) for entry in app.appbuilder.menu.get_list()
            for item in [entry, *entry.childs]}
    DATA_VALUES = DATA_VALUES | menu
    browser.login("a-manager")
    own = tenants.ids["a"]
    for url in ("/certificates/wizard/", "/certificates/list/", "/certificates/register/",
                f"/certificates/{own['Certificate']}", f"/certificates/wizard/{own['CertificateDraft']}/scan",
                f"/certificates/wizard/{own['CertificateDraft']}/vehicle",
                f"/certificates/wizard/{own['CertificateDraft']}/inspection",
                f"/certificates/wizard/{own['CertificateDraft']}/insurance",
                "/certificates/printer-offsets/list/"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert english_words(response.get_data(as_text=True), DATA_VALUES) == [], url
    browser.logout()
    browser.login("assoc-admin")
    for url in ("/association/certificates/list/", f"/association/certificates/{own['Certificate']}"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert english_words(response.get_data(as_text=True), DATA_VALUES) == [], url


def test_certifying_a_draft_with_steps_left_sends_back_to_the_start(app, tenants, dbq, browser, site):
    """A certify POST on a draft whose steps are not done (a stale tab, a replayed form) answers
    with the Japanese reason and the first step, never a 500; nothing is certified."""
    browser.login("a-inspector")
    draft = _start(browser, site)
    before = _count(dbq, Certificate, Certificate.site_id == site)
    response = browser.post(f"/certificates/wizard/{draft}/certify", {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/certificates/wizard/{draft}/scan")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "入力が済んでいない手順があります。最初の手順から順に進めてください。" in page
    assert _count(dbq, Certificate, Certificate.site_id == site) == before
