"""Test data: a programme of three monthly events sharing people (reusable by any test).

    from programme_data import three_event_programme
    fellows = three_event_programme(db)
    fellows.rows["ann"]["mar"]        # Ann's registration (attendee row) at the March event
    fellows.events                    # ("jan", "feb", "mar"), held in that order, all over

Built through the domain (create_programme, create_event, set_event_programme, CSV import:
the same email is the same person, with one badge code), the connections recorded with
`record` while each event is open, then the events moved to their months (January,
February and March 2026, evenings in London) and each connection's time with them.

Who met whom (scanner -> scanned; every event mutual unless `modes` says otherwise):
    jan: ann -> zoe (note), ann -> cy ("follow up"), eve -> ann
    feb: ann -> zoe again, ann -> dee ("follow up", "mentor"), zoe -> dee
    mar: ann -> fay, zoe -> cy
So Ann met 5 people (Zoë twice) from 5 organisations at 3 events.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee
from kiosk.connections import record
from kiosk.db import write
from kiosk.events import create_event
from kiosk.programmes import create_programme, set_event_programme

PROGRAMME = ("fellows", "Fellowship 2026")
EVENTS = (  # slug, name, start (UTC), who is registered
    ("jan", "January: Leadership", "2026-01-15T18:00:00+00:00", ("ann", "zoe", "cy", "eve")),
    ("feb", "February: Entrepreneurship", "2026-02-12T18:00:00+00:00", ("ann", "zoe", "dee")),
    ("mar", "March: Networking", "2026-03-12T18:00:00+00:00", ("ann", "zoe", "cy", "fay")),
)
HEADER = "First Name,Last Name,Email,Organisation,Job Title,LinkedIn,share_email,share_linkedin,allow_scan"
PEOPLE = {
    "ann": "Ann,Lee,ann@example.org,Barts,Year 3,https://www.linkedin.com/in/ann,yes,yes,yes",
    "zoe": "Zoë,Ångström,zoe@example.org,Karolinska,Year 5,https://www.linkedin.com/in/zoe,yes,yes,yes",
    "cy": "Cy,Dee,cy@example.org,UCL,Year 2,,no,yes,yes",
    "eve": "Eve,Moss,eve@example.org,Oxford,Year 4,,yes,no,yes",
    "dee": "Dee,Park,dee@example.org,Barts,Year 6,,yes,yes,yes",
    "fay": "Fay,Nash,fay@example.org,Imperial,Year 1,,yes,yes,yes",
}
MEETINGS = {
    "jan": (("ann", "zoe", "Ask about the Karolinska exchange", ()), ("ann", "cy", "", ("follow up",)),
            ("eve", "ann", "", ())),
    "feb": (("ann", "zoe", "", ()), ("ann", "dee", "", ("follow up", "mentor")), ("zoe", "dee", "", ())),
    "mar": (("ann", "fay", "", ()), ("zoe", "cy", "", ())),
}


@dataclass
class Programme:
    slug: str
    events: tuple
    rows: dict = field(default_factory=dict)  # {name: {event slug: attendee row}}


def three_event_programme(db, *, modes=None, last_open=False):
    """The programme above. `modes`: {event slug: "one-way"} for events not mutual.
    `last_open`: the March event is open now (phones can still scan) instead of over."""
    modes = modes or {}
    create_programme(db, *PROGRAMME)
    fellows = Programme(PROGRAMME[0], tuple(slug for slug, *_ in EVENTS))
    opened = datetime.now(timezone.utc) - timedelta(hours=1)
    for slug, name, _, names in EVENTS:
        create_event(db, slug, name, opened.isoformat(), (opened + timedelta(hours=8)).isoformat(),
                     mode=modes.get(slug, "mutual"), tz="Europe/London", grace_minutes=30)
        set_event_programme(db, slug, PROGRAMME[0])
        import_attendees(db, slug, "\n".join([HEADER, *(PEOPLE[n] for n in names)]).encode())
        for who in names:
            fellows.rows.setdefault(who, {})[slug] = find_attendee(db, slug, f"{who}@example.org")
        for scanner, scanned, note, tags in MEETINGS[slug]:
            record(db, slug, fellows.rows[scanner][slug], fellows.rows[scanned][slug]["code"], via="phone",
                   note=note, tags=tags)
    for slug, _, starts, _ in EVENTS:
        if not (last_open and slug == EVENTS[-1][0]):
            _hold_at(db, slug, datetime.fromisoformat(starts))
    return fellows


def _hold_at(db, slug, start):
    """Move an event to `start` (three hours long), its connections a minute apart from 18:30."""
    with write(db):
        db.execute("UPDATE events SET starts_at = ?, ends_at = ? WHERE slug = ?",
                   [start.isoformat(), (start + timedelta(hours=3)).isoformat(), slug])
        ids = [row[0] for row in db.execute(
            "SELECT c.id FROM connections c JOIN events e ON e.id = c.event_id WHERE e.slug = ? ORDER BY c.id",
            [slug])]
        db.conn.executemany("UPDATE connections SET at = ? WHERE id = ?",
                            [((start + timedelta(minutes=30 + i)).isoformat(timespec="seconds"), cid)
                             for i, cid in enumerate(ids)])
