"""The 全銀協 預金口座振替 request file (種別コード 91), billing-formats.md §1.

One header, one data record per debit, one trailer and one end record, each exactly 120 bytes of
JIS8 (for the characters allowed here the cp932 bytes are the JIS8 bytes), each followed by CR LF.
Every record is checked at byte level before the file is returned; a file with any problem is
refused as a whole (``DebitFileError``) so a malformed file never reaches the bank.

The layouts are data (one table per record type) so the validator and the builder read the same
positions.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Mapping, Protocol

import jaconv

from app.domain.business_days import is_bank_business_day

RECORD_LENGTH = 120
ENCODING = "cp932"
CRLF = b"\r\n"

# --- Character sets (§1.7) ---------------------------------------------------------------------

_KANA = "".join(chr(c) for c in range(0xFF71, 0xFF9E))  # ｱ..ﾝ: no ｦ, no small kana, no ｰ
_MARKS = "ﾞﾟ"
_UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# 委託者名 and 預金者名: the set every source accepts.
NAME_CHARS = frozenset(_KANA + _MARKS + _UPPER_DIGITS + " ()-.")
# Bank and branch names: kana, marks, A–Z, 0–9 and "-" only.
BANK_NAME_CHARS = frozenset(_KANA + _MARKS + _UPPER_DIGITS + " -")
_DIGITS = frozenset("0123456789")

# Which half-width kana can carry a voiced/semi-voiced mark (JIS X 0201 has no precomposed ｶﾞ).
_TAKES_DAKUTEN = frozenset("ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ")
_TAKES_HANDAKUTEN = frozenset("ﾊﾋﾌﾍﾎ")


def _byte_set(chars: frozenset[str]) -> frozenset[int]:
    return frozenset(c.encode(ENCODING)[0] for c in chars)


# --- Layouts (§1.2–1.4) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    label: str  # the 項目 name, used in messages
    start: int  # 1-based byte position, as in the specification
    length: int
    kind: str  # "N" numeric, "C" character, "S" filler (spaces only)
    allowed: tuple[str, ...] = ()  # fixed values (N fields)
    charset: frozenset[str] | None = None  # allowed characters (C fields)
    required: bool = False  # a C field that must not be all spaces

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    def slice(self, record: bytes) -> bytes:
        return record[self.start - 1 : self.end]


def _n(label, start, length, allowed=()):
    return Field(label, start, length, "N", allowed=tuple(allowed))


def _c(label, start, length, charset, required=False):
    return Field(label, start, length, "C", charset=charset, required=required)


def _s(start, length):
    return Field("ダミー", start, length, "S")


HEADER_LAYOUT = (
    _n("データ区分", 1, 1, ["1"]),
    _n("種別コード", 2, 2, ["91"]),
    _n("コード区分", 4, 1, ["0"]),
    _n("委託者コード", 5, 10),
    _c("委託者名", 15, 40, NAME_CHARS, required=True),
    _n("引落日", 55, 4),
    _n("取引銀行番号", 59, 4),
    _c("取引銀行名", 63, 15, BANK_NAME_CHARS),
    _n("取引支店番号", 78, 3),
    _c("取引支店名", 81, 15, BANK_NAME_CHARS),
    _n("預金種目（委託者）", 96, 1, ["1", "2", "9"]),
    _n("口座番号（委託者）", 97, 7),
    _s(104, 17),
)
DATA_LAYOUT = (
    _n("データ区分", 1, 1, ["2"]),
    _n("引落銀行番号", 2, 4),
    _c("引落銀行名", 6, 15, BANK_NAME_CHARS),
    _n("引落支店番号", 21, 3),
    _c("引落支店名", 24, 15, BANK_NAME_CHARS),
    _s(39, 4),
    _n("預金種目", 43, 1, ["1", "2", "3", "9"]),
    _n("口座番号", 44, 7),
    _c("預金者名", 51, 30, NAME_CHARS, required=True),
    _n("引落金額", 81, 10),
    _n("新規コード", 91, 1, ["0", "1", "2"]),
    _n("顧客番号", 92, 20),
    # A request always carries 0; the bank fills in the result.
    _n("振替結果コード", 112, 1, ["0"]),
    _s(113, 8),
)
TRAILER_LAYOUT = (
    _n("データ区分", 1, 1, ["8"]),
    _n("合計件数", 2, 6),
    _n("合計金額", 8, 12),
    # In a request file the result counts are zero.
    _n("振替済件数", 20, 6, ["000000"]),
    _n("振替済金額", 26, 12, ["000000000000"]),
    _n("振替不能件数", 38, 6, ["000000"]),
    _n("振替不能金額", 44, 12, ["000000000000"]),
    _s(56, 65),
)
END_LAYOUT = (
    _n("データ区分", 1, 1, ["9"]),
    _s(2, 119),
)
LAYOUTS = {"1": HEADER_LAYOUT, "2": DATA_LAYOUT, "8": TRAILER_LAYOUT, "9": END_LAYOUT}
RECORD_NAMES = {
    "1": "ヘッダー・レコード",
    "2": "データ・レコード",
    "8": "トレーラ・レコード",
    "9": "エンド・レコード",
}


def layout_field(layout, label) -> Field:
    return next(f for f in layout if f.label == label)


# --- Errors ------------------------------------------------------------------------------------


class ZenginNameError(ValueError):
    """A name cannot be written in the characters the bank file allows (message in Japanese)."""


@dataclass(frozen=True)
class RecordProblem:
    record_number: int  # 1-based position in the file (1 = header)
    record_name: str
    problems: tuple[str, ...]
    customer_number: str | None = None  # 顧客番号 of a data record, to find the payer

    def message(self) -> str:
        who = f"（顧客番号 {self.customer_number}）" if self.customer_number else ""
        return f"{self.record_number}件目の{self.record_name}{who}: " + " ".join(self.problems)


class DebitFileError(ValueError):
    """The debit file was not produced because records have problems."""

    def __init__(self, record_problems: list[RecordProblem]):
        self.record_problems = tuple(record_problems)
        lines = [p.message() for p in record_problems]
        super().__init__(
            "口座振替データを作成できませんでした。次の内容を修正してから、もう一度作成してください。\n"
            + "\n".join(lines)
        )


# --- Record validation -------------------------------------------------------------------------


def validate_record(record: bytes) -> list[str]:
    """Problems with one 120-byte request record, as Japanese sentences (empty when valid).

    Checks are at byte level on the encoded record: length, record type, numeric fields, fixed
    values, the allowed characters of every character field, voiced-mark placement, fillers.
    """
    if len(record) != RECORD_LENGTH:
        return [f"レコード長が{len(record)}バイトです。{RECORD_LENGTH}バイトちょうどにしてください。"]
    record_type = chr(record[0]) if record[0] < 0x80 else "?"
    layout = LAYOUTS.get(record_type)
    if layout is None:
        return ["データ区分が 1・2・8・9 のいずれでもありません。レコードの先頭を確認してください。"]

    problems = []
    for field in layout:
        problems += field_problems(field, field.slice(record))
    if record_type == "1":
        problems += _debit_date_problems(layout_field(HEADER_LAYOUT, "引落日").slice(record))
    if record_type == "2":
        amount = layout_field(DATA_LAYOUT, "引落金額").slice(record)
        if amount.isdigit() and int(amount) == 0:
            problems.append("引落金額が0円です。0円の請求は口座振替データに含めないでください。")
    return problems


def field_problems(field: Field, raw: bytes) -> list[str]:
    where = f"{field.label}（{field.start}〜{field.end}バイト目）"
    if field.kind == "S":
        if raw.strip(b" "):
            return [f"{where}はスペースだけにしてください。"]
        return []
    if field.kind == "N":
        if not all(b in b"0123456789" for b in raw):
            return [f"{where}に数字以外の文字があります。半角数字で右詰め・前ゼロ埋めにしてください。"]
        value = raw.decode("ascii")
        if field.allowed and value not in field.allowed:
            choices = "・".join(field.allowed)
            return [f"{where}は {choices} のいずれかにしてください（現在は {value}）。"]
        return []
    return _character_field_problems(field, raw, where)


def _character_field_problems(field: Field, raw: bytes, where: str) -> list[str]:
    allowed_bytes = _byte_set(field.charset)
    bad = sorted({b for b in raw if b not in allowed_bytes})
    if bad:
        shown = " ".join(f"0x{b:02X}" for b in bad)
        return [f"{where}に使用できない文字（{shown}）があります。半角カナ・英大文字・数字などの使用できる文字だけにしてください。"]
    text = raw.decode(ENCODING)  # every byte is a single-byte character here
    problems = []
    if field.required and not text.strip():
        problems.append(f"{where}が空欄です。入力してください。")
    elif text.startswith(" ") and text.strip():
        problems.append(f"{where}は左詰めにしてください（先頭にスペースがあります）。")
    problems += _mark_problems(text, where)
    return problems


def _mark_problems(text: str, where: str) -> list[str]:
    for i, ch in enumerate(text):
        previous = text[i - 1] if i else ""
        if (ch == "ﾞ" and previous not in _TAKES_DAKUTEN) or (ch == "ﾟ" and previous not in _TAKES_HANDAKUTEN):
            return [f"{where}の濁点・半濁点「{ch}」の前の文字「{previous}」には付けられません。表記を確認してください。"]
    return []


def _debit_date_problems(raw: bytes) -> list[str]:
    if not raw.isdigit():
        return []  # already reported as a numeric-field problem
    month, day = int(raw[:2]), int(raw[2:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return [f"引落日（MMDD）の {raw.decode()} は日付ではありません。"]
    return []


# --- Kana names (§1.8) ---------------------------------------------------------------------------

_SMALL_TO_LARGE = str.maketrans("ァィゥェォャュョッヮヵヶ", "アイウエオヤユヨツワカケ")
_OLD_KANA = str.maketrans("ヲヰヱ", "オイエ")
# 長音 and dash look-alikes the banks do not accept become "-" (§1.8 step 5).
_DASHES = str.maketrans({c: "-" for c in "ー\u2010\u2212\u2015"})


def to_zengin_kana(text: str) -> str:
    """A name as typed (hiragana, full-width katakana, full-width letters…) in bank-file characters.

    Applies the §1.8 pipeline; the result may still contain characters the file refuses, which
    ``name_problem`` reports. NFKC first turns full-width ASCII into ASCII and half-width kana into
    composed full-width kana, so every later step works on one form.
    """
    text = unicodedata.normalize("NFKC", text)
    text = jaconv.hira2kata(text)
    text = text.translate(_SMALL_TO_LARGE).translate(_OLD_KANA).translate(_DASHES)
    text = text.replace("・", " ").upper()
    # z2h splits voiced kana into base + mark (ガ → ｶﾞ), as JIS X 0201 requires.
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True)
    return " ".join(text.split())


def name_problem(text: str, label: str, charset: frozenset[str] = NAME_CHARS) -> str | None:
    """A Japanese message when ``text`` (already converted) has characters outside ``charset``."""
    bad = []
    for ch in text:
        if ch not in charset and ch not in bad:
            bad.append(ch)
    if bad:
        shown = "、".join(f"「{ch}」" for ch in bad)
        return (
            f"{label}に使用できない文字（{shown}）が含まれています。"
            "通帳の表記どおり半角カナ・英大文字・数字・スペース・( ) - . で入力してください。"
        )
    marks = _mark_problems(text, label)
    return marks[0] if marks else None


def cut_name(text: str, length: int) -> str:
    """The ``length`` leftmost characters, never separating a kana from its ﾞ/ﾟ (§1.8)."""
    if len(text) <= length:
        return text
    if text[length] in _MARKS:
        length -= 1
    return text[:length].rstrip()


# --- Bank directory ------------------------------------------------------------------------------


class BankDirectory(Protocol):
    """Bank and branch codes with their kana names; ``None`` for an unknown code."""

    def bank_kana(self, bank_code: str) -> str | None: ...

    def branch_kana(self, bank_code: str, branch_code: str) -> str | None: ...


class ZenginCodeDirectory:
    """The `zengin-code` package's list of 統一金融機関コード (kept current by its maintainers)."""

    @cached_property
    def _banks(self):
        # Imported on first use: the package loads every bank and branch at import time.
        from zengin_code import Bank

        return Bank.all

    def bank_kana(self, bank_code: str) -> str | None:
        bank = self._banks.get(bank_code)
        return bank.kana if bank else None

    def branch_kana(self, bank_code: str, branch_code: str) -> str | None:
        bank = self._banks.get(bank_code)
        branch = bank.branches.get(branch_code) if bank else None
        return branch.kana if branch else None


