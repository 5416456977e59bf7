"""The SQLite file: connections, transactions, versioned migrations.

sqlite-utils wraps a connection we open ourselves in autocommit mode
(isolation_level=None), so every transaction is explicit: `write(db)` for
read-then-write work takes SQLite's write lock up front with BEGIN IMMEDIATE,
which is what keeps two kiosks from racing on the same row. Each server thread
reads on a connection of its own (get_db); their writes take turns on one shared
connection (_writing).
"""

import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

import click
import sqlite_utils
from flask import current_app, g

from .errors import Invalid
from .schema import MIGRATIONS

BUSY_TIMEOUT_SECONDS = 10
# A checkpoint (copying the WAL into the database, with an fsync) runs in the commit that
# fills the WAL to this many pages, under the writer lock: a few ms in which no kiosk
# writes. A check-in or pair scan adds about 4 pages, so SQLite's default of 1000 would
# checkpoint every ~250 scans; at 10000 (a WAL of up to 40 MB) every ~2500, and a
# checkpoint costs little more for it: pages written many times are copied once.
CHECKPOINT_PAGES = 10000
_WRITERS = threading.Lock()
_THREAD = threading.local()


def connect(path, across_threads=False):
    """A sqlite-utils Database on its own connection, with the house pragmas (one
    thread's, unless `across_threads`: the writer's, see _writing). A new
    database file is readable by its owner only (it holds people's personal data; SQLite
    gives its -wal and -shm files the same permissions)."""
    if not os.path.exists(path):
        try:
            _create_private(path)
        except FileExistsError:  # another process created it a moment ago
            pass
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
        check_same_thread=not across_threads
    )
    conn.execute("PRAGMA foreign_keys = ON")
    # No memory-mapped reads: every thread has its own connection, which under load finds
    # the file changed by another's commit at nearly every request; SQLite then unmaps it
    # and faults each page in again. A check-in with another connection committing between
    # two of them cost ~440 us of CPU mapped, ~350 us read (and ~270 us either way alone).
    # WAL survives a killed process; only an OS crash can lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    db.path = os.path.realpath(path)
    db.after_commit = []  # called after every commit of write()
    if conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):  # never while migrating
        from .kiosks import watch_settings  # (kiosks.py imports this module)

        watch_settings(db)  # kiosk authentications kept in memory hear of every change
    return db


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
    db.shares_writer = True  # its write transactions run on the one writer (_writing)
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
    with _writing(db) as writer:
        yield db
        db.conn.execute("COMMIT")
    for database in {db, writer}:
        for listener in getattr(database, "after_commit", ()):  # a Database made elsewhere has none
            listener()


@contextmanager
def rehearsal(db):
    """A write transaction that is always rolled back: do what a real run would, look, undo."""
    with _writing(db):
        yield db


@contextmanager
def _writing(db):
    """A write transaction (BEGIN IMMEDIATE), rolled back unless committed in it; yields
    the Database whose connection it is on.

    Threads of this process take turns on a lock that wakes the next writer at once
    (contending inside SQLite instead means its busy handler's sleeps of 1-100 ms). And
    a request's connection writes on the one connection that every thread's writes
    share (_writer): SQLite empties a connection's page cache whenever another one has
    committed since it last looked, so with a connection per thread each scan read every
    B-tree page it touched afresh; the one writer finds them where its last write left
    them (~10% of a pair scan's CPU with 8 threads in process; under wrk, where Python's
    GIL sets the pace, within the noise)."""
    with _WRITERS:
        writer = _writer(db.path) if getattr(db, "shares_writer", False) else db
        own, db.conn = db.conn, writer.conn
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            yield writer
        finally:
            if db.conn.in_transaction:  # an exception, a failed COMMIT or a rehearsal
                db.conn.execute("ROLLBACK")
            db.conn = own


_WRITER_DATABASES = {}  # database file -> its Database that writes; only touched under _WRITERS
MAX_WRITER_DATABASES = 4  # one service has one file; the tests, one a test


def _writer(path):
    writer = _WRITER_DATABASES.get(path)
    if writer is None:
        if len(_WRITER_DATABASES) >= MAX_WRITER_DATABASES:  # none is in use: we hold _WRITERS
            for old in _WRITER_DATABASES.values():
                old.close()
            _WRITER_DATABASES.clear()
        # Used by one thread at a time, under _WRITERS, never outside a transaction of
        # _writing's. So the rows of a write's statements are read inside its `with write`
        # block: a cursor kept for after it would read on another thread's transaction.
        writer = _WRITER_DATABASES[path] = connect(path, across_threads=True)
    return writer


def query(db, sql, params=()):
    """Rows as dicts. (sqlite-utils' own query() wraps every read in a savepoint: three
    statements where one will do, on the hottest paths.)"""
    cursor = db.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor]


def _create_private(path):
    """An empty file only its owner may read; a clear error where the folder is missing."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Invalid(f"the folder {folder} does not exist")
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def now():
    """The current UTC time as the ISO string stored in every `*_at` column."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class DatabaseTooNew(click.ClickException):
    """The file was written by a newer release: opening it could lose what that release stored."""


def migrate(db, path=None):
    """Bring the schema to the newest version; safe to run twice or from two processes at once.

    All pending migrations run in one transaction: a crash or kill half-way leaves the
    database exactly as it was, and the next start tries again. Before changing a
    database that holds data, a copy is written next to it (`kiosk.db.before-vN`, N being
    the first schema version applied), so an organiser can go back to the release they had."""
    db.conn.execute("PRAGMA journal_mode = WAL")
    version = _schema_version(db, path)
    if 0 < version < len(MIGRATIONS) and path and _holds_data(db):
        # Before the transaction: SQLite cannot copy a database its connection is writing.
        _keep_copy(db, f"{path}.before-v{version + 1}")
    # A table rebuild (create the new table, copy, drop the old, rename) must not cascade
    # the drop into the tables that refer to it: foreign keys are off while migrating (a
    # pragma SQLite ignores inside a transaction) and checked before the commit instead.
    db.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with write(db):
            version = _schema_version(db, path)  # another process may have migrated meanwhile
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.conn.execute(statement)
                db.conn.execute(f"PRAGMA user_version = {number}")
            broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"a migration left rows whose references are broken: {broken[:5]}")
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")
    return len(MIGRATIONS)


def _schema_version(db, path):
    version = db.conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise DatabaseTooNew(
            f"{path or 'the database'} was written by a newer release of this service (schema "
            f"version {version}; this release knows up to {len(MIGRATIONS)}). Run the newer release, "
            "or restore the backup taken before the upgrade (kiosk.db.before-vN, see README: Upgrading).")
    return version


def _holds_data(db):
    return db.conn.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]


def _keep_copy(db, path):
    """The database as it is now (inside the migration's transaction, so exactly what the
    upgrade starts from)."""
    if os.path.exists(path):  # an earlier attempt was interrupted: its copy is the original
        return
    partial = f"{path}.partial"
    if os.path.exists(partial):
        os.unlink(partial)
    backup(db, partial)
    os.replace(partial, path)
    logging.getLogger(__name__).warning("upgrading the database: a copy of it as it was is in %s", path)


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
        migrate(db, app.config["DATABASE"])
    finally:
        db.close()


def backup(db, path):
    """Copy the database to `path` (a new file, readable by its owner only) with SQLite's
    online backup: consistent, and safe while the service is writing. Returns the copy's
    integrity check ("ok")."""
    _create_private(path)
    target = sqlite3.connect(str(path))
    try:
        db.conn.backup(target, pages=256)
        return target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
