"""Benchmark: suggestions and /me for a programme of 300 fellows over 12 monthly events.

Eleven events held and one to come; each fellow came to about eight of them and met
about fifteen people at each (a few hundred contacts across the year), checked in at
workshops, and half asked to be suggested. Times `suggestions()` (one set-based query
per reader) for 100 readers, each on its own connection as a web request has, and the
whole /me page (suggestions, introductions, everything else) through the Flask app.
Goal: suggestions p95 <= 20 ms; /me p95 <= 50 ms.
"""

import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median, quantiles

from common import machine

from kiosk import create_app
from kiosk.attendee_import import import_attendees
from kiosk.db import connect, now, query
from kiosk.events import add_workshop, create_event
from kiosk.phones import open_session
from kiosk.programmes import create_programme, set_event_programme
from kiosk.suggestions import suggestions
from kiosk.views.attendee import COOKIE, _signer

PEOPLE, EVENTS, READERS = 300, 12, 100
MET_PER_EVENT = 15
ORGS = ["King's College London", "Imperial", "UCL", "Barts", "St George's", "Leeds", "Manchester", "Bristol"]


def p95_ms(samples):
    return quantiles(samples, n=20)[-1] * 1000


def build(db, rng):
    create_programme(db, "fellows", "Fellowship")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=30 * (EVENTS - 1) - 15)
    rows_by_event = []
    for month in range(EVENTS):
        slug, day = f"month-{month}", start + timedelta(days=30 * month)
        create_event(db, slug, f"Workshop {month}", day.isoformat(), (day + timedelta(hours=4)).isoformat())
        set_event_programme(db, slug, "fellows")
        for w in range(2):
            add_workshop(db, slug, f"w{w}", f"Workshop {month}.{w}")
        came = sorted(rng.sample(range(PEOPLE), k=PEOPLE * 2 // 3))
        import_attendees(db, slug, ("First Name,Last Name,Email,Organisation,Role\n" + "".join(
            f"Fellow,{n},f{n}@example.org,{ORGS[n % len(ORGS)]},Year {n % 6 + 1}\n" for n in came)).encode())
        rows = query(db, """SELECT a.id, a.event_id FROM attendees a JOIN events e ON e.id = a.event_id
                            WHERE e.slug = ?""", [slug])
        rows_by_event.append(rows)
        workshops = [w for (w,) in db.execute("SELECT id FROM workshops WHERE event_id = ?", [rows[0]["event_id"]])]
        db.conn.executemany("INSERT INTO checkins (event_id, attendee_id, workshop_id, at) VALUES (?, ?, ?, ?)",
                            [(r["event_id"], r["id"], rng.choice(workshops), now()) for r in rows])
        if month == EVENTS - 1:
            continue  # the event to come: nobody met there yet
        pairs = {(a["id"], b["id"]) for a in rows for b in rng.sample(rows, MET_PER_EVENT // 2) if a is not b}
        db.conn.executemany("""INSERT OR IGNORE INTO connections (event_id, scanner_id, scanned_id, via, at)
                               VALUES (?, ?, ?, 'phone', ?)""", [(rows[0]["event_id"], a, b, now()) for a, b in pairs])
    db.execute("UPDATE attendees SET allow_suggest = 1 WHERE person_id % 2 = 0")
    db.conn.commit()
    return rows_by_event[-2]  # readers: people at the last event held


def main():
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench", "INSTANCE_PATH": folder,
                          "BASE_URL": "http://bench", "RATELIMIT_ENABLED": False})
        db = connect(path)
        readers = build(db, rng)[:READERS]
        contacts = db.execute("""SELECT count(*) * 1.0 / count(DISTINCT scanner_id) FROM connections""").fetchone()[0]
        event = query(db, "SELECT * FROM events WHERE id = ?", [readers[0]["event_id"]])[0]
        people = {r["id"]: query(db, "SELECT * FROM attendees WHERE id = ?", [r["id"]])[0] for r in readers}
        times, sizes = [], []
        for reader in readers:
            start = time.perf_counter()
            own = connect(path)
            found = suggestions(own, people[reader["id"]], event)
            own.close()
            times.append(time.perf_counter() - start)
            sizes.append(len(found))
        pages = []
        with app.app_context():
            for reader in readers[:30]:
                token, _ = open_session(db, people[reader["id"]])
                client = app.test_client()
                client.set_cookie(COOKIE, _signer().dumps(token))
                start = time.perf_counter()
                page = client.get("/me")
                pages.append(time.perf_counter() - start)
                assert page.status_code == 200 and "People to meet next time" in page.get_data(as_text=True)
        db.close()
    print(machine())
    print(f"{PEOPLE} fellows, {EVENTS} events, ~{contacts:.0f} people saved per fellow per event, "
          f"{median(sizes):.0f} suggestions each (median)")
    print(f"suggestions(): median {median(times) * 1000:.1f} ms, p95 {p95_ms(times):.1f} ms (goal <= 20 ms)")
    print(f"GET /me: median {median(pages) * 1000:.1f} ms, p95 {p95_ms(pages):.1f} ms (goal <= 50 ms)")
    if p95_ms(times) > 20 or p95_ms(pages) > 50:
        raise SystemExit("over the goal")


if __name__ == "__main__":
    main()
