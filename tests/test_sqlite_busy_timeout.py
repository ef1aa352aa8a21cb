"""The embedded SQLite file waits for its write lock long enough for a busy machine."""
from sqlalchemy import create_engine, text

from app.extensions import SQLITE_BUSY_TIMEOUT_MS


def test_every_sqlite_connection_waits_for_the_write_lock(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    assert SQLITE_BUSY_TIMEOUT_MS >= 30_000
