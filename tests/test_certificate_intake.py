"""Issue 15.11 (a tidy scan page), 15.12 (和暦 in the wizard and lists), 15.1 (中古新規 /
中古予備検査) and 15.7 (記録事務代行): the intake end of the certificate wizard."""
import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.certificate import CertificateDraft
from app.timeutil import utcnow_naive
from tests.test_certificate_helpers import ready_site

VECTORS = {v["name"]: v for v in json.load(open("tests/data/qr-vectors.json", encoding="utf-8"))}
GOOD = "\n".join(VECTORS["registered_electronic_card_per_symbol"]["scans"])
TRUNCATED = "\n".join(VECTORS["registered_truncated_symbol"]["scans"])


def _q(app, fn):
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


@pytest.fixture
def site(app, tenants):
    def prepare(session):
        ready_site(session, tenants.ids["a"]["Site"])
        session.commit()

    _q(app, prepare)
    return tenants.ids["a"]["Site"]


def _drafts(app):
    return _q(app, lambda s: s.scalar(select(func.count()).select_from(CertificateDraft)))


def _draft_id(response):
    match = re.search(r"/certificates/wizard/(\d+)/", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


# ------------------------------------------------------------------ 15.11 a tidy scan page


def test_scan_page_has_a_clear_button_for_the_reader_field(app, tenants, browser, site):
    browser.login("a-clerk")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    page = browser.get(f"/certificates/wizard/{draft}/scan").get_data(as_text=True)
    assert 'id="qr-clear"' in page and "入力欄をクリア" in page


def test_a_failed_scan_leaves_no_draft_and_the_next_try_starts_one(app, tenants, browser, site):
    browser.login("a-clerk")
    before = _drafts(app)  # the tenant seeds' own drafts
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    assert _drafts(app) == before + 1
    failed = browser.post(f"/certificates/wizard/{draft}/scan", {"reads": TRUNCATED})
    page = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "途中で切れています" in page and "何も保存していません" in page
    assert _drafts(app) == before
    # The page now posts the next try to start(): a failure there makes no draft either ...
    assert 'action="/certificates/wizard/start"' in page and f'name="site_id" value="{site}"' in page
    again = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1",
                                                          "reads": TRUNCATED})
    assert again.status_code == 200 and "途中で切れています" in again.get_data(as_text=True)
    empty = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1", "reads": ""})
    assert "車検証の二次元コードが読み取られていません" in empty.get_data(as_text=True)
    assert _drafts(app) == before
    # ... and a good read makes the draft with its vehicle, on to the vehicle step.
    good = browser.post("/certificates/wizard/start", {"site_id": str(site), "from_scan": "1", "reads": GOOD})
    assert good.status_code == 302 and good.headers["Location"].endswith("/vehicle")
    data = _q(app, lambda s: s.get(CertificateDraft, _draft_id(good)).data)
    assert data["vehicle"]["chassis_number"] == "JTESTVIN000000001"


def test_a_failed_scan_keeps_a_draft_that_has_data(app, tenants, browser, site):
    browser.login("a-clerk")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site)}))
    assert browser.post(f"/certificates/wizard/{draft}/scan", {"reads": GOOD}).status_code == 302
    failed = browser.post(f"/certificates/wizard/{draft}/scan", {"reads": TRUNCATED})
    assert failed.status_code == 200 and "途中で切れています" in failed.get_data(as_text=True)
    data = _q(app, lambda s: s.get(CertificateDraft, draft).data)
    assert data["vehicle"]["chassis_number"] == "JTESTVIN000000001"  # kept, unchanged


def test_untouched_drafts_expire_with_an_audit_entry(app, tenants, site):
    from scheduler.jobs.certificate_drafts import JOBS, run_draft_expiry

    assert JOBS[0]["id"] == "certificate_draft_expiry"
    ids = tenants.ids["a"]
    days = app.config["CERTIFICATE_DRAFT_EXPIRY_DAYS"]
    old = _q(app, lambda s: utcnow_naive()) - dt.timedelta(days=days, minutes=1)  # the test clock

    def make(session):
        rows = {
            "old": CertificateDraft(business_id=ids["Business"], site_id=site, step="scan", data={},
                                    updated_at=old),
            "old_vehicle": CertificateDraft(business_id=ids["Business"], site_id=site, step="inspection",
                                            data={"vehicle": {"chassis_number": "X"}}, updated_at=old),
            "correction": CertificateDraft(business_id=ids["Business"], site_id=site, step="vehicle",
                                           data={"correction": {"certificate_id": 1}}, updated_at=old),
            "recent": CertificateDraft(business_id=ids["Business"], site_id=site, step="scan", data={}),
        }
        session.add_all(rows.values())
        session.commit()
        return {k: v.id for k, v in rows.items()}

    made = _q(app, make)
    assert run_draft_expiry(app) == 2
    left = _q(app, lambda s: set(s.scalars(select(CertificateDraft.id)).all()))
    assert made["old"] not in left and made["old_vehicle"] not in left
    assert {made["correction"], made["recent"]} <= left
    log = _q(app, lambda s: s.scalars(select(AuditLog.detail).where(
        AuditLog.action == "certificate_drafts_expired")).all())
    assert len(log) == 1 and f"{days}日間更新のなかった保適証の下書き 2 件を削除" in log[0]
    assert run_draft_expiry(app) == 0  # a rerun finds nothing more


