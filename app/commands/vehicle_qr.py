"""`flask vehicle-qr parse`: what the parser makes of a customer's reader output.

Support staff paste (or pipe) what the reader typed; the command prints the result, or the
error code and the message the clerk saw, as JSON. It needs no app context.

    flask vehicle-qr parse < reads.txt
    flask vehicle-qr parse --json-input <<< '["K/22/…", "K/32/…"]'
"""

import json
import sys

import click
from flask.cli import AppGroup

from app.domain.vehicle_qr import VehicleQRError, error_to_dict, parse_scans, result_to_dict

vehicle_qr_cli = AppGroup("vehicle-qr", help="車検証の二次元コード（QRリーダーの出力）を調べます。")


@vehicle_qr_cli.command("parse", with_appcontext=False)
@click.option("--json-input", is_flag=True,
              help='Standard input is a JSON list of reads (["…", "…"]) instead of the raw reader text.')
def parse_command(json_input: bool) -> None:
    """Read the reader's output from standard input and print the parse as JSON.

    Exit status 0 when the codes were accepted, 1 when the parser refused them (the error code
    and message are printed), 2 for unusable input."""
    raw = click.get_binary_stream("stdin").read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.UsageError("standard input is not UTF-8") from None
    reads = text
    if json_input:
        try:
            reads = json.loads(text)
        except ValueError as exc:
            raise click.UsageError(f"--json-input: standard input is not JSON ({exc})") from None
    try:
        output, status = result_to_dict(parse_scans(reads)), 0
    except VehicleQRError as err:
        output, status = error_to_dict(err), 1
    click.echo(json.dumps(output, ensure_ascii=False, indent=2))
    sys.exit(status)
