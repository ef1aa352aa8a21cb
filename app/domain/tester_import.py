"""Importing the results of a test line (検査機器: side slip, brakes, speedometer, headlamps,
exhaust) from the export file of a maker's line PC.

The makers (バンザイ, イヤサカ, 安全自動車, アルティア) do not publish their export formats
(records.md §8). Each maker is therefore a *mapping profile*: data that says how a file is
encoded, split and which column holds which value in which unit. The built-in profiles in
``app/domain/data/tester_profiles/`` are ASSUMPTIONS written from the value set of records.md
§8, to be confirmed against a real export of each maker (or the maker's specification); the
association edits them, or adds profiles, without a code change.

A profile (JSON object):
  code, maker, name          identity ("banzai", "バンザイ", a descriptive name)
  assumption                 what is assumed and still to be confirmed
  maker_code                 the value of the first column of every data line ("BZ")
  encodings                  tried in order, e.g. ["utf-8-sig", "cp932"]
  delimiter                  "," or "\\t"
  header                     true when the first line holds the column titles
  columns                    one per column, in order: {"title", "field", "type", "unit",
                             "sign"}; type is text | number | judgement | datetime | direction;
                             "field" is a dotted path in the result ("brakes.axles.0.left_n"),
                             or null for a column that is read and ignored
  constants                  {"field": value} set on every reading (axle names, beam)
  datetime_format            strptime format of datetime columns

The result of one data line (one attempt on the line) uses the keys the record PDF prints
(app/reports/record_pdf.py, ``tester``), plus ``meta`` (maker, measured_at, reception and
vehicle numbers). Values are converted to canonical units: N for forces, m/km for side slip,
cd, km/h, %, ppm, dB.

Errors are Japanese, one per problem, each with its line number; a file with any error
imports nothing.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

__all__ = [
    "TesterImportError",
    "builtin_profiles",
    "parse_tester_export",
    "validate_profile",
]

PROFILE_DIR = Path(__file__).parent / "data" / "tester_profiles"
COLUMN_TYPES = ("text", "number", "judgement", "datetime", "direction")
GRAVITY = 9.80665
# unit → (canonical unit, factor)
UNITS = {
    "N": ("N", 1.0),
    "daN": ("N", 10.0),
    "kgf": ("N", GRAVITY),
    "kN": ("N", 1000.0),
    "m/km": ("m/km", 1.0),
    "mm/m": ("m/km", 1.0),
    "cd": ("cd", 1.0),
    "km/h": ("km/h", 1.0),
    "%": ("%", 1.0),
    "ppm": ("ppm", 1.0),
    "dB": ("dB", 1.0),
    "kg": ("kg", 1.0),
    "m-1": ("m-1", 1.0),
}
PASS_WORDS = {"○", "〇", "OK", "ok", "合", "合格", "1", "G", "PASS"}
FAIL_WORDS = {"×", "NG", "ng", "否", "不合格", "0", "F", "FAIL"}
DIRECTION_WORDS = {"IN": "IN", "イン": "IN", "I": "IN", "OUT": "OUT", "アウト": "OUT", "O": "OUT"}
MAX_ERRORS = 30
# A test line's export is a few kilobytes; a larger file is not one (and is not read further).
MAX_EXPORT_BYTES = 512 * 1024
TOO_LARGE_MESSAGE = (f"ファイルが大きすぎます({MAX_EXPORT_BYTES // 1024}KBまで)。"
                     "検査ラインから出力したままのファイルを選んでください。")


class TesterImportError(ValueError):
    """The file cannot be imported; ``errors`` lists every problem with its line number."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@lru_cache(maxsize=1)