class MappingBankDirectory:
    """A fixed directory: ``{bank_code: (bank_kana, {branch_code: branch_kana})}``.

    For synthetic banks (the sample's 0999/0998) and tests; production uses ZenginCodeDirectory.
    """

    def __init__(self, banks: Mapping[str, tuple[str, Mapping[str, str]]]):
        self._banks = banks

    def bank_kana(self, bank_code: str) -> str | None:
        entry = self._banks.get(bank_code)
        return entry[0] if entry else None

    def branch_kana(self, bank_code: str, branch_code: str) -> str | None:
        entry = self._banks.get(bank_code)
        return entry[1].get(branch_code) if entry else None


# --- Input ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DebitHeader:
    """Our side of the file: the collection account and the contract with the bank."""

    consignor_code: str  # 委託者コード assigned by the bank
    consignor_name: str  # 委託者名 (kana; converted by the §1.8 pipeline)
    debit_date: dt.date  # 引落日: a bank business day
    bank_code: str  # 取引銀行番号, 4 digits
    branch_code: str  # 取引支店番号, 3 digits
    account_type: int  # 1 普通, 2 当座, 9 その他
    account_number: str  # up to 7 digits
    # None: filled from the bank directory; "": left blank (the fields are optional).
    bank_name: str | None = None
    branch_name: str | None = None


