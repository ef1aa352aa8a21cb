"""Whether the scheduler is alive: its heartbeat rows in ``scheduler_lock``, for the
association's sending status screen. A stale heartbeat means that sending, follow-up and the
month-end closing have stopped until a standby takes over or the operators restart it.

The holder of a lock is written as ``host:pid:token`` (``holder_id``), so the screen can say
which process on which host holds it. Real time (the system clock), never the app's CLOCK.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.models.invoice import SchedulerLock
from app.timeutil import JST


def holder_id() -> str:
    """This process as a lock holder: ``host:pid:token`` (the token tells restarts apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def parse_holder(holder: str):
    """(host, pid) of a holder id, or (None, None) for a placeholder or a foreign value."""
    parts = (holder or "").rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None, None
    return parts[0], int(parts[1])


@dataclass(frozen=True)
class Heartbeat:
    name: str
    host: str | None
    pid: int | None
    acquired_at: dt.datetime  # Japan time
    beat_at: dt.datetime  # Japan time
    age_seconds: float
    stale: bool


def _as_jst(naive_utc):
    return naive_utc.replace(tzinfo=dt.timezone.utc).astimezone(JST)


def heartbeats(session, now_utc: dt.datetime, stale_after: float) -> list[Heartbeat]:
    """Every scheduler lock row with its age against ``now_utc`` (aware) and whether it is
    older than ``stale_after`` seconds; usually one row, none while no scheduler runs."""
    rows = session.scalars(select(SchedulerLock).order_by(SchedulerLock.name)).all()
    result = []
    for row in rows:
        host, pid = parse_holder(row.holder)
        age = (now_utc - row.heartbeat_at.replace(tzinfo=dt.timezone.utc)).total_seconds()
        result.append(Heartbeat(name=row.name, host=host, pid=pid,
                                acquired_at=_as_jst(row.acquired_at), beat_at=_as_jst(row.heartbeat_at),
                                age_seconds=max(age, 0.0), stale=age > stale_after))
    return result
