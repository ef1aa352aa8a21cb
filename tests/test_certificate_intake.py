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
