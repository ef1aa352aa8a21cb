"""`flask documents samples --out DIR` (issue 16.1): every document, from its own sample data."""
import csv
import io
import json
import re

import pytest
from pypdf import PdfReader

from app.domain.inspection_forms import FORMS, load_form
from app.services import record_samples
from tests.reports.pdf_probe import unembedded_fonts

OTHER_FILES = ("ocr-registered.pdf", "ocr-kei.pdf", "weight-tax-registered.pdf", "weight-tax-kei.pdf",
               "confirmation-registered.pdf", "invoice.pdf", "invoice.csv", "invoice-cp932.csv", "debit.txt",
               "register.pdf", "register.csv", "registration-notice.pdf", "application-blank.pdf",
               "application-filled.pdf", "samples.json", "calibration-ocr-registered.pdf", "calibration-ocr-kei.pdf",
               "calibration-weight-tax-registered.pdf", "calibration-weight-tax-kei.pdf")


def record_files():
    names = [f"record-{form}-{interval}-{copy}.pdf" for form in FORMS
             for interval in load_form(form, record_samples.SAMPLE_DATE).intervals for copy in ("shop", "customer")]
    return names + ["record-beppyo3-12-truck-shop.pdf", "record-beppyo3-12-truck-customer.pdf",
                    "record-beppyo4-12-trailer-customer.pdf"]


@pytest.fixture(scope="module")
def samples(app, tmp_path_factory):
    out = tmp_path_factory.mktemp("samples") / "documents"  # not there yet: the command makes it
    result = app.test_cli_runner().invoke(args=["documents", "samples", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "samples.json" in result.output
    return out, json.loads((out / "samples.json").read_text(encoding="utf-8"))


def test_every_listed_file_is_written(samples):
    out, manifest = samples
    expected = set(record_files()) | set(OTHER_FILES)
    assert len(record_files()) == 19
    assert {p.name for p in out.iterdir()} == expected
    assert set(manifest["files"]) == expected - {"samples.json"}
    assert '=HYPERLINK("http://example.invalid","x")' in manifest["inspector_names"]
    assert manifest["files"]["invoice.pdf"]["registration_number"].startswith("T")


def test_every_record_page_shows_its_chassis_and_plate(samples):
    out, manifest = samples
    for name in record_files():
        values = manifest["files"][name]
        pages = PdfReader(out / name).pages
        for number, page in enumerate(pages, 1):
            text = page.extract_text()
            assert values["chassis_number"] in text, (name, number)
            assert values["registration_number"].replace(" ", "") in text.replace(" ", ""), (name, number)


def test_no_pdf_names_a_font_it_does_not_embed(samples):
    out, _manifest = samples
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 19 + 14
    assert {p.name: unembedded_fonts(p.read_bytes()) for p in pdfs} == {p.name: [] for p in pdfs}


def test_kei_forms_are_named_in_the_pdf_title(samples):
    out, _manifest = samples
    assert "軽専用第2号様式" in PdfReader(out / "ocr-kei.pdf").metadata.title
    assert "検査対象軽自動車" in PdfReader(out / "weight-tax-kei.pdf").metadata.title
    assert "専用第3号様式" in PdfReader(out / "ocr-registered.pdf").metadata.title
    assert "検査自動車" in PdfReader(out / "weight-tax-registered.pdf").metadata.title



@pytest.mark.parametrize("name, encoding", [("register.csv", "utf-8-sig"), ("invoice.csv", "utf-8-sig"),
                                            ("invoice-cp932.csv", "cp932")])
def test_no_csv_field_can_run_as_a_formula(samples, name, encoding):
    out, manifest = samples
    rows = list(csv.reader(io.StringIO((out / name).read_bytes().decode(encoding), newline="")))
    cells = [cell for row in rows for cell in row]
    assert cells
    bad = [c for c in cells if c.startswith(("=", "+", "@")) or (c.startswith("-") and not c[1:2].isdigit())]
    assert bad == []
    if name == "register.csv":
        assert "'" + manifest["inspector_names"][1] in cells
        for chassis in manifest["files"][name]["chassis_numbers"]:
            assert chassis in cells


def test_debit_file_is_a_valid_zengin_file(samples):
    from app.reports.zengin import validate_file

    out, manifest = samples
    content = (out / "debit.txt").read_bytes()
    assert validate_file(content) == []
    assert f"{manifest['files']['debit.txt']['total_yen']:010d}".encode() in content


def test_invoice_pdf_shows_the_issuer_address_and_phone_from_the_settings(app, samples):
    out, manifest = samples
    text = "".join(p.extract_text() for p in PdfReader(out / "invoice.pdf").pages).replace(" ", "")
    for name in ("ASSOCIATION_NAME", "ASSOCIATION_ADDRESS", "ASSOCIATION_PHONE"):
        assert app.config[name].replace(" ", "") in text, name
    assert manifest["files"]["invoice.pdf"]["registration_number"] in text


def test_registration_notice_addressee_and_bullets(samples):
    out, manifest = samples
    values = manifest["files"]["registration-notice.pdf"]
    lines = PdfReader(out / "registration-notice.pdf").pages[0].extract_text().splitlines()
    # The company, then the person, with a space; not run together.
    addressee = re.compile(re.escape(values["business_name"]) + r"[ \u3000]+" + re.escape(values["user_name"]) + " 様")
    assert any(addressee.fullmatch(line.strip()) for line in lines), lines
    assert len([line for line in lines if line.strip().startswith("・")]) == 5  # one line a bullet


def test_register_pdf_keeps_each_plate_on_one_line(samples):
    out, manifest = samples
    text = PdfReader(out / "register.pdf").pages[0].extract_text()
    plates = manifest["files"]["register.pdf"]["registration_numbers"]
    assert "尾張小牧 580 ゆ 56-78" in plates
    for plate in plates:
        assert plate in text, plate