@dataclass(frozen=True)
class DebitItem:
    """One debit: the payer's account and the invoice's tax-included total."""

    bank_code: str
    branch_code: str
    account_type: int  # 1 普通, 2 当座, 3 納税準備預金, 9 その他
    account_number: str
    payer_name: str  # 預金者名: the 口座名義カナ as registered with the bank
    amount_yen: int
    customer_number: str | int  # 顧客番号: the billing unit's id, up to 20 digits
    new_code: int = 0  # 新規コード: 1 first debit, 2 account changed, 0 otherwise
    bank_name: str | None = None
    branch_name: str | None = None


# --- Building ------------------------------------------------------------------------------------


class _RecordWriter:
    """Collects one record's fields in layout order, with the problems found in the input."""

    def __init__(self, layout: tuple[Field, ...]):
        self._fields = layout
        # Fillers share the label ダミー, so only value fields are looked up by label.
        self._layout = {f.label: f for f in layout if f.kind != "S"}
        self._values: dict[str, str] = {}
        self.problems: list[str] = []

    def number(self, label: str, value, *, exact: bool = False) -> None:
        field = self._layout[label]
        text = str(value)
        # bool is an int; True yen or True as an account type is a caller bug.
        if isinstance(value, bool) or not text.isascii() or not text.isdigit():
            self.problems.append(f"{field.label}は半角数字で指定してください（現在は「{value}」）。")
            text = "0"
        elif len(text) > field.length or (exact and len(text) != field.length):
            # An overflowing amount or code is refused, never truncated.
            size = f"{field.length}桁" if exact else f"{field.length}桁以内"
            self.problems.append(f"{field.label}は{size}の数字にしてください（現在は {text}）。")
            text = "0"
        self._values[label] = text.zfill(field.length)

    def length(self, label: str) -> int:
        return self._layout[label].length

    def text(self, label: str, value: str) -> None:
        self._values[label] = value

    def render(self) -> str:
        parts = []
        for field in self._fields:
            value = "" if field.kind == "S" else self._values[field.label]
            parts.append(value.ljust(field.length))
        return "".join(parts)


