"""`flask jobs list` and `flask jobs run <job_id> [--month 2026-10]`: the scheduler's jobs by
hand, for a missed run or a re-run after a fix (every job is idempotent per period)."""
import inspect

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="スケジューラのジョブを一覧表示・手動実行します。")


@jobs_cli.command("list")
def list_command():
    """ジョブの一覧(ID、実行タイミング、定義モジュール)を表示します。"""
    from scheduler import describe, discover_jobs

    for spec in discover_jobs().values():
        click.echo(describe(spec))


@jobs_cli.command("run")
@click.argument("job_id")
@click.option("--month", help="対象の年月(例: 2026-10)。締めのジョブで使います。")
def run_command(job_id, month):
    """ジョブ JOB_ID を今すぐ1回実行します。"""
    from scheduler import discover_jobs, run_job

    jobs = discover_jobs()
    spec = jobs.get(job_id)
    if spec is None:
        raise click.ClickException(
            f"ジョブ「{job_id}」はありません。`flask jobs list` で ID を確認してください。")
    kwargs = {}
    if month:
        if "month" not in inspect.signature(spec["func"]).parameters:
            raise click.ClickException(f"ジョブ「{job_id}」は --month を指定できません。")
        kwargs["month"] = month
    from app.services.billing import BillingError

    try:
        result = run_job(current_app._get_current_object(), job_id, spec["func"], **kwargs)
    except BillingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{job_id}: 完了しました（結果: {result}）")
