"""Requests from kiosks and phones carry a nonce; the first answer to each is kept.

The answer is stored in the same transaction as the write it made, so a replay
(an offline kiosk syncing, a retry after a lost response) gets the very same
answer and records nothing new.

The stored answer is looked for in that same write transaction, first (`answered`):
writers take turns (BEGIN IMMEDIATE), so two requests with one nonce cannot both find
none, and a read inside the transaction costs a few microseconds where one of its own
costs a new transaction (see checkins.py).
"""

import json
import re
from dataclasses import dataclass, field

from .db import now, write
from .errors import Invalid
from .kiosks import KIOSK_AS_IT_IS, confirm_kiosk, kiosk_as_kept

NONCE = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


@dataclass
class Answer:
    """What a kiosk is told: an HTTP status, a machine-readable result, words for people."""

    status: int
    result: str
    message: str
    attendee: dict = field(default_factory=dict)
    checked_in_at: str = ""
    workshop: str = ""
    # Registered by this very scan (a programme's person at a door of an event they had not
    # registered for): the code proves nothing about who holds it, so no phone QR. Never sent.
    registered_here: bool = False
    # This scan is the person's arrival: their check-in at the event's door is new (at a
    # workshop kiosk, someone in since the morning gets a new workshop check-in, not this).
    # Never sent.
    arrived: bool = False
    replay: bool = False  # the stored first answer to a nonce seen before; never a new QR
    text: str = field(default="", repr=False, compare=False)  # body() as JSON, once made

    def body(self):
        fields = {"result": self.result, "message": self.message, "attendee": self.attendee,
                  "checked_in_at": self.checked_in_at, "workshop": self.workshop}
        return {k: v for k, v in fields.items() if v not in ("", {})}

    def json(self):
        """The body as JSON text, made once: the text stored for replays is the text sent, and
        a replay sends the stored text itself."""
        if not self.text:
            self.text = json.dumps(self.body())
        return self.text


def check_nonce(nonce):
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise Invalid("nonce must be 8 to 100 letters, digits or - _ . :")
    return nonce


def answered(db, nonce, kiosk, decide):
    """In one write transaction: the answer stored for this nonce, if there is one (a
    replay: nothing is written); else `decide()`'s answer, stored with what it wrote.
    One answer per nonce, written once. Without a nonce, only `decide()`. A kiosk's
    request is first confirmed to come from the kiosk as it is now (confirm_kiosk)."""
    with write(db):
        earlier = _first_read(db, nonce, kiosk)
        if earlier:
            return earlier
        answer = decide()
        if nonce is not None:
            db.execute("INSERT INTO api_replies (asked_by, nonce, kiosk_id, status, body, at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       [_asked_by(kiosk), nonce, kiosk["id"] if kiosk else None, answer.status, answer.json(),
                        now()])
    return answer


def _first_read(db, nonce, kiosk):
    """One statement for what a write transaction checks first (every statement a scan
    runs costs it more under load than its SQL does): that the kiosk is as it was
    authenticated (confirm_kiosk), and the answer this kiosk was first given for this nonce
    (returned; None when there is none, or no nonce). Answers are kept per kiosk: a nonce
    another kiosk (another event's) sent says nothing here."""
    row = db.execute(f"""SELECT k.event_id, k.workshop_id, r.status, r.body FROM (SELECT 1)
                         {KIOSK_AS_IT_IS}
                         LEFT JOIN api_replies r ON r.asked_by = :asked_by AND r.nonce = :nonce""",
                     {**kiosk_as_kept(kiosk), "asked_by": _asked_by(kiosk), "nonce": nonce}).fetchone()
    if kiosk:
        confirm_kiosk(kiosk, row[0], row[1])
    if row[2] is None:
        return None
    return Answer(status=row[2], replay=True, text=row[3], **json.loads(row[3]))


def _asked_by(kiosk):
    """Whose nonces these are: the kiosk's, or (0) requests from no kiosk."""
    return kiosk["id"] if kiosk else 0
