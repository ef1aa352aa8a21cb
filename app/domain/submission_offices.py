"""The 提出先 of a hybrid (窓口申請) filing: the 運輸支局 for a 登録車, the 軽自動車検査協会 office
for a 軽自動車, from the prefecture of the shop's site (data/submission_offices.json)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "submission_offices.json"
_PREFECTURE = re.compile(r"^\s*(北海道|東京都|大阪府|京都府|.{2,3}?県)")


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def prefecture(address: str | None) -> str | None:
    match = _PREFECTURE.match(address or "")
    return match.group(1) if match else None


def submission_office(vehicle_kind: str, site_address: str | None) -> str:
    """The office's name, or "" when the address does not start with a prefecture."""
    name = prefecture(site_address)
    if name is None:
        return ""
    rule = _data()["kei" if vehicle_kind == "kei" else "registered"]
    if name in rule["exceptions"]:
        return rule["exceptions"][name]
    stem = name if name == "北海道" else name[:-1]
    return rule["pattern"].format(stem=stem)
