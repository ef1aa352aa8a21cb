"""`flask vehicle-qr parse`, run through click's CliRunner on the group (no app needed)."""

import json
from pathlib import Path

from click.testing import CliRunner

from app.commands.vehicle_qr import vehicle_qr_cli

VECTORS = {v["name"]: v for v in json.loads(
    (Path(__file__).parent / "data" / "qr-vectors.json").read_text(encoding="utf-8"))}


def run(stdin, *args):
    return CliRunner().invoke(vehicle_qr_cli, ["parse", *args], input=stdin)


def test_reader_text_gives_the_result_as_json():
    vector = VECTORS["unrelated_qr_code"]
    result = run("\r\n".join(vector["scans"]) + "\r\n")
    assert result.exit_code == 0, result.output
    assert "なにわ" in result.output  # ensure_ascii=False: readable Japanese
    data = json.loads(result.output)
    assert data["vehicle_kind"] == "kei"
    assert data["fields"] == vector["expected"]
    assert data["warnings"][0]["code"] == "UNRELATED_CODE_IGNORED"
    assert data["rejected_scans"] == [1]


def test_refused_reads_print_the_error_code_and_message():
    result = run("\n".join(VECTORS["registered_missing_symbol"]["scans"]))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["error"]["code"] == "MISSING_CODE"
    assert "二次元コード3の2つ目" in data["error"]["message"]


def test_json_list_input():
    vector = VECTORS["registered_paper_per_symbol"]
    result = run(json.dumps(vector["scans"], ensure_ascii=False), "--json-input")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fields"] == vector["expected"]


def test_byte_order_mark_from_a_windows_editor_is_dropped():
    vector = VECTORS["kei_paper_v31"]
    result = run(("\ufeff" + "\r\n".join(vector["scans"])).encode("utf-8"))
    assert result.exit_code == 0, result.output


def test_unusable_input():
    assert run(b"\xff\xfe").exit_code == 2
    assert run("not json", "--json-input").exit_code == 2
    result = run("")
    assert result.exit_code == 1
    assert json.loads(result.output)["error"]["code"] == "NO_VEHICLE_CODE"


def test_group_is_named_for_the_app_factory():
    assert vehicle_qr_cli.name == "vehicle-qr"
    assert "parse" in vehicle_qr_cli.commands