def _write_name(writer: _RecordWriter, label: str, raw: str, *, length: int, cut: bool) -> None:
    name = to_zengin_kana(raw)
    problem = name_problem(name, label)
    if problem:
        writer.problems.append(problem)
        name = ""
    elif not name:
        writer.problems.append(f"{label}が空欄です。通帳の表記どおり半角カナで入力してください。")
    elif len(name) > length:
        if cut:
            name = cut_name(name, length)
        else:
            writer.problems.append(f"{label}は{length}文字以内にしてください（現在は{len(name)}文字: {name}）。")
            name = ""
    writer.text(label, name)


def _write_bank(
    writer: _RecordWriter,
    directory: BankDirectory,
    labels: tuple[str, str, str, str],
    bank_code: str,
    branch_code: str,
    bank_name: str | None,
    branch_name: str | None,
) -> None:
    bank_label, bank_name_label, branch_label, branch_name_label = labels
    writer.number(bank_label, bank_code, exact=True)
    writer.number(branch_label, branch_code, exact=True)
    known_bank = directory.bank_kana(str(bank_code))
    known_branch = directory.branch_kana(str(bank_code), str(branch_code)) if known_bank else None
    if known_bank is None:
        writer.problems.append(
            f"金融機関コード「{bank_code}」は金融機関コード一覧にありません。通帳やキャッシュカードで確認してください。"
        )
    elif known_branch is None:
        writer.problems.append(
            f"支店コード「{branch_code}」は金融機関コード「{bank_code}」の支店一覧にありません。通帳で店番号を確認してください。"
        )
    for label, given, known in (
        (bank_name_label, bank_name, known_bank),
        (branch_name_label, branch_name, known_branch),
    ):
        writer.text(label, _bank_name_text(writer, label, given, known))


