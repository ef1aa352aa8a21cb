"""The shop's certificate, record and consent lists show 50 rows, newest first, with a link to the next
50 after the last row shown: every row is reachable (the lists stopped at 200 before), none is
shown twice, the search and site stay chosen, and a forged page key shows the first page."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.test_list_queries import _add_certificates

NEXT = re.compile(r'<a class="btn btn-default" rel="next" href="([^"]+)">次の50件')


def _add_records(app, count):
    from app.extensions import db
    from app.models.record import Record

    with app.app_context():
        seeded = db.session.scalars(select(Record).order_by(Record.id)).first()
        for n in range(count):
            db.session.add(Record(
                business_id=seeded.business_id, site_id=seeded.site_id, kind="designated", form="beppyo6",
                interval_months=12, inspection_date=dt.date(2026, 11, 1) + dt.timedelta(days=n % 3),
                results="", chassis_number=f"PAGE10-{n:07d}", status="draft", version=1, is_current=True,
                measurements={}, tester_values={}, replaced_parts=[]))
        db.session.commit()
        return seeded.site_id


def _walk(browser, url, pattern):
    """Every page of a list from ``url``: (rows of each page, the links followed)."""
    pages, links = [], []
    while url:
        page = browser.get(url.replace("&amp;", "&")).get_data(as_text=True)
        pages.append(pattern.findall(page))
        found = NEXT.search(page)
        url = found.group(1) if found else None
        if url:
            links.append(url.replace("&amp;", "&"))
        assert len(pages) < 10
    return pages, links


def test_certificates_page_by_50_until_every_one_is_shown(app, tenants, browser):
    _add_certificates(app, 0, 57)  # one date for all: the id orders them within it
    browser.login("a-manager")
    site = tenants.ids["a"]["Site"]
    pages, links = _walk(browser, f"/certificates/list/?site={site}", re.compile(r"QRY10-\d{7}"))
    assert [len(p) for p in pages] == [50, 7]
    shown = [c for p in pages for c in p]
    assert len(shown) == len(set(shown)) == 57
    assert shown == sorted(shown, reverse=True)  # newest first, the higher id first on one date
    assert all(f"site={site}" in link for link in links)  # the chosen site stays chosen
    last = browser.get(links[-1]).get_data(as_text=True)
    assert "最新の50件へ" in last and "次の50件" not in last


def test_a_search_pages_with_its_words_kept(app, tenants, browser):
    _add_certificates(app, 0, 60)
    browser.login("a-manager")
    pages, links = _walk(browser, "/certificates/list/?chassis=QRY10-00000", re.compile(r"QRY10-\d{7}"))
    assert sorted(c for p in pages for c in p) == [f"QRY10-{n:07d}" for n in range(60)]
    assert links and all("chassis=QRY10-00000" in link for link in links)


def test_records_page_by_50_until_every_one_is_shown(app, tenants, browser):
    site = _add_records(app, 120)
    browser.login("a-manager")
    pages, _ = _walk(browser, f"/records/?site={site}", re.compile(r"PAGE10-\d{7}"))
    assert [len(p) for p in pages] == [49, 50, 21]  # the fixture's own record (2026-11-20) comes first
    shown = [c for p in pages for c in p]
    assert len(set(shown)) == 120


@pytest.mark.parametrize("after", ["x", "2026-13-01.5", "2026-11-20.", ".5", "2026-11-20.5\x00", "9" * 400])
def test_a_forged_page_key_shows_the_first_page(app, tenants, browser, after):
    _add_certificates(app, 0, 55)
    browser.login("a-manager")
    response = browser.get("/certificates/list/", query_string={"after": after})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert len(re.findall(r"QRY10-\d{7}", page)) == 50 and "最新の50件へ" not in page


def test_consents_page_by_50_until_every_one_is_shown(app, tenants, browser):
    from app.extensions import db
    from app.models.consent import Consent, ConsentVehicle

    with app.app_context():
        seeded = db.session.scalars(select(Consent).order_by(Consent.id)).first()
        for n in range(60):
            consent = Consent(business_id=seeded.business_id, site_id=seeded.site_id,
                              customer_name=f"試験 {n}", signer_name=f"試験 {n}", method="signature",
                              document=b"png", document_type="image/png",
                              signed_on=dt.date(2026, 10, 1) + dt.timedelta(days=n % 5),
                              valid_until=dt.date(2027, 1, 1))
            consent.vehicles.append(ConsentVehicle(business_id=seeded.business_id, site_id=seeded.site_id,
                                                   chassis_number=f"CNS10-{n:07d}"))
            db.session.add(consent)
        db.session.commit()
    browser.login("a-manager")
    pages, links = _walk(browser, "/consents/?chassis=CNS10", re.compile(r"CNS10-\d{7}"))
    assert [len(p) for p in pages] == [50, 10]
    assert sorted(c for p in pages for c in p) == [f"CNS10-{n:07d}" for n in range(60)]
    assert all("chassis=CNS10" in link for link in links)
