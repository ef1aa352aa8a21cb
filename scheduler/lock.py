"""Only one active scheduler: a database lock that a second instance waits for.

PostgreSQL: a session-level advisory lock held on a dedicated connection. The server drops it
the moment that connection ends, so when the holder dies the next instance gets it at once.

SQLite (development, tests): a row in ``scheduler_lock`` with a heartbeat. The holder
refreshes ``heartbeat_at`` every few seconds; a waiting instance takes the row over once the
heartbeat is older than ``stale_after`` seconds, so a dead holder is replaced after that delay.

Both use the system clock, not the app's injectable CLOCK: the lock is about real elapsed time
between processes, whatever date a test or a demo pretends it is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import time
import uuid

from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

DEFAULT_LOCK_NAME = "keizoku-scheduler"


def _utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock:
    """PostgreSQL session-level advisory lock on its own connection (not from the app's pool,
    which would hand the connection, and with it the lock, to other work)."""

    def __init__(self, url, name=DEFAULT_LOCK_NAME):
        self.name = name
        self.key = advisory_key(name)
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        return bool(got)

    def heartbeat(self) -> bool:
        """True while our connection, and so the lock, is alive."""
        try:
            held = self._conn.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": self.key})
            return held == 1
        except SQLAlchemyError:
            log.exception("scheduler lock %s: connection lost", self.name)
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError:
            pass  # the connection is gone, and the lock with it
        finally:
            self._conn.close()
            self._conn = None
            self._engine.dispose()


class RowLock:
    """A lock row with a heartbeat, for databases without advisory locks (SQLite)."""

    def __init__(self, url, name=DEFAULT_LOCK_NAME, *, stale_after=60.0):
        from app.models.invoice import SchedulerLock

        self.name = name
        self.holder = holder_id()
        self.stale_after = stale_after
        self._table = SchedulerLock.__table__
        self._engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        self._last_beat = None

    def try_acquire(self) -> bool:
        now = _utcnow()
        table = self._table
        try:
            with self._engine.begin() as conn:
                taken = conn.execute(
                    update(table)
                    .where(table.c.name == self.name)
                    .where((table.c.holder == self.holder)
                           | (table.c.heartbeat_at < now - dt.timedelta(seconds=self.stale_after)))
                    .values(holder=self.holder, acquired_at=now, heartbeat_at=now)
                ).rowcount
                if not taken:
                    exists = conn.scalar(select(table.c.name).where(table.c.name == self.name))
                    if exists:
                        return False
                    conn.execute(insert(table).values(name=self.name, holder=self.holder,
                                                      acquired_at=now, heartbeat_at=now))
        except IntegrityError:
            return False  # another instance inserted the row first
        except OperationalError as error:
            log.warning("scheduler lock %s: database busy (%s)", self.name, error)
            return False
        self._last_beat = time.monotonic()
        return True

    def heartbeat(self) -> bool:
        """Refresh our row; False once another instance holds it, or once we could not
        refresh it for longer than ``stale_after`` (others may have taken over by then)."""
        try:
            with self._engine.begin() as conn:
                mine = conn.execute(
                    update(self._table)
                    .where(self._table.c.name == self.name, self._table.c.holder == self.holder)
                    .values(heartbeat_at=_utcnow())
                ).rowcount
        except OperationalError as error:
            log.warning("scheduler lock %s: heartbeat failed (%s)", self.name, error)
            return time.monotonic() - self._last_beat < self.stale_after
        if mine:
            self._last_beat = time.monotonic()
        return bool(mine)

    def release(self) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(self._table).where(self._table.c.name == self.name,
                                                       self._table.c.holder == self.holder))
        except SQLAlchemyError:
            log.exception("scheduler lock %s: release failed; it goes stale instead", self.name)
        finally:
            self._engine.dispose()


def make_lock(url, name=DEFAULT_LOCK_NAME, *, stale_after=60.0):
    """The advisory lock on PostgreSQL, the lock row elsewhere."""
    url = str(url)
    if url.startswith("postgresql"):
        return AdvisoryLock(url, name)
    return RowLock(url, name, stale_after=stale_after)
