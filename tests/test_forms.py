"""Bad input on the foundation's forms gets a Japanese message next to the field and
saves nothing."""
from sqlalchemy import func, select

from app.domain.corporate_number import check_digit


def _count(app, model):
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _field_block(page, field, next_field):
    return page[page.index(f'name="{field}"'):page.index(f'name="{next_field}"')]


BUSINESS = {
    "name": "株式会社テスト", "name_kana": "カブシキガイシャテスト", "address": "東京都千代田区1-1",
    "phone": "03-1111-2222", "account_type": "1", "active": "y",
}


def test_wrong_corporate_number_check_digit(app, tenants, browser):
    from app.models.tenancy import Business

    browser.login("assoc-admin")
    before = _count(app, Business)
    base = "011001099999"
    wrong = f"{(check_digit(base) + 1) % 10}{base}"
    page = browser.post("/association/businesses/add", {**BUSINESS, "corporate_number": wrong})
    assert page.status_code == 200
    block = _field_block(page.get_data(as_text=True), "corporate_number", "postal_code")
    assert "チェックデジット" in block
    assert _count(app, Business) == before
    ok = browser.post("/association/businesses/add",
                      {**BUSINESS, "corporate_number": f"{check_digit(base)}{base}"})
    assert ok.status_code == 302 and _count(app, Business) == before + 1


def test_missing_required_field_and_bad_bank_fields(app, tenants, browser):
    from app.models.tenancy import Business

    browser.login("assoc-admin")
    before = _count(app, Business)
    data = {**BUSINESS, "name": "", "bank_code": "12", "account_number": "12345678",
            "account_holder_kana": "カブシキガイシャ"}
    page = browser.post("/association/businesses/add", data).get_data(as_text=True)
    assert "必須です" in _field_block(page, "name", "name_kana")  # WTForms' own Japanese
    assert "金融機関コードは半角数字4桁" in _field_block(page, "bank_code", "branch_code")
    assert "口座番号は半角数字7桁" in _field_block(page, "account_number", "account_holder_kana")
    assert "半角カタカナ" in page
    assert _count(app, Business) == before


def test_seven_digit_inspector_code(app, tenants, browser):
    from app.models.tenancy import Inspector

    browser.login("a-manager")
    before = _count(app, Inspector)
    page = browser.post("/shop/inspectors/add", {
        "site": str(tenants.ids["a"]["Site"]), "name": "新人 検査員", "inspector_code": "1234567",
        "active": "y",
    }).get_data(as_text=True)
    assert "検査員コードは半角数字8桁" in _field_block(page, "inspector_code", "active")
    assert _count(app, Inspector) == before


def test_duplicate_inspector_code_at_the_same_site(app, tenants, browser):
    from app.models.tenancy import Inspector

    browser.login("a-manager")
    before = _count(app, Inspector)
    page = browser.post("/shop/inspectors/add", {
        "site": str(tenants.ids["a"]["Site"]), "name": "重複 検査員", "inspector_code": "00000001",
    }).get_data(as_text=True)
    assert "すでに登録されています" in page
    assert _count(app, Inspector) == before


def test_records_menu_needs_both_numbers(app, tenants, browser):
    from app.extensions import db
    from app.models.tenancy import Site

    browser.login("assoc-admin")
    page = browser.post("/association/sites/add", {
        "business": str(tenants.ids["a"]["Business"]), "name": "新工場", "address": "東京都",
        "certification_number": "東認第9号", "designation_number": "", "ainas_status": "registered",
        "records_enabled": "y",
    }).get_data(as_text=True)
    assert "認証番号と指定番号の両方" in page
    with app.app_context():
        assert db.session.scalar(select(Site).where(Site.name == "新工場")) is None


# --- every yes/no of a business or a site saves both ways (13.4) ------------------------------

SITE_FLAGS = ("airas_registered", "billed_separately", "records_enabled", "active")