def _builtin_profiles_cached():
    profiles = {}
    for path in sorted(PROFILE_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            profile = json.load(fh)
        problems = validate_profile(profile)
        if problems:
            raise ValueError(f"tester profile {path.name} is invalid: {problems}")
        profiles[profile["code"]] = profile
    return profiles


def builtin_profiles() -> dict[str, dict]:
    """The profiles shipped as data files, by code (copies: callers may change them)."""
    return json.loads(json.dumps(_builtin_profiles_cached()))


def validate_profile(profile) -> list[str]:
    """Japanese problems of a mapping profile (empty when it can be used)."""
    if not isinstance(profile, dict):
        return ["設定はJSONのオブジェクト({ ... })で入力してください。"]
    problems = []
    for key in ("code", "maker", "name", "maker_code", "delimiter", "columns"):
        if not profile.get(key):
            problems.append(f"「{key}」を設定してください。")
    columns = profile.get("columns")
    if columns and not isinstance(columns, list):
        problems.append("「columns」は列の一覧(配列)で設定してください。")
        columns = []
    fields = set()
    for index, column in enumerate(columns or [], 1):
        if not isinstance(column, dict) or not column.get("title"):
            problems.append(f"{index}列目: 「title」(列の見出し)を設定してください。")
            continue
        kind = column.get("type", "text")
        if kind not in COLUMN_TYPES:
            problems.append(f"{index}列目「{column['title']}」: 種類「{kind}」は使えません"
                            f"({'、'.join(COLUMN_TYPES)} のいずれか)。")
        unit = column.get("unit")
        if unit is not None and unit not in UNITS:
            problems.append(f"{index}列目「{column['title']}」: 単位「{unit}」は使えません"
                            f"({'、'.join(UNITS)} のいずれか)。")
        field = column.get("field")
        if field:
            if field in fields:
                problems.append(f"{index}列目「{column['title']}」: 項目「{field}」が重複しています。")
            fields.add(field)
    if columns and (not isinstance(columns[0], dict) or columns[0].get("field") != "maker_code"):
        problems.append("1列目はメーカーコード(field: maker_code)にしてください。")
    if profile.get("delimiter") and len(profile["delimiter"]) != 1:
        problems.append("「delimiter」(区切り文字)は1文字で設定してください。")
    return problems


def _decode(content, encodings) -> str:
    if isinstance(content, str):
        return content
    for encoding in encodings or ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TesterImportError(["ファイルの文字コードを判別できません。"
                             "検査ラインから出力したままのファイル(UTF-8 または Shift_JIS)を選んでください。"])


def _rows(text, delimiter):
    """(line number, fields) for every non-blank line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for fields in reader:
        if any(f.strip() for f in fields):
            yield reader.line_num, [f.strip() for f in fields]


def _set_path(target, path, value):
    keys = path.split(".")
    node = target
    for key, following in zip(keys, keys[1:]):
        if key.isdigit():
            index = int(key)
            while len(node) <= index:
                node.append({})
            node = node[index]
        else:
            default = [] if following.isdigit() else {}
            node = node.setdefault(key, default)
    last = keys[-1]
    if last.isdigit():
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def _convert(column, raw, line, profile):
    """The column's value in canonical form; raises ValueError with a Japanese message."""
    title = column["title"]
    kind = column.get("type", "text")
    if raw == "":
        return None
    if kind == "text":
        return raw
    if kind == "number":
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            raise ValueError(f"{line}行目: 「{title}」の値「{raw}」が数値ではありません。"
                             "検査ラインの出力設定(数値の形式)を確認してください。") from None
        unit = column.get("unit")
        if unit:
            value *= UNITS[unit][1]
        digits = column.get("digits", 2)
        return round(value, digits)
    if kind == "judgement":
        if raw in PASS_WORDS:
            return True
        if raw in FAIL_WORDS:
            return False
        raise ValueError(f"{line}行目: 「{title}」の判定「{raw}」を読み取れません"
                         "(○/×、OK/NG、合/否 のいずれか)。")
    if kind == "direction":
        direction = DIRECTION_WORDS.get(raw.upper() if raw.isascii() else raw)
        if direction is None:
            raise ValueError(f"{line}行目: 「{title}」の向き「{raw}」を読み取れません(IN/OUT)。")
        return direction
    if kind == "datetime":
        fmt = profile.get("datetime_format", "%Y/%m/%d %H:%M:%S")
        try:
            return datetime.strptime(raw, fmt).isoformat()
        except ValueError:
            raise ValueError(f"{line}行目: 「{title}」の日時「{raw}」が形式 {fmt} と合いません。") from None
    raise ValueError(f"unknown column type {kind!r}")


def _derive(reading):
    """Fill what the printed form needs but a line may not send: percentages of axle load,
    the side-slip direction from a signed value."""
    slip = reading.get("side_slip")
    if slip and slip.get("value") is not None and "direction" not in slip and slip.get("_sign"):
        positive, negative = slip["_sign"]
        slip["direction"] = positive if slip["value"] >= 0 else negative
        slip["value"] = abs(slip["value"])
    if slip:
        slip.pop("_sign", None)
    brakes = reading.get("brakes") or {}
    for axle in brakes.get("axles") or []:
        load = axle.pop("load_kg", None)
        left, right = axle.get("left_n"), axle.get("right_n")
        if load and left is not None and right is not None:
            weight_n = load * GRAVITY
            axle.setdefault("sum_percent", round((left + right) / weight_n * 100, 1))
            axle.setdefault("diff_percent", round(abs(left - right) / weight_n * 100, 1))
    return reading


def _profile_for_code(profiles, maker_code):
    return next((p for p in profiles.values() if p["maker_code"] == maker_code), None)


def _choose_profile(text_or_bytes, profiles, profile_code):
    if profile_code:
        if profile_code not in profiles:
            raise TesterImportError([f"検査機器の設定「{profile_code}」は登録されていません。"
                                     "一覧から選び直してください。"])
        return profiles[profile_code]
    # No profile chosen: the first data line's maker code decides.
    for profile in profiles.values():
        text = _decode(text_or_bytes, profile.get("encodings"))
        for number, fields in _rows(text, profile["delimiter"]):
            if profile.get("header") and number == 1:
                continue
            if fields[0] == profile["maker_code"]:
                return profile
            break
    known = "、".join(f"{p['maker_code']}({p['maker']})" for p in profiles.values())
    raise TesterImportError([f"1件目のデータのメーカーコードが登録されていません(登録済み: {known})。"
                             "検査機器を選んでから取り込んでください。"])


def parse_tester_export(content, profiles: dict[str, dict], profile_code: str | None = None
                        ) -> tuple[dict, list[dict]]:
    """(profile, readings): one reading per data line, in file order (retests follow).

    ``profiles`` maps code → profile (the active ones); ``profile_code`` picks one, or None
    to pick it by the maker code of the first data line.
    """
    if len(content) > MAX_EXPORT_BYTES:
        raise TesterImportError([TOO_LARGE_MESSAGE])
    profile = _choose_profile(content, profiles, profile_code)
    text = _decode(content, profile.get("encodings"))
    columns = profile["columns"]
    errors, readings = [], []
    expected = len(columns)
    rows = list(_rows(text, profile["delimiter"]))
    if profile.get("header"):
        if not rows or rows[0][0] != 1:
            errors.append("1行目: 見出しの行がありません。検査ラインから出力したままのファイルを選んでください。")
        else:
            _, titles = rows.pop(0)
            wanted = [c["title"] for c in columns]
            if titles != wanted:
                missing = [t for t in wanted if t not in titles]
                extra = [t for t in titles if t not in wanted]
                detail = []
                if missing:
                    detail.append(f"ない列: {'、'.join(missing[:5])}")
                if extra:
                    detail.append(f"余分な列: {'、'.join(extra[:5])}")
                if not detail:
                    detail.append("列の順番が違います")
                errors.append(f"1行目: 見出しが{profile['maker']}の形式と合いません({'; '.join(detail)})。"
                              "検査機器の選択と出力設定を確認してください。")
    if not rows and not errors:
        errors.append("データの行がありません。")
    for line, fields in rows:
        if len(errors) >= MAX_ERRORS:
            errors.append("ほかにも誤りがあります。上の誤りを直してからもう一度取り込んでください。")
            break
        code = fields[0]
        if code != profile["maker_code"]:
            other = _profile_for_code(profiles, code)
            if other is None:
                errors.append(f"{line}行目: メーカーコード「{code}」は登録されていません。"
                              f"{profile['maker']}のデータは「{profile['maker_code']}」で始まります。")
            else:
                errors.append(f"{line}行目: {other['maker']}(「{code}」)のデータが混ざっています。"
                              f"{profile['maker']}のデータだけを取り込んでください。")
            continue
        if len(fields) != expected:
            errors.append(f"{line}行目: 列の数が{len(fields)}です({profile['maker']}の形式は{expected}列)。"
                          "検査機器の選択と出力設定を確認してください。")
            continue
        reading = {"meta": {"maker": profile["maker"], "profile": profile["code"]}}
        for path, value in (profile.get("constants") or {}).items():
            _set_path(reading, path, value)
        line_errors = []
        for column, raw in zip(columns, fields):
            field = column.get("field")
            if not field or field == "maker_code":
                continue
            try:
                value = _convert(column, raw, line, profile)
            except ValueError as exc:
                line_errors.append(str(exc))
                continue
            if value is None:
                continue
            _set_path(reading, field if "." in field else f"meta.{field}", value)
            if column.get("sign") and field.startswith("side_slip.value"):
                reading["side_slip"]["_sign"] = column["sign"]
        errors.extend(line_errors)
        if not line_errors:
            readings.append(_derive(reading))
    if errors:
        raise TesterImportError(errors)
    return profile, readings
