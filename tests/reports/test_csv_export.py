"""The one CSV writer (issue 14.8): every CSV the product writes neutralises formulas, has one
charset in its content type, and the 発行管理簿 CSV no longer writes an inspector's name as a
formula."""
import csv
import io
import pathlib

import pytest

from app.extensions import db
from app.reports.csv_export import CONTENT_TYPES, CsvEncodingError, content_type, neutralise, render_csv
from app.services.certificates import confirmation
from app.tenancy import Tenant

HYPERLINK = '=HYPERLINK("http://example.invalid","x")'


def parse(content: bytes, encoding="utf-8-sig"):
    return list(csv.reader(io.StringIO(content.decode(encoding), newline="")))


@pytest.mark.parametrize("cell", [HYPERLINK, "+1+1", "@SUM(A1)", "\t=1", "\r=1", "-工場", "-2+3+cmd|' /C calc'!A0",
                                  "-", "－", "＝1+1", "＋1", "＠SUM(A1)"])
def test_formula_starts_become_text(cell):
    assert neutralise(cell) == ("'" + cell if cell != "－" else cell)


@pytest.mark.parametrize("cell", ["-120", "-1,200", "-0.5", "120", "株式会社=山田", "", "2026-05", "T1234567890123"])
def test_plain_values_stay(cell):
    assert neutralise(cell) == cell


def test_every_cell_is_guarded_header_included_and_none_is_empty():
    table = parse(render_csv(["=見出し", "b"], [[HYPERLINK, None], [-5, "-x"]]))
    assert table == [["'=見出し", "b"], ["'" + HYPERLINK, ""], ["-5", "'-x"]]


def test_cp932_refusal_names_row_column_and_character():
    with pytest.raises(CsvEncodingError) as info:
        render_csv(["名前"], [["山田"], ["𠮷田"]], "cp932")
    assert "3行目「名前」の「𠮷」" in str(info.value) and "UTF-8（BOM付き）で出力する" in str(info.value)


def test_one_charset_per_content_type():
    assert content_type("utf-8-sig") == "text/csv; charset=utf-8"
    assert content_type("cp932") == "text/csv; charset=shift_jis"
    with pytest.raises(ValueError):
        content_type("shift_jis")
    assert all(value.count("charset=") == 1 for value in CONTENT_TYPES.values())


def test_no_other_csv_writer_in_the_product():
    root = pathlib.Path(__file__).resolve().parents[2] / "app"
    writers = [str(path.relative_to(root)) for path in root.rglob("*.py")
               if "csv.writer" in path.read_text(encoding="utf-8") and "sandbox" not in path.parts]
    assert writers == ["reports/csv_export.py"]


def test_register_csv_neutralises_an_inspector_named_as_a_formula(app, tenants, browser):
    from tests.test_certificate_helpers import filled_draft, inspector_of, ready_site
    from tests.test_certificate_sender import NOW

    ids = tenants.ids["a"]
    with app.app_context():
        ready_site(db.session, ids["Site"])
        inspector_of(db.session, ids["Site"]).name = HYPERLINK
        tenant = Tenant(ids["Business"], frozenset(ids["sites"]))
        draft = filled_draft(db.session, tenant, ids["Site"], ids["users"]["inspector"], "CSV10-0000001")
        confirmation.confirm(db.session, draft, ids["users"]["inspector"], set(confirmation.PREFLIGHT_ITEMS), NOW)
        db.session.commit()
    browser.login("a-manager")
    response = browser.get("/certificates/register.csv?month=2026-11")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = [r for r in parse(response.data) if r[3] == "CSV10-0000001"]
    assert rows and rows[0][6] == "'" + HYPERLINK
    assert not any(cell.startswith(("=", "+", "@")) for row in parse(response.data) for cell in row)
