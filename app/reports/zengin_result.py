"""The bank's 振替結果データ: our 口座振替 request file (種別コード 91) come back with the
振替結果コード of every data record filled and the trailer's 振替済/振替不能 totals set
(billing-formats.md §1.4, §1.5).

Read by byte offsets on the cp932 (JIS8) bytes with the request file's own layouts
(app/reports/zengin.py); only the result code and the trailer's result totals differ. The
numeric fields, the record order, the totals and the header (委託者, 引落日) are checked, and a file
with any problem is refused as a whole (``ResultFileError``, Japanese, with record numbers). The
name fields are not checked: the bank echoes them, possibly in characters of its own, and
nothing here reads them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from app.reports import zengin
from app.reports.zengin import RECORD_NAMES, RecordProblem, layout_field

PAID = "0"
# §1.5. Codes 5-7 are unused; a 収納代行 may answer others (e.g. "N"): see result_reason().
RESULT_CODE_LABELS = {
    "0": "振替済",
    "1": "資金不足",
    "2": "取引なし",
    "3": "預金者の都合による振替停止",
    "4": "振替依頼書なし",
    "8": "委託者の都合による振替停止",
    "9": "その他",
}
_CODE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_RESULT_TOTALS = ("振替済件数", "振替済金額", "振替不能件数", "振替不能金額")

RESULT_DATA_LAYOUT = tuple(
    zengin.Field(f.label, f.start, f.length, "C", charset=_CODE_CHARS, required=True)
    if f.label == "振替結果コード" else f
    for f in zengin.DATA_LAYOUT
)
RESULT_TRAILER_LAYOUT = tuple(
    replace(f, allowed=()) if f.label in _RESULT_TOTALS else f for f in zengin.TRAILER_LAYOUT
)
RESULT_LAYOUTS = {**zengin.LAYOUTS, "2": RESULT_DATA_LAYOUT, "8": RESULT_TRAILER_LAYOUT}


def result_reason(code: str) -> str:
    """The Japanese meaning of a 振替結果コード; a code the bank has not told us about is shown
    raw rather than refused (§1.5: store it, alert, never crash)."""
    return RESULT_CODE_LABELS.get(code) or f"その他（結果コード「{code}」）"


def is_known_code(code: str) -> bool:
    return code in RESULT_CODE_LABELS


@dataclass(frozen=True)
class DebitResult:
    record_number: int  # 1-based position in the file (1 = header)
    customer_number: str  # 顧客番号, the 20 digits as in the file
    amount_yen: int
    code: str

    @property
    def paid(self) -> bool:
        return self.code == PAID

    @property
    def reason(self) -> str:
        return result_reason(self.code)

    @property
    def customer_label(self) -> str:
        return self.customer_number.lstrip("0") or "0"


@dataclass(frozen=True)
class ResultFile:
    consignor_code: str
    debit_mmdd: str
    results: tuple[DebitResult, ...]

    @property
    def paid(self) -> tuple[DebitResult, ...]:
        return tuple(r for r in self.results if r.paid)

    @property
    def unpaid(self) -> tuple[DebitResult, ...]:
        return tuple(r for r in self.results if not r.paid)

    @property
    def unknown_codes(self) -> list[str]:
        return sorted({r.code for r in self.results if not is_known_code(r.code)})


class ResultFileError(ValueError):
    """The result file is broken or not ours; nothing may be imported from it."""

    def __init__(self, record_problems: list[RecordProblem]):
        self.record_problems = tuple(record_problems)
        super().__init__(
            "振替結果データを取り込めませんでした。銀行から受け取ったファイルか、対象の月が正しいかを"
            "確認してください。\n" + "\n".join(p.message() for p in record_problems)
        )


def _number(layout, label, record: bytes) -> int:
    return int(layout_field(layout, label).slice(record))


def _text(layout, label, record: bytes) -> str:
    return layout_field(layout, label).slice(record).decode("ascii")


def _record_problems(number: int, record: bytes) -> RecordProblem | None:
    if len(record) != zengin.RECORD_LENGTH:
        problems = [f"レコード長が{len(record)}バイトです。1レコードは{zengin.RECORD_LENGTH}バイトです。"]
        return RecordProblem(number, "レコード", tuple(problems))
    record_type = chr(record[0]) if record[0] < 0x80 else "?"
    layout = RESULT_LAYOUTS.get(record_type)
    if layout is None:
        return RecordProblem(number, "レコード", ("データ区分が 1・2・8・9 のいずれでもありません。",))
    problems = []
    for field in layout:
        if field.kind == "N" or field.label == "振替結果コード":
            problems += zengin.field_problems(field, field.slice(record))
    if not problems:
        return None
    customer = None
    if record_type == "2":
        customer = layout_field(RESULT_DATA_LAYOUT, "顧客番号").slice(record).decode("ascii", "replace")
        customer = customer.lstrip("0") or "0"
    return RecordProblem(number, RECORD_NAMES[record_type], tuple(problems), customer)


def _header_problems(header: bytes, consignor_code: str, debit_date: dt.date) -> list[RecordProblem]:
    messages = []
    got_code = _text(zengin.HEADER_LAYOUT, "委託者コード", header)
    if got_code != consignor_code.zfill(10):
        messages.append(f"委託者コード {got_code} は当会の委託者コード {consignor_code.zfill(10)} と異なります。"
                        "他の委託者のファイルです。")
    got_date = _text(zengin.HEADER_LAYOUT, "引落日", header)
    if got_date != debit_date.strftime("%m%d"):
        messages.append(f"引落日 {got_date[:2]}月{got_date[2:]}日 が、この月の引落日 "
                        f"{debit_date.month}月{debit_date.day}日 と異なります。別の月の結果です。")
    return [RecordProblem(1, RECORD_NAMES["1"], tuple(messages))] if messages else []


def _duplicate_problems(results: list[DebitResult]) -> list[RecordProblem]:
    seen, problems = {}, []
    for result in results:
        first = seen.setdefault(result.customer_number, result.record_number)
        if first != result.record_number:
            problems.append(RecordProblem(result.record_number, RECORD_NAMES["2"], (
                f"顧客番号が{first}件目のデータ・レコードと同じです。",), result.customer_label))
    return problems


def _trailer_problems(number: int, trailer: bytes, results: list[DebitResult]) -> list[RecordProblem]:
    """§1.4 in results: 振替済/振替不能 match the codes, and together make the 合計."""
    def total(label):
        return _number(RESULT_TRAILER_LAYOUT, label, trailer)

    paid = [r.amount_yen for r in results if r.paid]
    unpaid = [r.amount_yen for r in results if not r.paid]
    messages = []
    for label, want in (("振替済件数", len(paid)), ("振替済金額", sum(paid)),
                        ("振替不能件数", len(unpaid)), ("振替不能金額", sum(unpaid))):
        if total(label) != want:
            messages.append(f"{label} {total(label)} が振替結果コードからの集計 {want} と一致しません。")
    if total("振替済件数") + total("振替不能件数") != total("合計件数"):
        messages.append("振替済件数と振替不能件数の和が合計件数と一致しません。")
    if total("振替済金額") + total("振替不能金額") != total("合計金額"):
        messages.append("振替済金額と振替不能金額の和が合計金額と一致しません。")
    return [RecordProblem(number, RECORD_NAMES["8"], tuple(messages))] if messages else []


def read_result_file(content: bytes, *, consignor_code: str, debit_date: dt.date) -> ResultFile:
    """The results of a 振替結果データ file (CR LF after each record, or no separator) for our
    委託者 and ``debit_date``; ``ResultFileError`` lists every problem with its record number."""
    records = zengin.split_records(content)
    problems = [p for n, r in enumerate(records, start=1) if (p := _record_problems(n, r))]
    if not records:
        problems.append(RecordProblem(1, "ファイル", ("ファイルが空です。",)))
    if not problems:
        problems = zengin.structure_problems(records)
    if problems:
        raise ResultFileError(problems)
    results = [
        DebitResult(
            record_number=number,
            customer_number=_text(RESULT_DATA_LAYOUT, "顧客番号", record),
            amount_yen=_number(RESULT_DATA_LAYOUT, "引落金額", record),
            code=layout_field(RESULT_DATA_LAYOUT, "振替結果コード").slice(record).decode("ascii"),
        )
        for number, record in enumerate(records[1:-2], start=2)
    ]
    problems = _header_problems(records[0], consignor_code, debit_date)
    problems += _duplicate_problems(results)
    problems += _trailer_problems(len(records) - 1, records[-2], results)
    if problems:
        raise ResultFileError(problems)
    return ResultFile(consignor_code=_text(zengin.HEADER_LAYOUT, "委託者コード", records[0]),
                      debit_mmdd=_text(zengin.HEADER_LAYOUT, "引落日", records[0]),
                      results=tuple(results))


def sent_debits(request_content: bytes) -> tuple[str, dict[str, int]]:
    """The 委託者コード and {顧客番号: 引落金額} of a request file we produced (already valid)."""
    records = zengin.split_records(request_content)
    debits = {_text(zengin.DATA_LAYOUT, "顧客番号", r): _number(zengin.DATA_LAYOUT, "引落金額", r)
              for r in records[1:-2]}
    return _text(zengin.HEADER_LAYOUT, "委託者コード", records[0]), debits
