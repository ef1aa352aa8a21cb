"""`flask documents samples --out DIR`: every document the product produces, from sample data."""
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services.document_samples import write_samples

documents_cli = AppGroup("documents", help="帳票の見本(記録簿、OCRシート、請求書など)。")


@documents_cli.command("samples")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="見本を書き出すフォルダ(なければ作ります)。")
def samples_command(out):
    """すべての帳票の見本を見本データから書き出します(本番のデータベースは使いません)。"""
    manifest = write_samples(out)
    click.echo(f"{len(manifest['files'])} 件の帳票と samples.json を {out} に書き出しました。")
