"""Operating hours of the shop-facing service (Japan time), as pure functions.

Shops may use Keizoku 1:00-24:00; 0:00-1:00 is the daily maintenance window and the
service is closed from 12/29 to 1/3 (product guide, 利用時間). The window bounds are
settings, so they are passed in.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Hours:
    daily_start: time  # maintenance window start
    daily_end: time  # maintenance window end (exclusive)
    closure_start: tuple  # (month, day), inclusive
    closure_end: tuple  # (month, day), inclusive

    @classmethod
    def from_settings(cls, daily_start="00:00", daily_end="01:00",
                      closure_start="12-29", closure_end="01-03"):
        def hm(text):
            h, m = text.split(":")
            return time(int(h), int(m))

        def md(text):
            m, d = text.split("-")
            return int(m), int(d)

        return cls(hm(daily_start), hm(daily_end), md(closure_start), md(closure_end))


def in_closure(day, hours: Hours):
    key = (day.month, day.day)
    start, end = hours.closure_start, hours.closure_end
    if start <= end:
        return start <= key <= end
    return key >= start or key <= end  # wraps over the new year


def _in_daily_window(moment: datetime, hours: Hours):
    t = moment.time()
    if hours.daily_start <= hours.daily_end:
        return hours.daily_start <= t < hours.daily_end
    return t >= hours.daily_start or t < hours.daily_end


def is_closed(moment: datetime, hours: Hours) -> bool:
    """True when shop users get the maintenance page. ``moment`` is Japan time."""
    return in_closure(moment.date(), hours) or _in_daily_window(moment, hours)


def next_opening(moment: datetime, hours: Hours) -> datetime:
    """The first moment at or after ``moment`` when the service is open."""
    candidate = moment
    for _ in range(24 * 60 + 400):  # bounded: at most a closure plus a day, minute steps
        if not is_closed(candidate, hours):
            return candidate
        if in_closure(candidate.date(), hours):
            candidate = datetime.combine(candidate.date() + timedelta(days=1), time(0),
                                         candidate.tzinfo)
        else:
            candidate = datetime.combine(candidate.date(), hours.daily_end, candidate.tzinfo)
            if candidate <= moment:
                candidate = candidate + timedelta(days=1)
    raise ValueError("operating hours never open")