def _bank_name_text(writer: _RecordWriter, label: str, given: str | None, known: str | None) -> str:
    length = writer.length(label)
    if given is None:
        # Filled from the directory. The field is optional, so a name that does not fit the
        # allowed characters is left blank and a long one is cut, rather than failing the file.
        name = to_zengin_kana(known or "")
        if name_problem(name, label, BANK_NAME_CHARS):
            return ""
        return cut_name(name, length)
    name = to_zengin_kana(given)
    problem = name_problem(name, label, BANK_NAME_CHARS)
    if problem:
        writer.problems.append(problem)
        return ""
    if len(name) > length:
        writer.problems.append(f"{label}は{length}文字以内にしてください（現在は{len(name)}文字）。")
        return ""
    return name


def _header_record(header: DebitHeader, directory: BankDirectory) -> _RecordWriter:
    w = _RecordWriter(HEADER_LAYOUT)
    w.number("データ区分", 1)
    w.number("種別コード", 91)
    w.number("コード区分", 0)
    w.number("委託者コード", header.consignor_code)
    _write_name(w, "委託者名", header.consignor_name, length=40, cut=False)
    w.number("引落日", header.debit_date.strftime("%m%d"))
    if not is_bank_business_day(header.debit_date):
        w.problems.append(
            f"引落日 {header.debit_date.isoformat()} は銀行の休業日です。翌営業日以降の日付にしてください。"
        )
    _write_bank(
        w, directory, ("取引銀行番号", "取引銀行名", "取引支店番号", "取引支店名"),
        header.bank_code, header.branch_code, header.bank_name, header.branch_name,
    )
    w.number("預金種目（委託者）", header.account_type)
    w.number("口座番号（委託者）", header.account_number)
    return w


def _data_record(item: DebitItem, directory: BankDirectory) -> _RecordWriter:
    w = _RecordWriter(DATA_LAYOUT)
    w.number("データ区分", 2)
    _write_bank(
        w, directory, ("引落銀行番号", "引落銀行名", "引落支店番号", "引落支店名"),
        item.bank_code, item.branch_code, item.bank_name, item.branch_name,
    )
    w.number("預金種目", item.account_type)
    w.number("口座番号", item.account_number)
    # Longer names are cut to 30 characters, as the banks register them (§1.8).
    _write_name(w, "預金者名", item.payer_name, length=30, cut=True)
    w.number("引落金額", item.amount_yen)
    w.number("新規コード", item.new_code)
    w.number("顧客番号", item.customer_number)
    w.number("振替結果コード", 0)
    return w


def _trailer_record(items: list[DebitItem]) -> _RecordWriter:
    w = _RecordWriter(TRAILER_LAYOUT)
    w.number("データ区分", 8)
    w.number("合計件数", len(items))
    amounts = [i.amount_yen for i in items if isinstance(i.amount_yen, int) and not isinstance(i.amount_yen, bool)]
    w.number("合計金額", sum(amounts))
    for label in ("振替済件数", "振替済金額", "振替不能件数", "振替不能金額"):
        w.number(label, 0)
    return w


def _end_record() -> _RecordWriter:
    w = _RecordWriter(END_LAYOUT)
    w.number("データ区分", 9)
    return w


def build_debit_file(
    header: DebitHeader,
    items: list[DebitItem],
    *,
    directory: BankDirectory | None = None,
    separator: bytes = CRLF,
) -> bytes:
    """The request file: header, one data record per item, trailer, end; one group per file.

    Every record is built, encoded and validated first; if any has a problem, ``DebitFileError``
    lists them all (record number and Japanese messages) and no bytes are returned.
    ``separator`` is CR LF (also written after the end record, as result files are) or b"".
    """
    if separator not in (CRLF, b""):
        raise ValueError("the 全銀 file allows CR LF or no separator between records")
    directory = directory or default_directory()
    writers = [_header_record(header, directory)]
    writers += [_data_record(item, directory) for item in items]
    writers += [_trailer_record(items), _end_record()]

    record_problems = []
    records = []
    for number, writer in enumerate(writers, start=1):
        text = writer.render()
        problems = list(writer.problems)
        try:
            encoded = text.encode(ENCODING)
        except UnicodeEncodeError:
            encoded = b""
            problems.append("Shift_JIS（JIS8）で表せない文字があります。半角カナ・英数字だけにしてください。")
        if not problems:
            problems = validate_record(encoded)
        if problems:
            customer = str(items[number - 2].customer_number) if text[:1] == "2" else None
            record_problems.append(_record_problem(number, text, problems, customer))
        records.append(encoded)
    if not items:
        record_problems.append(
            RecordProblem(2, RECORD_NAMES["2"], ("引落の対象がありません。データ・レコードが1件以上必要です。",))
        )
    if not record_problems:
        record_problems = structure_problems(records)
    if record_problems:
        raise DebitFileError(record_problems)
    return b"".join(r + separator for r in records)