# ------------------------------------------------------------------ 15.12 和暦 in the wizard and lists


def test_date_inputs_take_wareki_and_iso_and_refuse_nonsense_in_japanese():
    from app.services.certificates.common import CertificateInputError
    from app.services.certificates.drafts import parse_date_input, parse_month_input

    for text in ("令和8年12月3日", "R8.12.3", "R08.12.03", "Ｒ８．１２．３", "2026-12-03", "2026/12/3"):
        assert parse_date_input(text, "検査年月日") == dt.date(2026, 12, 3), text
    for text in ("平成31年4月", "H31.4", "2019-04", "2019/4"):
        assert parse_month_input(text, "初度登録年月") == "2019-04", text
    assert parse_month_input("令和元年5月", "初度登録年月") == "2019-05"
    cases = [
        (parse_date_input, "あした", "検査年月日「あした」は日付として読めません。令和8年11月26日、R8.11.26 または 2026-11-26 の形で入力してください。"),
        (parse_date_input, "令和8年2月30日", "検査年月日: 「令和8年2月30日」は存在しない日付です。月と日を確かめてください。"),
        (parse_date_input, "平成32年1月1日", "検査年月日: 「平成32年1月1日」は平成の期間外です。"),
        (parse_date_input, "2026-13-01", "検査年月日「2026-13-01」は日付として読めません。"),
        (parse_month_input, "令和元年4月", "初度登録年月: 「令和元年4月」は和暦の年月として正しくありません。"),
        (parse_month_input, "2019-13", "初度登録年月「2019-13」は年月として読めません。平成31年4月、H31.4 または 2019-04 の形で入力してください。"),
    ]
    for parse, text, message in cases:
        with pytest.raises(CertificateInputError) as caught:
            parse(text, "検査年月日" if parse is parse_date_input else "初度登録年月")
        assert caught.value.messages[0].startswith(message), (text, caught.value.messages)


def test_wizard_inputs_and_lists_show_wareki(app, tenants, browser, site):
    ids = tenants.ids["a"]
    browser.login("a-inspector")
    draft = _draft_id(browser.post("/certificates/wizard/start", {"site_id": str(site), "manual": "1"}))
    base = f"/certificates/wizard/{draft}"
    vehicle = {"vehicle_kind": "registered", "chassis_number": "WAREKI10-0000001", "plate_area": "品川",
               "plate_class": "330", "plate_kana": "さ", "plate_serial": "1", "model": "3BA-XYZ10",
               "first_registration": "H31.4", "expiry_date": "R8.12.20", "owner_name": "試験 花子",
               "owner_address": "東京都品川区1-2-3"}
    assert browser.post(f"{base}/vehicle", vehicle).status_code == 302
    saved = _q(app, lambda s: s.get(CertificateDraft, draft).data["vehicle"])
    assert saved["first_registration"] == "2019-04" and saved["expiry_date"] == "2026-12-20"
    page = browser.get(f"{base}/vehicle").get_data(as_text=True)
    assert 'value="平成31年4月"' in page and 'value="令和8年12月20日"' in page
    page = browser.get(f"{base}/inspection").get_data(as_text=True)
    assert 'value="令和8年11月26日"' in page  # today, the test clock
    form = {"inspection_date": "令和8年11月26日", "application_date": "", "inspector_id": str(ids["Inspector"]),
            "odometer_km": "45678", "validity_years": "2", "use": "private", "body": "passenger", "eco": "",
            "vehicle_weight_kg": "1200", "gross_weight_kg": "1475", "application_type": "hybrid"}
    assert browser.post(f"{base}/inspection", form).status_code == 302
    insurance = {"policy1_certificate_number": "A1234567", "policy1_insurer_name": "試験損保",
                 "policy1_start_date": "R8.11.20", "policy1_end_date": "2029-01-20"}
    assert browser.post(f"{base}/insurance", insurance).status_code == 302
    page = browser.get(f"{base}/insurance").get_data(as_text=True)
    assert 'value="令和8年11月20日"' in page and 'value="令和11年1月20日"' in page
    bad = browser.post(f"{base}/insurance", {**insurance, "policy1_end_date": "令和11年2月30日"})
    assert "自賠責(1枚目)の保険期間の終期: 「令和11年2月30日」は存在しない日付です。" in bad.get_data(as_text=True)

    start = browser.get("/certificates/wizard/").get_data(as_text=True)
    assert re.search(r"令和8年11月26日 \d\d:\d\d", start)
    assert browser.post(f"{base}/checks", {"weight_tax_yen": "24600", "inspection_fee_yen": "1800"}).status_code == 302
    response = browser.post(f"{base}/certify", {"confirmed": list(
        ("chassis_number", "vehicle_kind", "issue_date", "inspection_date", "inspector"))})
    assert response.status_code == 302
    listing = browser.get("/certificates/list/").get_data(as_text=True)
    assert "<td>令和8年11月26日</td>" in listing and "2026-11-26" not in listing
    found = browser.get("/certificates/list/?date_from=R8.11.1&date_to=令和8年11月30日").get_data(as_text=True)
    assert "WAREKI10-0000001" in found
    register = browser.get("/certificates/register/?month=令和8年11月").get_data(as_text=True)
    assert 'value="令和8年11月"' in register and "WAREKI10-0000001" in register
    show = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"令和8年11月26日 \d\d:\d\d:\d\d", show)
