"""`flask demo-data` brings two complete months of use, and month-end runs from the shell:
`flask billing close` and `flask billing debit-file` (the services the screens and the scheduler
use), Japanese messages, exit 1 on refusal."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models.billing import BillableEvent
from app.models.certificate import Certificate
from app.models.invoice import BillingMonth, Invoice
from app.models.record import Record
from app.reports.zengin import split_records, validate_file
from app.timeutil import JST
from tests.test_deploy_check import ROOT, production_env
from tests.test_operator_settings import VALID

# The test clock stands on 2026-11-26: the demo's months are September and October 2026.
SEPTEMBER, OCTOBER = (2026, 9), (2026, 10)


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    return result.output


def jst_month(moment):
    """(year, month) of a stored naive-UTC moment, in Japan time."""
    local = moment.replace(tzinfo=dt.timezone.utc).astimezone(JST)
    return local.year, local.month


def test_demo_data_brings_two_months_of_billed_use(app, db_session, demo):
    assert "ご利用の実績 2026年9月・2026年10月" in demo
    events = db_session.scalars(select(BillableEvent)).all()
    assert {jst_month(e.occurred_at) for e in events} == {SEPTEMBER, OCTOBER}
    certificates = db_session.scalars(select(Certificate)).all()
    records = db_session.scalars(select(Record)).all()
    # Every certificate linked and every record output is billed, once.
    assert all(c.status in ("linked", "reported", "completed") and c.next_attempt_at is None
               for c in certificates)
    assert all(r.status == "output" and r.is_current for r in records)
    billed = {(e.kind, e.object_id): e for e in events}
    assert len(billed) == len(events) == len(certificates) + len(records)
    for certificate in certificates:
        event = billed[("certificate", certificate.id)]
        assert event.occurred_at == certificate.linked_at
        assert jst_month(event.occurred_at) == (certificate.inspection_date.year,
                                                certificate.inspection_date.month)
    for record in records:
        assert billed[("record", record.id)].occurred_at == record.output_at
        assert jst_month(record.output_at) == (record.inspection_date.year, record.inspection_date.month)
        assert record.chief_mechanic_signed_at is not None
    # Both businesses, every one of their sites in both months; records where the menu is on.
    from app.models.tenancy import Site

    names = dict(db_session.execute(select(Site.id, Site.name)).all())
    by_site = {}
    for event in events:
        by_site.setdefault(names[event.site_id], set()).add((event.kind, jst_month(event.occurred_at)))
    assert set(by_site) == {"本社工場", "世田谷工場", "練馬工場", "名古屋工場"}
    assert by_site["本社工場"] == by_site["名古屋工場"] == {
        (kind, month) for kind in ("certificate", "record") for month in (SEPTEMBER, OCTOBER)}
    assert by_site["世田谷工場"] == {("certificate", SEPTEMBER), ("certificate", OCTOBER)}
    designated = [r for r in records if r.kind == "designated"]
    assert designated and all(r.certificate_id and r.inspector_signed_at for r in designated)
    assert {r.certificate_number for r in designated} <= {c.issue_number for c in certificates}


def test_month_end_from_the_shell(app, db_session, demo, tmp_path):
    runner = app.test_cli_runner()
    closed = runner.invoke(args=["billing", "close", "2026-10"])
    assert closed.exit_code == 0, closed.output
    invoices = db_session.scalars(select(Invoice)).all()
    assert f"2026-10 を締めました(請求書 {len(invoices)}件、" in closed.output
    # さくらモータース (its 世田谷工場 billed apart) and みどり自動車.
    assert sorted(i.recipient_name for i in invoices) == [
        "有限会社みどり自動車", "株式会社さくらモータース", "株式会社さくらモータース 世田谷工場"]
    october_events = [e for e in db_session.scalars(select(BillableEvent))
                      if jst_month(e.occurred_at) == OCTOBER]
    lines = sum(line.quantity for invoice in invoices for line in invoice.lines)
    assert lines == len(october_events)
    again = runner.invoke(args=["billing", "close", "2026-10"])
    assert again.exit_code == 0 and "2026-10 は締め済みです。内容は変わっていません" in again.output

    out = tmp_path / "furikae.txt"
    produced = runner.invoke(args=["billing", "debit-file", "2026-10", "--out", str(out)])
    assert produced.exit_code == 0, produced.output
    content = out.read_bytes()
    assert validate_file(content) == []
    header = split_records(content)[0].decode("cp932")
    assert header[4:14] == app.config["DEBIT_CONSIGNOR_CODE"]
    assert header[58:62] == app.config["DEBIT_BANK_CODE"] and header[77:80] == app.config["DEBIT_BRANCH_CODE"]
    assert len(split_records(content)) == 3 + 3  # header, three debits, trailer, end
    assert "口座振替データを作成し、" in produced.output and "振替 3件" in produced.output
    month = db_session.scalars(select(BillingMonth).where(BillingMonth.year_month == "2026-10")).one()
    assert month.state == "debit_file_produced"
    out.unlink()
    rewritten = runner.invoke(args=["billing", "debit-file", "2026-10", "--out", str(out)])
    assert rewritten.exit_code == 0 and "作成済みの口座振替データを" in rewritten.output
    assert out.read_bytes() == content

    # A file that cannot be written is refused, and nothing half-written is left behind.
    nowhere = runner.invoke(args=["billing", "debit-file", "2026-10", "--out",
                                  str(tmp_path / "missing" / "x.txt")])
    assert nowhere.exit_code == 1 and "書き出せませんでした" in nowhere.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["furikae.txt"]


def test_settings_the_bank_file_cannot_carry_refuse_the_debit_file(app, app_config, db_session,
                                                                   tenants, tmp_path):
    from tests.test_billing_documents import add_month_events, set_account

    add_month_events(db_session, tenants, 2026, 10, {("a", "certificate"): 3})
    set_account(db_session, tenants.ids["a"]["Business"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["billing", "close", "2026-10"]).exit_code == 0
    app_config["DEBIT_CONSIGNOR_CODE"] = "12345"
    result = runner.invoke(args=["billing", "debit-file", "2026-10", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 1
    assert "DEBIT_CONSIGNOR_CODE（口座振替の委託者コード）: 委託者コードは半角数字10桁" in result.output
    assert db_session.scalars(select(BillingMonth.state).where(
        BillingMonth.year_month == "2026-10")).one() == "closed"
    assert not (tmp_path / "x.txt").exists()




@pytest.mark.parametrize("args, message", [
    (["billing", "close", "2026-11"], "2026-11 はまだ終わっていないため締められません。"),
    (["billing", "close", "2026/10"], "年月は「2026-10」のように西暦4桁-月2桁で指定してください。"),
    (["billing", "close", "2026-13"], "年月は「2026-10」のように"),
    (["billing", "debit-file", "2026-09", "--out", "{tmp}/x.txt"], "2026-09 はまだ締められていません。先に締めてください。"),
    (["billing", "debit-file", "202609", "--out", "{tmp}/x.txt"], "年月は「2026-10」のように"),
])
def test_refusals_exit_1_in_japanese(app, db_session, tmp_path, args, message):
    result = app.test_cli_runner().invoke(args=[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1
    assert result.output.strip().startswith(message)
    assert "Error" not in result.output
    assert not (tmp_path / "x.txt").exists()
    assert db_session.scalar(select(func.count(Invoice.id))) == 0


# The operator's sequence, in one fresh process (one start-up instead of five keeps it quick).
SEQUENCE = """
import sys
from run import app

runner = app.test_cli_runner()
for args in sys.argv[1:]:
    result = runner.invoke(args=args.split())
    print(result.output, end="")
    if result.exit_code:
        sys.exit(result.exit_code)
"""


def test_a_fresh_database_closes_last_month_from_the_shell(tmp_path):
    """On a fresh SQLite database with production settings from the environment:
    db upgrade heads, roles sync, demo-data, then last month's invoices for both demo
    businesses and a bank file with the configured 委託者コード and bank."""
    env = production_env(tmp_path, **VALID)
    today = dt.datetime.now(JST).date()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    out = tmp_path / "furikae.txt"
    result = subprocess.run(
        [sys.executable, "-c", SEQUENCE, "db upgrade heads", "roles sync", "demo-data",
         f"billing close {last}", f"billing debit-file {last} --out {out}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{last} を締めました(請求書 3件、" in result.stdout
    header = split_records(out.read_bytes())[0].decode("cp932")
    assert header[4:14] == VALID["DEBIT_CONSIGNOR_CODE"]
    assert header[58:62] == VALID["DEBIT_BANK_CODE"] and header[77:80] == VALID["DEBIT_BRANCH_CODE"]
    assert header[96:103] == VALID["DEBIT_ACCOUNT_NUMBER"]
