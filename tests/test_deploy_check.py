"""`flask deploy-check` and the production processes' own check at start, run as the operator
runs them: fresh processes with ``KEIZOKU_CONFIG=config.Config`` and only the environment."""
import os
import subprocess
import sys
from pathlib import Path

from tests.test_operator_settings import VALID

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(tmp_path, **settings):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "FLASK_APP": "run.py", "KEIZOKU_CONFIG": "config.Config",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.db'}", **settings}
    return env


def run(args, env, timeout=90):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_deploy_check_names_every_unset_setting_and_exits_1(tmp_path):
    result = run([str(BIN / "flask"), "deploy-check"], production_env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "config.Config: 次の 15 件の設定を環境変数で直してください。"
    for name in ("DEBIT_CONSIGNOR_CODE", "INVOICE_REGISTRATION_NUMBER", "PUBLIC_BASE_URL"):
        assert any(line.strip().startswith(f"{name}（") and "設定されていません。" in line
                   for line in lines), name
    assert "SERVICE_NAME" not in result.stdout  # optional: "Keizoku" unless set


def test_deploy_check_passes_valid_settings(tmp_path):
    result = run([str(BIN / "flask"), "deploy-check"], production_env(tmp_path, **VALID))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "config.Config: 協会の設定はすべて揃っていて、本番で使える値です。\n"


def test_deploy_check_names_a_wrong_check_digit(app, app_config):
    # In this process (the same command on the test app's config), to keep the suite quick.
    app_config.update({**VALID, "INVOICE_REGISTRATION_NUMBER": "T8700110005902"})
    wrong = app.test_cli_runner().invoke(args=["deploy-check"])
    assert wrong.exit_code == 1
    (problem,) = [line.strip() for line in wrong.output.splitlines()[1:]]
    assert problem.startswith("INVOICE_REGISTRATION_NUMBER（適格請求書発行事業者登録番号）:")
    assert "チェックディジット" in problem


def test_gunicorn_workers_refuse_to_start_on_sample_settings(tmp_path):
    from config import OPERATOR_SAMPLES

    env = production_env(tmp_path, **{**OPERATOR_SAMPLES, "SECRET_KEY": VALID["SECRET_KEY"]})
    result = run([str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:0", "run:app"], env)
    assert result.returncode != 0
    line = next(l for l in result.stderr.splitlines() if "refuses to start" in l)
    assert line.startswith("web refuses to start: operator settings missing, sample or invalid:")
    assert "DEBIT_CONSIGNOR_CODE (sample)" in line and "DEBIT_BANK_CODE" not in line
    assert "Worker failed to boot" in result.stderr


def test_the_scheduler_refuses_to_start_without_settings(tmp_path):
    env = production_env(tmp_path, **{**VALID, "PUBLIC_BASE_URL": "http://keizoku.example.jp"})
    result = run([sys.executable, "-m", "scheduler"], env)
    assert result.returncode == 1
    line = next(l for l in result.stderr.splitlines() if "refuses to start" in l)
    assert "CRITICAL" in line and "scheduler refuses to start:" in line
    assert "PUBLIC_BASE_URL (invalid)" in line and "DEBIT" not in line