def _site_form(tenants, **flags):
    data = {"business": str(tenants.ids["a"]["Business"]), "name": "両方工場", "address": "東京都",
            "certification_number": "東認第7号", "designation_number": "77",
            "ainas_status": "registered"}
    data.update({flag: "y" for flag, on in flags.items() if on})
    return data


def _site_named(app, name):
    from app.extensions import db
    from app.models.tenancy import Site

    with app.app_context():
        site = db.session.scalar(select(Site).where(Site.name == name))
        return site and {flag: getattr(site, flag) for flag in (*SITE_FLAGS, "id")}


import pytest  # noqa: E402


@pytest.mark.parametrize("flag", SITE_FLAGS)
def test_site_flag_saves_yes_and_no(app, tenants, browser, flag):
    browser.login("assoc-admin")
    everything_on = {f: True for f in SITE_FLAGS}
    added = browser.post("/association/sites/add", _site_form(tenants, **everything_on))
    assert added.status_code == 302, added.get_data(as_text=True)
    site = _site_named(app, "両方工場")
    assert all(site[f] for f in SITE_FLAGS)
    off = browser.post(f"/association/sites/edit/{site['id']}",
                       _site_form(tenants, **{**everything_on, flag: False}))
    assert off.status_code == 302, off.get_data(as_text=True)
    site = _site_named(app, "両方工場")
    assert site[flag] is False and all(site[f] for f in SITE_FLAGS if f != flag)
    on = browser.post(f"/association/sites/edit/{site['id']}", _site_form(tenants, **everything_on))
    assert on.status_code == 302
    assert _site_named(app, "両方工場")[flag] is True


def test_site_added_with_every_flag_off(app, tenants, browser):
    """A site billed with its business (事業場ごとに請求: no), nothing else switched on."""
    browser.login("assoc-admin")
    added = browser.post("/association/sites/add", _site_form(tenants))
    assert added.status_code == 302, added.get_data(as_text=True)
    site = _site_named(app, "両方工場")
    assert not any(site[f] for f in SITE_FLAGS)


def _business_named(app, name):
    from app.extensions import db
    from app.models.tenancy import Business

    with app.app_context():
        return db.session.scalar(select(Business).where(Business.name == name))


@pytest.mark.parametrize("active", [True, False])
def test_business_active_saves_yes_and_no(app, tenants, browser, active):
    browser.login("assoc-admin")
    data = {k: v for k, v in BUSINESS.items() if k != "active"}
    if active:
        data["active"] = "y"
    assert browser.post("/association/businesses/add", data).status_code == 302
    business = _business_named(app, BUSINESS["name"])
    assert business.active is active
    flipped = {k: v for k, v in data.items() if k != "active"}
    if not active:
        flipped["active"] = "y"
    assert browser.post(f"/association/businesses/edit/{business.id}", flipped).status_code == 302
    assert _business_named(app, BUSINESS["name"]).active is (not active)


@pytest.mark.parametrize("code,label", [("1", "普通"), ("2", "当座")])
def test_account_type_is_a_select(app, tenants, browser, code, label):
    browser.login("assoc-admin")
    page = browser.get("/association/businesses/add").get_data(as_text=True)
    block = _field_block(page, "account_type", "account_number")
    assert "<option" in block and ">普通<" in block and ">当座<" in block
    assert browser.post("/association/businesses/add",
                        {**BUSINESS, "account_type": code}).status_code == 302
    business = _business_named(app, BUSINESS["name"])
    assert business.account_type == code
    shown = browser.get(f"/association/businesses/show/{business.id}").get_data(as_text=True)
    assert label in shown


def test_account_type_refuses_other_values(app, tenants, browser):
    from app.models.tenancy import Business

    browser.login("assoc-admin")
    before = _count(app, Business)
    page = browser.post("/association/businesses/add", {**BUSINESS, "account_type": "4"})
    assert "預金種目は一覧から選んでください。" in page.get_data(as_text=True)
    assert _count(app, Business) == before
