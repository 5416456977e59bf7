"""Kiosk devices: each has a bearer token for the JSON API, stored only as a hash."""

import itertools
import shlex
import shutil
import time

from badges import DEFAULT_LAYOUT, LAYOUTS

from .codes import new_kiosk_token, token_hash
from .db import now, query, write
from .errors import Forbidden, Invalid, NotFound, TryAgain
from .events import check_name, get_event, get_workshop


KIOSK_MODES = ("staffed", "self")
PRINTING = ("browser", "server", "off")


def create_kiosk(db, event_slug, name, workshop_slug=None, *, mode="staffed", layout=None,
                 printing="browser", print_command=None, default_print_command="", may_reissue=True):
    """Register a kiosk, or issue a new token for an existing one of that name
    (the old token stops working). Returns (kiosk row, token): the token is shown once.
    Re-issuing locks the old device out, like revoking, so `may_reissue=False` (staff)
    refuses it.

    `mode`: staffed (search, walk-ins, reprints) or self (attendees check themselves in).
    `printing`: browser (the kiosk page prints), server (a print command runs here with
    the PDF on its standard input, e.g. `lp -d QL800 -o PageSize=62x100mm`) or off.
    The print command is server configuration: only the command line sets it
    (`print_command`; None keeps the kiosk's own), else `default_print_command`
    (KIOSK_PRINT_COMMAND). No web form ever does: it runs as the service's user."""
    event = get_event(db, event_slug)
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("the kiosk needs a name, like 'Door 1'")
    check_name(name, "kiosk name")  # at most 200 characters, like every name
    if mode not in KIOSK_MODES:
        raise Invalid(f"mode must be one of {', '.join(KIOSK_MODES)}")
    if printing not in PRINTING:
        raise Invalid(f"printing must be one of {', '.join(PRINTING)}")
    if print_command is not None:
        print_command = " ".join(check_print_command(print_command))
    if not may_reissue and list_kiosks(db, event_slug, name=name):
        raise Forbidden(f"A kiosk named {name} already exists; only an organiser can give it a new token"
                        " (its device would stop working). Choose another name for a new kiosk.")
    kept = _print_command(db, event["id"], name) if print_command is None else print_command
    if printing == "server" and not (kept or default_print_command):
        raise Invalid("server printing needs a print command: `create-kiosk --print-command 'lp -d QL800'`"
                      " on the server, or KIOSK_PRINT_COMMAND")
    layout = layout or DEFAULT_LAYOUT
    if layout not in LAYOUTS:
        raise Invalid(f"unknown badge layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    workshop = get_workshop(db, event, workshop_slug) if workshop_slug else None
    token = new_kiosk_token()
    with write(db):
        db.execute(
            """INSERT INTO kiosks (event_id, name, workshop_id, token_hash, created_at, mode,
                                   layout, printing, print_command)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (event_id, name) DO UPDATE
               SET workshop_id = excluded.workshop_id, token_hash = excluded.token_hash,
                   created_at = excluded.created_at, revoked_at = NULL, mode = excluded.mode,
                   layout = excluded.layout, printing = excluded.printing,
                   print_command = excluded.print_command""",
            [event["id"], name, workshop["id"] if workshop else None, token_hash(token), now(),
             mode, layout, printing, kept],
        )
    return list_kiosks(db, event_slug, name=name)[0], token


def check_print_command(command):
    """The command as an argument list (it runs without a shell); Invalid when it does not
    parse or its program is not installed here."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise Invalid(f"the print command does not parse: {exc}")
    if argv and shutil.which(argv[0]) is None:
        raise Invalid(f"the print command's program {argv[0]!r} is not installed on this server")
    return [shlex.quote(arg) for arg in argv]


def _print_command(db, event_id, name):
    row = db.execute("SELECT print_command FROM kiosks WHERE event_id = ? AND name = ?",
                     [event_id, name]).fetchone()
    return row[0] if row else ""


def print_command(kiosk, default=""):
    """The argument list a server-printing kiosk runs: its own command, else the default."""
    return shlex.split(kiosk["print_command"] or default)


def list_kiosks(db, event_slug, name=None):
    event = get_event(db, event_slug)
    sql = """SELECT k.id, k.name, k.mode, k.layout, k.printing, k.created_at, k.revoked_at,
                    w.slug AS workshop, w.title AS workshop_title
             FROM kiosks k LEFT JOIN workshops w ON w.id = k.workshop_id
             WHERE k.event_id = ?"""
    params = [event["id"]]
    if name is not None:
        sql += " AND k.name = ?"
        params.append(name)
    return query(db, sql + " ORDER BY k.name", params)


def authenticate(db, token, event_slug=None):
    """The kiosk holding this bearer token (for this event, when one is named), with its
    workshop's slug and title, and its event's row as "event"; None when the token is
    unknown, revoked or another event's. A kiosk request needs no other read to know its
    event (kiosk_event).

    A kiosk sends a request per scan, and what its token unlocks rarely changes: the
    answer is kept in this process (_KNOWN) for SETTINGS_SECONDS, or until a change to a
    kiosk, event or workshop made through any of this process's connections
    (watch_settings), whichever comes first. So a kiosk revoked on the organiser's pages
    stops at once; one revoked by another process (the command line) within seconds, and
    at once for a write (confirm_kiosk)."""
    if not token:
        return None
    key = (getattr(db, "path", None), token_hash(token), event_slug)  # two apps in a process: two files
    known = _KNOWN.get(key)
    if known and known[0] == _generation[0] and known[1] > time.monotonic():
        return _copy(known[2])
    generation = _generation[0]  # read before the row: a change meanwhile makes the entry stale
    kiosk = _read_kiosk(db, *key[1:])
    if kiosk is not None:
        if len(_KNOWN) >= MAX_KNOWN:  # tokens of kiosks long revoked: start afresh
            _KNOWN.clear()
        _KNOWN[key] = (generation, time.monotonic() + SETTINGS_SECONDS, kiosk)
    return _copy(kiosk)


SETTINGS_SECONDS = 2
MAX_KNOWN = 1000
_KNOWN = {}  # (database, token hash, event slug or None) -> (generation, expiry, kiosk)
_generations = itertools.count(1)  # next() is atomic: two threads never take one number
_generation = [0]  # raised by every change to the tables SETTINGS_TABLES names
SETTINGS_TABLES = ("kiosks", "events", "workshops")  # what authenticate() reads


def _read_kiosk(db, hashed, event_slug):
    sql = """SELECT k.*, w.slug AS workshop, w.title AS workshop_title, e.*
             FROM kiosks k JOIN events e ON e.id = k.event_id
             LEFT JOIN workshops w ON w.id = k.workshop_id
             WHERE k.token_hash = ? AND k.revoked_at IS NULL"""
    params = [hashed]
    if event_slug is not None:
        sql += " AND e.slug = ?"
        params.append(event_slug)
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    names = [column[0] for column in cursor.description]
    split = names.index("workshop_title") + 1  # the event's columns follow
    return {**dict(zip(names[:split], row[:split])), "event": dict(zip(names[split:], row[split:]))}


def _copy(kiosk):
    """Each request its own dicts: a view changing one never changes what the next one reads."""
    return {**kiosk, "event": dict(kiosk["event"])} if kiosk else None


def settings_changed():
    """A kiosk, event or workshop changed: every kept authentication is stale."""
    _generation[0] = next(_generations)


# The kiosk's row, if it is still live under the token its kept authentication was for: a
# join any write transaction's first read can carry (nonces.answered), for confirm_kiosk.
KIOSK_AS_IT_IS = """LEFT JOIN kiosks k ON k.id = :kiosk_id AND k.token_hash = :token_hash
                    AND k.revoked_at IS NULL"""


def kiosk_as_kept(kiosk):
    """The parameters KIOSK_AS_IT_IS needs for this kiosk (None: no kiosk, no row)."""
    return {"kiosk_id": kiosk["id"] if kiosk else None, "token_hash": kiosk["token_hash"] if kiosk else None}


def confirm_kiosk(kiosk, event_id, workshop_id):
    """In a write transaction, with what KIOSK_AS_IT_IS read (None, None: no live row): is
    the kiosk's kept authentication still its row (not revoked, re-issued, moved to another
    workshop or deleted with its event since, by another process)? Else every kept
    authentication is forgotten and TryAgain raised: the kiosk sends the request again and
    is authenticated afresh. Read inside the write transaction, the row costs a few
    microseconds (see checkins.py)."""
    if event_id is None or (event_id, workshop_id) != (kiosk["event_id"], kiosk["workshop_id"]):
        settings_changed()
        raise TryAgain("This kiosk's settings changed a moment ago; the scan is kept and sent again.")


def confirm_kiosk_now(db, kiosk):
    """confirm_kiosk, for a kiosk's write with no read of its own to carry KIOSK_AS_IT_IS
    (counting a print, saving a photo): in its write transaction."""
    row = db.execute(f"SELECT k.event_id, k.workshop_id FROM (SELECT 1) {KIOSK_AS_IT_IS}",
                     kiosk_as_kept(kiosk)).fetchone()
    confirm_kiosk(kiosk, row[0], row[1])


def watch_settings(db):
    """Temporary triggers (this connection's own, never written to the file) that call
    settings_changed() on every insert, update and delete in SETTINGS_TABLES: at once, and
    again when the transaction commits, since a kiosk authenticating in between still
    reads the row as it was."""
    pending = []

    def changed():
        settings_changed()
        pending.append(True)

    def committed():
        if pending:
            pending.clear()
            settings_changed()

    db.conn.create_function("kiosk_settings_changed", 0, changed)
    db.after_commit.append(committed)
    for table in SETTINGS_TABLES:
        for action in ("INSERT", "UPDATE", "DELETE"):
            db.conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS watch_{table}_{action.lower()} "
                            f"AFTER {action} ON main.{table} BEGIN SELECT kiosk_settings_changed(); END")


def kiosk_event(db, event_slug, kiosk=None):
    """The event named by `event_slug`: the row the kiosk's authentication read, when it is
    that event's kiosk; else read now."""
    event = kiosk.get("event") if kiosk else None
    return event if event and event["slug"] == event_slug else get_event(db, event_slug)


def kiosk_workshop(kiosk):
    """The workshop a kiosk stands at (id, slug, title), from its authentication; or None."""
    if not kiosk or not kiosk["workshop_id"]:
        return None
    return {"id": kiosk["workshop_id"], "slug": kiosk["workshop"], "title": kiosk["workshop_title"]}


def revoke_kiosk(db, event_slug, name):
    event = get_event(db, event_slug)
    with write(db):
        changed = db.execute(
            "UPDATE kiosks SET revoked_at = ? WHERE event_id = ? AND name = ? AND revoked_at IS NULL",
            [now(), event["id"], name],
        ).rowcount
    if not changed:
        raise NotFound(f"no active kiosk named {name!r} in event {event_slug!r}")
