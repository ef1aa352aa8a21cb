"""The application form: a web form anyone can fill in, a PDF that carries what was entered
(with an embedded Japanese font), and the same rules as the association's business form."""
import io

from pypdf import PdfReader
from sqlalchemy import select

from app.domain.corporate_number import check_digit

CORPORATE_NUMBER = f"{check_digit('011001012345')}011001012345"


def application_form(**overrides):
    data = {
        "business-name": "株式会社みどり自動車", "business-name_kana": "かぶしきがいしゃみどりじどうしゃ",
        "business-corporate_number": CORPORATE_NUMBER, "business-postal_code": "150-0001",
        "business-address": "東京都渋谷区神宮前1-2-3", "business-phone": "03-1234-5678",
        "business-contact_name": "緑川 花子", "business-contact_email": "office@midori.example.jp",
        "business-bank_code": "0001", "business-branch_code": "001", "business-account_type": "1",
        "business-account_number": "123456", "business-account_holder_kana": "カ)ミドリジドウシャ",
        "sites-0-name": "本社工場", "sites-0-address": "東京都渋谷区神宮前1-2-3",
        "sites-0-certification_number": "東認第1234号", "sites-0-designation_number": "5678",
        "sites-0-district_code": "30", "sites-0-airas_registered": "1",
        "sites-0-ainas_status": "registered", "sites-0-records_enabled": "1",
        "sites-0-billed_separately": "0",
        "sites-1-name": "", "sites-1-address": "", "sites-1-airas_registered": "",
        "sites-1-ainas_status": "", "sites-1-records_enabled": "", "sites-1-billed_separately": "",
        "action": "create",
    }
    data.update(overrides)
    return data


def pdf_text_and_fonts(content):
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [d.get_object().get("/FontDescriptor")
                            for d in font.get("/DescendantFonts", [])]
            for descriptor in filter(None, descriptors):
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(str(font["/BaseFont"]))
    return text, embedded


def _submissions(app):
    from app.extensions import db
    from app.models.support import ApplicationFormSubmission

    with app.app_context():
        return db.session.scalars(select(ApplicationFormSubmission).where(
            ApplicationFormSubmission.reference != "9999-0001")).all()


def test_entered_data_lands_in_the_pdf_with_an_embedded_japanese_font(app, tenants, browser):
    page = browser.get("/guide/application").get_data(as_text=True)
    assert 'name="business-corporate_number"' in page and 'name="sites-2-name"' in page
    done = browser.post("/guide/application", application_form())
    assert done.status_code == 200
    [submission] = _submissions(app)
    body = done.get_data(as_text=True)
    assert submission.reference in body
    pdf = browser.get(f"/guide/application/{submission.reference}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    text, embedded = pdf_text_and_fonts(pdf.data)
    for value in ("株式会社みどり自動車", "カブシキガイシャミドリジドウシャ", CORPORATE_NUMBER,
                  "緑川 花子", "office@midori.example.jp", "本社工場", "東認第1234号", "5678",
                  submission.reference, "0123456", "ミズホ", "登録済"):
        assert value in text, value
    assert any("IPAex" in name for name in embedded), embedded


def test_the_stored_data_is_normalized_for_the_back_office(app, tenants, browser):
    browser.post("/guide/application", application_form(**{
        "business-account_number": "１２３４５６", "business-phone": "０３-１２３４-５６７８"}))
    [submission] = _submissions(app)
    business = submission.data["business"]
    assert business["name_kana"] == "カブシキガイシャミドリジドウシャ"  # hiragana → katakana
    assert business["account_holder_kana"] == "ｶ)ﾐﾄﾞﾘｼﾞﾄﾞｳｼﾔ"  # half-width, as the bank file needs
    assert business["account_number"] == "0123456"  # full-width digits, padded to 7
    assert business["phone"] == "03-1234-5678"
    assert [s["name"] for s in submission.data["sites"]] == ["本社工場"]  # empty block dropped


def test_only_the_browser_that_sent_the_form_gets_its_pdf(app, tenants, browser):
    browser.post("/guide/application", application_form())
    [submission] = _submissions(app)
    stranger = app.test_client()
    assert stranger.get(f"/guide/application/{submission.reference}.pdf").status_code == 404


def test_bad_input_gets_japanese_messages_and_stores_nothing(app, tenants, browser):
    wrong = f"{(check_digit('011001012345') + 1) % 10}011001012345"
    response = browser.post("/guide/application", application_form(**{
        "business-corporate_number": wrong, "business-bank_code": "9899",
        "business-account_holder_kana": "株式会社", "business-contact_email": "office",
        "sites-0-records_enabled": "1", "sites-0-designation_number": "",
        "sites-0-district_code": "301",
    }))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "チェックデジット" in page
    assert "この金融機関コードは見つかりません" in page
    assert "口座名義は半角カタカナ" in page
    assert "メールアドレスの形式を確認してください" in page
    assert "指定番号を入力してください。" in page
    assert "運輸支局コードは半角数字2桁で入力してください。" in page
    assert 'value="株式会社みどり自動車"' in page  # what was typed stays in the form
    assert _submissions(app) == []


def test_a_form_without_sites_is_refused(app, tenants, browser):
    data = {k: v for k, v in application_form().items() if not k.startswith("sites-0")}
    page = browser.post("/guide/application", data).get_data(as_text=True)
    assert "事業場を1つ以上入力してください。" in page
    assert _submissions(app) == []


def test_more_site_blocks_keep_what_was_typed(app, tenants, browser):
    page = browser.post("/guide/application", application_form(action="more")).get_data(
        as_text=True)
    assert 'name="sites-4-name"' in page and 'value="本社工場"' in page
    assert _submissions(app) == []


def test_blank_form_pdf_has_the_fields_and_no_data(app, tenants):
    response = app.test_client().get("/guide/application/blank.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, embedded = pdf_text_and_fonts(response.data)
    text = "".join(text.split())  # narrow header cells wrap
    for label in ("法人番号", "金融機関コード", "支店コード", "口座番号", "口座名義", "認証番号", "指定番号",
                  "運輸支局コード", "AIRAS", "AINAS", "記録簿"):
        assert label in text, label
    assert "受付番号" not in text
    assert any("IPAex" in name for name in embedded)