def _record_problem(number: int, text: str, problems: list[str], customer: str | None = None) -> RecordProblem:
    record_type = text[:1]
    if record_type == "2" and customer is None:
        customer = text[91:111].lstrip("0") or "0"
    return RecordProblem(number, RECORD_NAMES.get(record_type, "レコード"), tuple(problems), customer)


def structure_problems(records: list[bytes]) -> list[RecordProblem]:
    """Order of the records and the trailer's totals against the data records (§1.4)."""
    problems = []
    types = "".join(chr(r[0]) for r in records)
    if len(records) < 3 or types[0] != "1" or types[-2:] != "89" or set(types[1:-2]) - {"2"}:
        problems.append(
            RecordProblem(1, "ファイル", ("レコードの順序が ヘッダー・データ・トレーラ・エンド になっていません。",))
        )
        return problems
    data = records[1:-2]
    trailer = records[-2]
    count = int(layout_field(TRAILER_LAYOUT, "合計件数").slice(trailer))
    total = int(layout_field(TRAILER_LAYOUT, "合計金額").slice(trailer))
    amounts = sum(int(layout_field(DATA_LAYOUT, "引落金額").slice(r)) for r in data)
    messages = []
    if count != len(data):
        messages.append(f"合計件数 {count} がデータ・レコードの件数 {len(data)} と一致しません。")
    if total != amounts:
        messages.append(f"合計金額 {total} が引落金額の合計 {amounts} と一致しません。")
    if messages:
        problems.append(RecordProblem(len(records) - 1, RECORD_NAMES["8"], tuple(messages)))
    return problems


ACCOUNT_FIELDS = ("引落銀行番号", "引落支店番号", "預金種目", "口座番号")


def debit_accounts(content: bytes) -> dict[str, tuple[str, ...]]:
    """{顧客番号 (20 digits): (銀行番号, 支店番号, 預金種目, 口座番号)} of a debit file's data
    records: whom a file debited from which account (for 新規コード the next month)."""
    customer = layout_field(DATA_LAYOUT, "顧客番号")
    fields = [layout_field(DATA_LAYOUT, label) for label in ACCOUNT_FIELDS]
    return {customer.slice(r).decode("ascii"): tuple(f.slice(r).decode("ascii") for f in fields)
            for r in split_records(content) if r[:1] == b"2"}


def item_account(item: "DebitItem") -> tuple[str, ...]:
    """The same four fields of an item as its data record will carry them."""
    return (item.bank_code, item.branch_code, str(item.account_type), item.account_number.zfill(7))


def split_records(content: bytes) -> list[bytes]:
    """The records of a file with CR LF after each record, or with no separator at all."""
    if CRLF in content:
        lines = content.split(CRLF)
        if lines[-1] == b"":
            lines.pop()
        return lines
    return [content[i : i + RECORD_LENGTH] for i in range(0, len(content), RECORD_LENGTH)]


def validate_file(content: bytes) -> list[str]:
    """Every problem of a request file as Japanese sentences prefixed by the record number."""
    records = split_records(content)
    record_problems = []
    for number, record in enumerate(records, start=1):
        problems = validate_record(record)
        if problems:
            text = record.decode(ENCODING, errors="replace")
            record_problems.append(_record_problem(number, text, problems))
    if not record_problems:
        record_problems = structure_problems(records)
    return [p.message() for p in record_problems]


def write_debit_file(path: Path, header: DebitHeader, items: list[DebitItem], **options) -> None:
    """Build the file and write it atomically; on any problem nothing is written."""
    content = build_debit_file(header, items, **options)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_default_directory: ZenginCodeDirectory | None = None


def default_directory() -> ZenginCodeDirectory:
    global _default_directory
    if _default_directory is None:
        _default_directory = ZenginCodeDirectory()
    return _default_directory
