"""The association admin's read-only 協会の設定 page: every operator setting, its value and
whether production accepts it."""
import re

from tests.test_operator_settings import VALID


def rows(html):
    """{environment name: (state, row text)} from the settings table."""
    found = {}
    for match in re.finditer(r'<tr class="[^"]*"\s+data-setting="(\w+)" data-state="(\w+)">(.*?)</tr>',
                             html, re.S):
        found[match.group(1)] = (match.group(2), re.sub(r"<[^>]+>", " ", match.group(3)))
    return found


def test_the_admin_sees_the_samples_of_a_development_instance(app, tenants, browser):
    browser.login("assoc-admin")
    response = browser.get("/association/settings/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = rows(html)
    assert len(table) == 16
    assert table["DEBIT_CONSIGNOR_CODE"][0] == "sample" and "1234567890" in table["DEBIT_CONSIGNOR_CODE"][1]
    assert "見本の値" in table["DEBIT_CONSIGNOR_CODE"][1] and "本番では使えません" in table["DEBIT_CONSIGNOR_CODE"][1]
    assert table["DEBIT_BANK_CODE"][0] == "ok" and "ミズホ" in table["DEBIT_BANK_CODE"][1]
    assert table["SECRET_KEY"][0] == "ok" and "test-secret" not in html  # never shown
    assert "開発・デモ用の環境です" in html
    assert "協会の設定" in browser.get("/").get_data(as_text=True)  # in the menu


def test_a_wrong_value_is_shown_wrong_and_production_is_warned(app, app_config, tenants, browser):
    app_config.update({**VALID, "DEBIT_BRANCH_CODE": "999", "REQUIRE_OPERATOR_SETTINGS": True})
    browser.login("assoc-admin")
    html = browser.get("/association/settings/").get_data(as_text=True)
    table = rows(html)
    assert {name for name, (state, _) in table.items() if state != "ok"} == {"DEBIT_BRANCH_CODE"}
    assert "支店コード 999 は金融機関 0005 の支店にありません" in table["DEBIT_BRANCH_CODE"][1]
    assert "1件の設定に誤りがあります" in html and "起動しません" in html

    app_config["DEBIT_BRANCH_CODE"] = VALID["DEBIT_BRANCH_CODE"]
    html = browser.get("/association/settings/").get_data(as_text=True)
    assert "すべての設定が揃っていて、本番で使える値です" in html
    assert "ヨコハマエキマエ" in html


def test_only_the_association_admin_may_see_the_settings(app, tenants, browser):
    for username in ("assoc-staff", "a-manager"):
        browser.login(username)
        assert browser.get("/association/settings/").status_code == 403, username
        browser.logout()
