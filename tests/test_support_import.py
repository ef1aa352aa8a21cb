"""The association imports a web application into Business and Site rows, with the same
rules as its own business form."""
from sqlalchemy import select

from tests.test_public_application import CORPORATE_NUMBER, application_form


def _submit(app, browser, **overrides):
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission

    applicant = type(browser)(app)
    assert applicant.post("/guide/application", application_form(**overrides)).status_code == 200
    with app.app_context():
        return db.session.scalars(select(ApplicationFormSubmission).order_by(
            ApplicationFormSubmission.id.desc())).first()


def test_the_association_imports_a_submission(app, tenants, browser):
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission
    from app.models.tenancy import Business

    submission = _submit(app, browser, **{
        "sites-1-name": "第二工場", "sites-1-address": "東京都目黒区1-1",
        "sites-1-certification_number": "東認第2345号", "sites-1-designation_number": "6789",
        "sites-1-district_code": "30", "sites-1-airas_registered": "0",
        "sites-1-ainas_status": "hybrid_only", "sites-1-records_enabled": "0",
        "sites-1-billed_separately": "1"})
    browser.login("assoc-admin")
    shown = browser.get(f"/support/applications/show/{submission.id}").get_data(as_text=True)
    assert "株式会社みどり自動車" in shown and "事業者・事業場として登録する" in shown
    response = browser.post(f"/support/applications/import/{submission.id}")
    assert response.status_code == 302
    with app.app_context():
        business = db.session.scalars(select(Business).where(
            Business.corporate_number == CORPORATE_NUMBER)).one()
        assert response.headers["Location"].endswith(f"/association/businesses/show/{business.id}")
        assert (business.bank_code, business.branch_code, business.account_number) == (
            "0001", "001", "0123456")
        assert business.account_holder_kana == "ｶ)ﾐﾄﾞﾘｼﾞﾄﾞｳｼﾔ"
        sites = {s.name: s for s in business.sites}
        assert set(sites) == {"本社工場", "第二工場"}
        main, second = sites["本社工場"], sites["第二工場"]
        assert main.airas_shop_code == "30-5678" and main.records_enabled
        assert main.ainas_status == "registered" and not main.billed_separately
        assert not second.airas_registered and second.ainas_status == "hybrid_only"
        assert second.billed_separately and not second.records_enabled
        stored = db.session.get(ApplicationFormSubmission, submission.id)
        assert stored.status == "imported" and stored.imported_business_id == business.id
    again = browser.post(f"/support/applications/import/{submission.id}",
                         follow_redirects=True)
    assert "すでに処理済みです" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Business).filter_by(corporate_number=CORPORATE_NUMBER).count() == 1


def test_an_existing_corporate_number_is_not_imported_twice(app, tenants, browser):
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission

    first = _submit(app, browser)
    second = _submit(app, browser, **{"business-name": "株式会社みどり自動車 再申込"})
    browser.login("assoc-admin")
    browser.post(f"/support/applications/import/{first.id}")
    page = browser.post(f"/support/applications/import/{second.id}",
                        follow_redirects=True).get_data(as_text=True)
    assert "この法人番号の事業者はすでに登録されています" in page
    with app.app_context():
        assert db.session.get(ApplicationFormSubmission, second.id).status == "new"


def test_stored_data_that_breaks_the_rules_is_refused_with_reasons(app, tenants, browser):
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission
    from app.models.tenancy import Site

    sites_before = None
    with app.app_context():
        sites_before = db.session.query(Site).count()
    browser.login("assoc-admin")
    seeded = tenants.ids["b"]["ApplicationFormSubmission"]  # a business name and no site
    page = browser.post(f"/support/applications/import/{seeded}",
                        follow_redirects=True).get_data(as_text=True)
    assert "事業場を1つ以上入力してください。" in page
    assert "事業者名フリガナを入力してください。" in page
    with app.app_context():
        assert db.session.get(ApplicationFormSubmission, seeded).status == "new"
        assert db.session.query(Site).count() == sites_before


def test_only_the_association_admin_imports(app, tenants, browser):
    submission = _submit(app, browser)
    browser.login("assoc-staff")
    assert browser.post(
        f"/support/applications/import/{submission.id}").status_code == 403
    pdf = browser.get(f"/support/applications/pdf/{submission.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    shop = type(browser)(app)
    shop.login("a-manager")
    assert shop.post(
        f"/support/applications/import/{submission.id}").status_code == 403
    assert shop.get("/support/applications/list/").status_code == 403
