"""Long lists shown newest first, a page at a time.

The next page starts after the last row shown (its date and id, in the ``after`` argument), not
at an offset: page 100 costs what page 1 costs on millions of rows, and a row saved meanwhile
does not push a row onto two pages. A key that does not parse is ignored (the first page).
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import tuple_

PAGE_ROWS = 50


@dataclass(frozen=True)
class Page:
    rows: list
    after: str | None  # the key this page started after (None: the newest rows)
    next_after: str | None  # the key of the next page (None: this is the last)
    size: int


def page_key(day: dt.date, pk: int) -> str:
    return f"{day.isoformat()}.{pk}"


def parse_page_key(text):
    """(date, id) from ``2026-11-20.123``, or None for anything else."""
    day, _, pk = (text or "").partition(".")
    try:
        return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def newest_first(session, query, date_column, id_column, args, size=PAGE_ROWS) -> Page:
    """One page of ``query`` ordered by ``date_column`` then ``id_column``, newest first."""
    key = parse_page_key(args.get("after"))
    if key is not None:
        query = query.where(tuple_(date_column, id_column) < tuple_(*key))
    rows = session.scalars(query.order_by(date_column.desc(), id_column.desc()).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    next_after = page_key(getattr(last, date_column.key), getattr(last, id_column.key)) if more else None
    return Page(rows=rows, after=page_key(*key) if key else None, next_after=next_after, size=size)


def page_args(args, after=None) -> dict:
    """The list's own arguments (search, site) for a link to another page of it."""
    kept = {name: value for name, value in args.items() if name != "after"}
    return {**kept, "after": after} if after else kept
