"""e-JIBAI (electronic 自賠責) rules before sending a 保適証 (shop-workflow.md §3).

- The insurer is named as AIRAS takes it: the 保険会社名略称表's name (``data/jibai_insurers.json``).
- The electronic data reaches AIRAS up to about an hour after the 自賠責 is issued; sending
  earlier gives error 127 「自賠責保険証明書情報該当なし」, so a certificate waits out the hour.
- Error 127's causes, as shops list them (outside-systems.md §1.6, [S][A10]), in one explanation.

Pure: no Flask, no database.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "jibai_insurers.json"
# e-JIBAI data takes up to about an hour to reach AIRAS ([S] tsukasa-kougyou.com 2017/12).
ARRIVAL_WAIT = dt.timedelta(hours=1)

E127_EXPLANATION = (
    "エラー127「自賠責保険証明書情報該当なし」は、AIRASがこの自賠責の電子情報を見つけられなかったという意味です。"
    "主な原因: (1) 発行から1時間ほどは電子情報がAIRASに届いていません(時間をおいて送信します)。"
    "(2) 電子自賠責を「登録機関へ報告」なしで発行した(電子情報がないので、ハイブリッド申請で紙の自賠責として入力します)。"
    "(3) 自賠責の車台番号が保適証の車台番号と違う。"
    "(4) 証明書番号の誤り(0とOの取り違えを含む)。"
    "(5) 不要な旧自賠責の証明書番号を入力している。"
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("\u3000", "").casefold()


@lru_cache(maxsize=1)
def _table() -> dict:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)


def insurers() -> list[dict]:
    """The 略称表 rows ({"code", "abbreviation", "official_name"}), in the file's order."""
    return [dict(row) for row in _table()["insurers"]]


def insurer_name(value: str) -> str | None:
    """The 略称表 name AIRAS takes for ``value`` (its abbreviation or official name, in any width),
    or None when the table has no such insurer."""
    folded = _fold(value)
    if not folded:
        return None
    for row in _table()["insurers"]:
        if folded in (_fold(row["abbreviation"]), _fold(row["official_name"])):
            return row["abbreviation"]
    return None


def send_not_before(issued_at: list[dt.datetime | None]) -> dt.datetime | None:
    """When the last-issued policy's electronic data can be at AIRAS (issue + 1 hour), or None
    when no issue time is known."""
    known = [moment for moment in issued_at if moment is not None]
    return max(known) + ARRIVAL_WAIT if known else None
