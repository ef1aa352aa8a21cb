"""Japan time, with a clock that tests can replace (app.config["CLOCK"])."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def system_clock():
    return datetime.now(timezone.utc)


def now():
    """The current instant as an aware datetime in Japan time.

    Inside an app context the injectable clock in config["CLOCK"] is used, so tests can
    travel to the edges of the operating hours without patching the standard library.
    """
    clock = system_clock
    try:
        from flask import current_app

        clock = current_app.config.get("CLOCK") or system_clock
    except RuntimeError:
        pass
    return clock().astimezone(JST)


def today() -> date:
    return now().date()


def utcnow_naive():
    """UTC as a naive datetime, for columns stored without a zone on every database."""
    return now().astimezone(timezone.utc).replace(tzinfo=None)
