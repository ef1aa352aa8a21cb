"""What the domain modules tell users: a refusal with a stable code, or a warning.

``message`` is always a Japanese sentence that says what to do next; ``code`` is stable so
screens and tests can tell cases apart.
"""
import datetime as dt
from dataclasses import dataclass


class CodedError(Exception):
    """Input the rules cannot accept."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DomainWarning:
    """Something the user must see; ``date`` where a date belongs to it."""

    code: str
    message: str
    date: dt.date | None = None
