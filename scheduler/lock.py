"""Only one active scheduler: a database lock that a standby waits for, with a heartbeat.

The holder writes a heartbeat into its row of ``scheduler_lock`` (``holder`` is
``host:pid:token``, shown on the association's sending status screen) every few seconds (``SCHEDULER_HEARTBEAT_SECONDS``). A standby that finds
the heartbeat older than ``stale_after`` (``SCHEDULER_STALE_SECONDS``) takes over, so a holder
that is alive but not working (frozen by SIGSTOP, a stuck host, a hung thread) cannot stop
sending and month-end closing for ever. The old holder learns at its next heartbeat, or before
its next job (``SchedulerProcess.confirm_lock``), that it lost the lock, and exits.

PostgreSQL: a session-level advisory lock held on a dedicated connection, plus the heartbeat
row. When the holder's process dies, the server drops the lock with the connection and a
standby gets it at once. When the holder is alive but its heartbeat is stale, the standby
ends the holder's lock session (``pg_terminate_backend``; the scheduler's database role may
end its own sessions) and takes the lock. Both steps run under a row lock on the heartbeat row,
so two standbys never both take over and a holder is never ended while it writes its row.
The stale test uses the database server's clock, so the hosts' clocks do not matter.

SQLite (development, tests): the row alone is the lock; a standby takes the row over once the
heartbeat is stale.

Both use real time, not the app's injectable CLOCK: the lock is about elapsed time between
processes, whatever date a test or a demo pretends it is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.services.scheduler_status import holder_id

log = logging.getLogger(__name__)

DEFAULT_LOCK_NAME = "keizoku-scheduler"
PLACEHOLDER_HOLDER = "unknown"  # a row a standby wrote for a lock held without one
# How long a standby waits for the row lock before it tries again at its next poll.
ROW_LOCK_TIMEOUT_MS = 2000
# How long a standby waits for an ended holder's backend to let go of the advisory lock.
RELEASE_WAIT_SECONDS = 5.0


def _utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_table():
    from app.models.invoice import SchedulerLock

    return SchedulerLock.__table__


# The backends holding the advisory lock ``:key`` (a bigint key is classid:objid, objsubid 1).
_HOLDER_PIDS = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key")
_DB_NOW = "timezone('utc', clock_timestamp())"


class AdvisoryLock:
    """PostgreSQL session-level advisory lock on its own connection (not from the app's pool,
    which would hand the connection, and with it the lock, to other work), with the heartbeat
    row that lets a standby replace a holder that stopped beating."""

    def __init__(self, url, name=DEFAULT_LOCK_NAME, *, stale_after=30.0):
        self.name = name
        self.key = advisory_key(name)
        self.holder = holder_id()
        self.stale_after = stale_after
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn = None

    def _connection(self):
        if self._conn is None:
            conn = self._engine.connect()
            with conn.begin():
                # A transaction left open by a frozen process would keep the heartbeat row
                # locked; the server ends such a session (and frees its advisory lock).
                conn.execute(text("SELECT set_config('idle_in_transaction_session_timeout', "
                                  ":ms, false), set_config('lock_timeout', :wait, false)"),
                             {"ms": str(int(self.stale_after * 1000)),
                              "wait": str(ROW_LOCK_TIMEOUT_MS)})
            self._conn = conn
        return self._conn

    def _drop_connection(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free, or if its holder's heartbeat is stale."""
        conn = self._connection()
        table = _lock_table()
        got = False
        try:
            with conn.begin():
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                conn.execute(pg_insert(table).values(
                    name=self.name, holder=PLACEHOLDER_HOLDER, acquired_at=text(_DB_NOW),
                    heartbeat_at=text(_DB_NOW)).on_conflict_do_nothing(index_elements=["name"]))
                # Every acquisition, and every takeover, goes through this row lock.
                row = conn.execute(text(
                    f"SELECT holder, heartbeat_at, {_DB_NOW} - heartbeat_at "
                    "> make_interval(secs => :stale) AS stale FROM scheduler_lock "
                    "WHERE name = :name FOR UPDATE"),
                    {"name": self.name, "stale": float(self.stale_after)}).one()
                got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
                if not got and row.stale:
                    got = self._take_over(conn, row)
                if got:
                    conn.execute(update(table).where(table.c.name == self.name).values(
                        holder=self.holder, acquired_at=text(_DB_NOW), heartbeat_at=text(_DB_NOW)))
        except OperationalError as error:
            # A lock timeout, or a connection the server ended: start afresh next time (a
            # lock we had just got ends with the session).
            self._drop_connection()
            log.warning("scheduler lock %s: could not be taken now (%s)", self.name,
                        str(error).splitlines()[0])
            return False
        except BaseException:
            if got:
                self._drop_connection()
            raise
        return bool(got)

    def _take_over(self, conn, row) -> bool:
        pids = conn.scalars(text(_HOLDER_PIDS), {"key": self.key}).all()
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        log.warning("scheduler lock %s: holder %s last beat at %s UTC (stale after %.0f s); "
                    "ended its lock session %s and taking over", self.name, row.holder,
                    row.heartbeat_at, self.stale_after, pids)
        deadline = time.monotonic() + RELEASE_WAIT_SECONDS
        while time.monotonic() < deadline:
            if conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}):
                return True
            time.sleep(0.05)
        return False  # the next poll tries again

    def heartbeat(self) -> bool:
        """Write the heartbeat; True while our session still holds the lock and the row is
        ours. False when the session was ended (a standby took over) or the database is gone."""
        if self._conn is None:
            return False
        try:
            with self._conn.begin():
                mine = self._conn.execute(text(
                    f"UPDATE scheduler_lock SET heartbeat_at = {_DB_NOW} "
                    "WHERE name = :name AND holder = :holder "
                    f"AND pg_backend_pid() IN ({_HOLDER_PIDS})"),
                    {"name": self.name, "holder": self.holder, "key": self.key}).rowcount
            return mine == 1
        except SQLAlchemyError as error:
            log.error("scheduler lock %s: heartbeat failed (%s)", self.name,
                      str(error).splitlines()[0])
            self._drop_connection()
            return False

    def release(self) -> None:
        if self._conn is None:
            self._engine.dispose()
            return
        try:
            with self._conn.begin():
                table = _lock_table()
                self._conn.execute(delete(table).where(table.c.name == self.name,
                                                       table.c.holder == self.holder))
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError:
            pass  # the connection is gone, and the lock with it
        finally:
            self._drop_connection()
            self._engine.dispose()


class RowLock:
    """A lock row with a heartbeat, for databases without advisory locks (SQLite)."""

    def __init__(self, url, name=DEFAULT_LOCK_NAME, *, stale_after=30.0):
        self.name = name
        self.holder = holder_id()
        self.stale_after = stale_after
        self._table = _lock_table()
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


def make_lock(url, name=DEFAULT_LOCK_NAME, *, stale_after=30.0):
    """The advisory lock with its heartbeat row on PostgreSQL, the lock row elsewhere."""
    url = str(url)
    if url.startswith("postgresql"):
        return AdvisoryLock(url, name, stale_after=stale_after)
    return RowLock(url, name, stale_after=stale_after)
