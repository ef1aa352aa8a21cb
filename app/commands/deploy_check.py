"""`flask deploy-check`: before production starts, every operator setting (app/settings.py)
of the settings class in ``KEIZOKU_CONFIG`` that is missing, a sample or invalid, by its
environment name. Exit 1 when there is one, 0 when all are set and valid.

Always judged by production's rules, whatever the class: the question is whether these
settings could go live.
"""
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.settings import settings_problems


@click.command("deploy-check")
@with_appcontext
def deploy_check_cli():
    """本番運用の前に、協会の設定(環境変数)に未設定・見本の値・誤りがないか確かめます。"""
    settings_class = os.environ.get("KEIZOKU_CONFIG", "config.DevelopmentConfig")
    problems = settings_problems(current_app.config, production=True)
    if not problems:
        click.echo(f"{settings_class}: 協会の設定はすべて揃っていて、本番で使える値です。")
        return
    click.echo(f"{settings_class}: 次の {len(problems)} 件の設定を環境変数で直してください。")
    for problem in problems:
        click.echo(f"  {problem.line()}")
    sys.exit(1)
