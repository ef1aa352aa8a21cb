"""JSON read with limits (pure): nesting depth and NUL characters, checked before and after
parsing, so a hostile body or file is refused with a Japanese reason instead of exhausting the
parser's recursion. Used by the app-wide input guard (app/input_guard.py), the token API and the
車検証 file reader."""
import json
import re

MAX_DEPTH = 32

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(rb"[\[\]{}]")

NUL_MESSAGE = "使えない文字(NUL)が含まれています。入力内容を確かめて、もう一度お試しください。"
DEPTH_MESSAGE = "JSON の入れ子が深すぎます({depth}段まで)。"
NOT_JSON_MESSAGE = "JSON として読めません。UTF-8 の JSON を送ってください。"


class JsonRefused(ValueError):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (strings skipped), without parsing it."""
    level = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", raw)):
        level += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, level)
    return deepest


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def check(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Refuse (JsonRefused) raw JSON with a NUL byte or nested deeper than ``max_depth``."""
    if b"\x00" in raw:
        raise JsonRefused("nul", NUL_MESSAGE)
    if depth(raw) > max_depth:
        raise JsonRefused("too_deep", DEPTH_MESSAGE.format(depth=max_depth))


def load(raw: bytes, max_depth: int = MAX_DEPTH, encoding: str = "utf-8"):
    """Parse ``raw`` within the limits; JsonRefused for anything else."""
    check(raw, max_depth)
    try:
        value = json.loads(raw.decode(encoding))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JsonRefused("not_json", NOT_JSON_MESSAGE) from None
    if has_nul(value):
        raise JsonRefused("nul", NUL_MESSAGE)
    return value
