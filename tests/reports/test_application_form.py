"""The 申込書 (issue 16.5): a 預金口座振替依頼書 page with the 届出印 box, filled from the online
form, so that the first debit is not returned for a missing 依頼書; the site table gives the
address and the phone their own columns."""
import io

from pypdf import PdfReader

from app.services import support
from app.services.document_samples import APPLICATION_FORM
from tests.reports.pdf_probe import fragments, unembedded_fonts


def filled_data():
    data, errors = support.validate_application(support.application_from_form(APPLICATION_FORM))
    assert errors == {}
    return data


def test_filled_form_has_a_debit_authorisation_page_with_the_seal_box(app):
    with app.test_request_context():
        pdf = support.render_application_pdf(filled_data(), "APP-0001")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    for value in ("預金口座振替依頼書", "お届出印", "預金口座振替規定", "株式会社みどり自動車", "0123456", "ミズホ",
                  "トウキヨウ", "東京都渋谷区神宮前1-2-3", "03-1234-5678", "APP-0001",
                  app.config["DEBIT_CONSIGNOR_CODE"], app.config["ASSOCIATION_NAME"].split()[-1]):
        assert value in text, value
    assert "ｶ)ﾐﾄﾞﾘｼﾞﾄﾞｳｼﾔ" in text.replace(" ", "")
    assert "依頼書がないと" in reader.pages[0].extract_text()
    assert unembedded_fonts(pdf) == []


def test_blank_form_has_the_same_page_without_values(app):
    with app.test_request_context():
        pdf = support.render_application_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    assert "預金口座振替依頼書" in text and "お届出印" in text and "普通 ・ 当座" in text
    assert "みどり" not in text


def test_site_address_and_phone_are_separate_columns(app):
    with app.test_request_context():
        pdf = support.render_application_pdf(filled_data(), "APP-0001")
    page = fragments(pdf)[0]
    header = [f for f in page if f.text == "電話番号"][-1]  # the site table's header (the business table has one too)
    phones = [f for f in page if f.text == "03-1234-5678" and f.y > header.y]
    addresses = [f for f in page if f.text.startswith("〒") and f.y > header.y]  # the address column starts so
    assert phones and addresses, [(f.text, round(f.x), round(f.y)) for f in page if f.y > header.y][:30]
    assert abs(phones[0].x - header.x) < 10  # under its own (centred) header, on one line
    assert phones[0].x > addresses[0].x + 20
