"""Plate numbers (自動車登録番号・車両番号) as they are searched.

A plate is shown as 「品川 330 さ 12-34」, typed by the QR reader as twelve full-width
characters padded with U+3000 (「品川　　３３０さ　１２３」), and typed by people in every way
between. The stored text and what is typed into a search are reduced to one key: NFKC
(full-width to ASCII), then spaces, hyphens, dots and the ・ padding removed, so
「品川 330 さ 12-34」 and 「品川３３０さ１２３４」 are both ``品川330さ1234``. The 一連指定番号 is
the key's trailing digits without leading zeros: ``1234``, or ``12`` for ・・12.

A search is one of three kinds (``search_kind``):
  - ``serial``: digits only, at most four (「12-34」, 「１２３４」, 「・・12」): the serial equals;
  - ``plate``: a whole plate (地名, 分類番号 if any, かな, 一連指定番号): the key equals;
  - ``partial``: anything else (「品川330」): the key contains it (trigram index on PostgreSQL).
The first two are b-tree lookups whatever the table size (migration 0009_plate_keys).

The SQL in migration 0009 computes the same key for rows already stored; a test compares it
with ``plate_key`` here.
"""
import re
import unicodedata

KEY_LENGTH = 40
SERIAL_LENGTH = 4
SEPARATORS = re.compile(r"[\s・\-‐‑–—−.]")
# The trailing run of digits, without its leading zeros, when one to four digits are left.
SERIAL = re.compile(r"(?:^|[^0-9])0*([1-9][0-9]{0,3})$")
# 地名 (non-ASCII), 分類番号 (up to three digits or letters, absent on 小型二輪),
# かな (one kana, or a letter on some plates), 一連指定番号 (one to four digits).
WHOLE_PLATE = re.compile(r"[^\x00-\x7f]+?[0-9A-Z]{0,3}[ぁ-んァ-ヶA-Z][0-9]{1,4}")
MIN_PARTIAL = 3  # trigram search needs three characters


def plate_key(text):
    """The search key of a plate text, or None when nothing is left of it."""
    key = SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    return key[:KEY_LENGTH] or None


def plate_serial(text):
    """The 一連指定番号 of a plate text as digits without leading zeros, or None."""
    found = SERIAL.search(plate_key(text) or "")
    return found.group(1) if found else None


def search_kind(text):
    """``serial``, ``plate``, ``partial``, ``too_short`` or None (nothing typed)."""
    return _kind(plate_key(text))


def _kind(key):
    if not key:
        return None
    if key.isascii() and key.isdigit():
        if 1 <= len(key.lstrip("0")) <= SERIAL_LENGTH:
            return "serial"
    elif WHOLE_PLATE.fullmatch(key):
        return "plate"
    return "partial" if len(key) >= MIN_PARTIAL else "too_short"


def criterion(key_column, serial_column, text):
    """The SQL condition for plates matching ``text`` (see the module docstring), or None."""
    key = plate_key(text)
    kind = _kind(key)
    if kind == "serial":
        return serial_column == key.lstrip("0")
    if kind == "plate":
        return key_column == key
    if kind in ("partial", "too_short"):
        return key_column.contains(key, autoescape=True)
    return None
