"""Extensions created once and bound in create_app()."""
import sqlite3

from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = get_sqla_class()()
appbuilder = AppBuilder(update_perms=False)
csrf = CSRFProtect()
migrate = Migrate()

# On the embedded SQLite file, web requests, the senders and the scheduler take turns at one
# write lock. Python's default wait for it is 5 s, which a busy machine crosses (the 300-certificate
# volume test failed with "database is locked" at load 17 on two cores); wait up to 30 s instead.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_waits_for_the_write_lock(dbapi_connection, _connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
