"""The SQLite file: one connection per request, transactions, versioned migrations.

sqlite-utils wraps a connection we open ourselves in autocommit mode
(isolation_level=None), so every transaction is explicit: `write(db)` for
read-then-write work takes SQLite's write lock up front with BEGIN IMMEDIATE,
which is what keeps two kiosks from racing on the same row.
"""

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlite_utils
from flask import current_app, g

from .schema import MIGRATIONS

BUSY_TIMEOUT_SECONDS = 10
MMAP_BYTES = 256 * 1024 * 1024
_WRITERS = threading.Lock()
_THREAD = threading.local()


def connect(path):
    """A sqlite-utils Database on its own connection, with the house pragmas."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=True
    )
    conn.execute("PRAGMA foreign_keys = ON")
    # Memory-mapped reads come straight from the OS cache instead of being copied in.
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    # WAL survives a killed process; only an OS crash can lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)


def get_db():
    """The connection for this request (or CLI command).

    Each thread keeps one connection and reuses it for the requests it serves:
    a connection is never shared between threads (sqlite3 forbids it), and a
    request does not pay to open one and parse the schema again (a third of a
    check-in's cost, bench/checkin_load.py)."""
    if "db" not in g:
        g.db = _thread_connection(current_app.config["DATABASE"])
    return g.db


def _thread_connection(path):
    cached = getattr(_THREAD, "db", None)
    if cached is not None and cached[0] == path:
        return cached[1]
    if cached is not None:
        cached[1].close()
    db = connect(path)
    _THREAD.db = (path, db)
    return db


def close_db(_exc=None):
    """End of a request: the connection stays with its thread, a transaction never does."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


@contextmanager
def write(db):
    """A read-then-write transaction; nested calls become savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    # Threads of this process queue on a lock that wakes the next writer at once;
    # contending inside SQLite instead means its busy handler's sleeps of 1-100 ms.
    with _WRITERS:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")


@contextmanager
def rehearsal(db):
    """A write transaction that is always rolled back: do what a real run would, look, undo."""
    with _WRITERS:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        finally:
            db.conn.execute("ROLLBACK")


def query(db, sql, params=()):
    """Rows as dicts. (sqlite-utils' own query() wraps every read in a savepoint: three
    statements where one will do, on the hottest paths.)"""
    cursor = db.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor]


def now():
    """The current UTC time as the ISO string stored in every `*_at` column."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def migrate(db):
    """Bring the schema to the newest version; safe to run twice or from two processes at once."""
    db.conn.execute("PRAGMA journal_mode = WAL")
    with write(db):
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def _statements(script):
    """Split a migration into statements (executescript would commit our transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending!r}")


def init_app(app):
    app.teardown_appcontext(close_db)
    db = connect(app.config["DATABASE"])
    try:
        migrate(db)
    finally:
        db.close()


def backup(db, path):
    """Copy the database to `path` with SQLite's online backup: consistent, and safe
    while the service is writing. Returns the copy's integrity check ("ok")."""
    target = sqlite3.connect(str(path))
    try:
        db.conn.backup(target, pages=256)
        return target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
