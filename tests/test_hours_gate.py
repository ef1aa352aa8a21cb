"""Operating hours: shop users get the Japanese maintenance page (APIs a 503 with
Retry-After) at night and over the new year; the association keeps access."""
from datetime import datetime

import pytest

from app.timeutil import JST


def at(app, *moment):
    app.config["CLOCK"] = lambda: datetime(*moment, tzinfo=JST)


@pytest.mark.parametrize(
    "moment, closed",
    [
        ((2026, 6, 10, 23, 59, 59), False),
        ((2026, 6, 11, 0, 0, 0), True),
        ((2026, 6, 11, 0, 59, 59), True),
        ((2026, 6, 11, 1, 0, 0), False),
        ((2026, 12, 28, 23, 59, 0), False),
        ((2026, 12, 29, 10, 0, 0), True),
        ((2027, 1, 3, 23, 0, 0), True),
        ((2027, 1, 4, 1, 0, 0), False),
    ],
)
def test_shop_user_page_by_the_clock(app, tenants, browser, moment, closed):
    browser.login("a-clerk")
    at(app, *moment)
    response = browser.get("/")
    if closed:
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "ただいまご利用いただけません" in page
        assert int(response.headers["Retry-After"]) > 0
    else:
        assert response.status_code == 200


def test_retry_after_points_at_the_reopening(app, tenants, browser):
    browser.login("a-clerk")
    at(app, 2026, 6, 11, 0, 30, 0)
    response = browser.get("/")
    assert response.headers["Retry-After"] == str(30 * 60)
    assert "6月11日 1:00" in response.get_data(as_text=True)
    at(app, 2026, 12, 31, 12, 0, 0)
    response = browser.get("/")
    assert "年末年始" in response.get_data(as_text=True)
    assert "1月4日 1:00" in response.get_data(as_text=True)


def test_api_answers_503_json(app, tenants, browser):
    browser.login("a-clerk")
    at(app, 2026, 6, 11, 0, 10, 0)
    response = browser.get("/api/v1/menu/")
    assert response.status_code == 503
    assert response.is_json and response.get_json()["error"] == "maintenance"
    assert int(response.headers["Retry-After"]) == 50 * 60


def test_association_keeps_access(app, tenants, browser):
    browser.login("assoc-staff")
    at(app, 2026, 12, 30, 0, 30, 0)
    assert browser.get("/").status_code == 200
    assert browser.get("/association/businesses/list/").status_code == 200


def test_login_page_stays_reachable(app, tenants, browser):
    at(app, 2026, 6, 11, 0, 30, 0)
    assert browser.get("/login/").status_code == 200
