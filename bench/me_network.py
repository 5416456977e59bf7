"""Benchmark: /me for a fellow with 500 contacts across a programme of 12 monthly events
(goal: a median answer <= 50 ms; the p95 is printed too, and moves with the machine's load).

The programme: 12 events of 300 people each, drawn from a cohort of 2,000 (so most
people attend several), every one with about 10 connections per event (some 18,000 in
all); the fellow measured is at every event and met 500 different people, some of them at
two events (560 meetings), half saved by them, half saving them, with notes and tags.
Through the whole stack: a real waitress server on loopback, the phone's session cookie
set by confirming the private link, the page rendered. The baseline is GET /healthz
through the same server in the same run, so the ratio says what the page itself costs
on this machine; the contacts download (.vcf) is timed too.
"""

import http.cookiejar
import random
import re
import tempfile
import threading
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median, quantiles

from common import get_timings, machine
from waitress.server import create_server

from kiosk import create_app
from kiosk.attendee_import import import_attendees
from kiosk.db import connect, migrate, write
from kiosk.events import create_event
from kiosk.programmes import create_programme, set_event_programme

EVENTS = 12
COHORT = 2000
PER_EVENT = 300
CONTACTS = 500
TWICE = 60  # contacts met at two events
BACKGROUND_PER_PERSON = 10
REPEATS = 30
GOAL_MS = 50
ME = "fellow@example.org"


def build(path):
    rng = random.Random(12)
    db = connect(path)
    migrate(db)
    create_programme(db, "fellows", "Fellowship")
    people = [f"p{i}@example.org" for i in range(COHORT)]
    contacts = rng.sample(people, CONTACTS)
    meetings = [(i % EVENTS, email) for i, email in enumerate(contacts)]
    meetings += [((event + 1 + rng.randrange(EVENTS - 1)) % EVENTS, email) for event, email in meetings[:TWICE]]
    first = datetime(2025, 1, 15, 18, tzinfo=timezone.utc)
    ids = {}
    for n in range(EVENTS):
        slug = f"m{n:02}"
        start = first + timedelta(days=30 * n)
        create_event(db, slug, f"Workshop {n + 1}", start.isoformat(), (start + timedelta(hours=3)).isoformat())
        set_event_programme(db, slug, "fellows")
        met_here = [email for event, email in meetings if event == n]
        registered = [ME, *met_here, *rng.sample(sorted(set(people) - set(met_here)), PER_EVENT - len(met_here))]
        rows = ["First Name,Last Name,Email,Organisation,Job Title,LinkedIn,share_email"] + [
            f"First {e.split('@')[0]},Last {e.split('@')[0]},{e},School {sum(map(ord, e)) % 40},Year {1 + sum(map(ord, e)) % 6},"
            f"https://www.linkedin.com/in/{e.split('@')[0]},{'yes' if sum(map(ord, e)) % 3 else 'no'}" for e in registered]
        import_attendees(db, slug, "\n".join(rows).encode())
        event_id = db.execute("SELECT id FROM events WHERE slug = ?", [slug]).fetchone()[0]
        ids[n] = (event_id, start, dict(db.execute("SELECT email, id FROM attendees WHERE event_id = ?",
                                                   [event_id]).fetchall()))
    rows = []
    for n, (event_id, start, by_email) in ids.items():
        me = by_email[ME]
        for i, (_, email) in enumerate(m for m in meetings if m[0] == n):
            pair = (me, by_email[email]) if i % 2 else (by_email[email], me)
            rows.append((event_id, *pair, "Ask about the elective" if i % 3 == 0 else "",
                         "follow up" if i % 4 == 0 else "", start + timedelta(minutes=i)))
        others = [i for e, i in by_email.items() if e != ME]
        for scanner in others:
            for scanned in rng.sample(others, BACKGROUND_PER_PERSON // 2):
                if scanned != scanner:
                    rows.append((event_id, scanner, scanned, "", "", start + timedelta(minutes=rng.randrange(180))))
    with write(db):
        db.conn.executemany("""INSERT OR IGNORE INTO connections (event_id, scanner_id, scanned_id, via, note, tags, at)
                               VALUES (?, ?, ?, 'phone', ?, ?, ?)""",
                            [(*row[:5], row[5].isoformat(timespec="seconds")) for row in rows])
    key = db.execute("SELECT private_key FROM attendees WHERE email = ? LIMIT 1", [ME]).fetchone()[0]
    total = db.execute("SELECT count(*) FROM connections").fetchone()[0]
    db.execute("PRAGMA optimize")
    db.close()
    return key, total


def phone(base, key):
    """An opener holding the fellow's phone session: the private link opened and confirmed."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/me/{key}").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(f"{base}/me/{key}", data=f"csrf_token={token}".encode()).read()
    return opener


def main():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        key, total = build(path)
        app = create_app({"DATABASE": str(path), "INSTANCE_PATH": folder, "SECRET_KEY": "bench"})
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        base = f"http://127.0.0.1:{server.effective_port}"
        threading.Thread(target=server.run, daemon=True).start()
        try:
            opener = phone(base, key)
            baseline = median(get_timings(opener, f"{base}/healthz", REPEATS)[0])
            results = {}
            for label, url in (("/me", "/me"), ("/me/contacts.vcf", "/me/contacts.vcf")):
                samples, body = get_timings(opener, base + url, REPEATS)
                results[label] = (median(samples), quantiles(samples, n=20)[-1], body)
        finally:
            server.close()
    page = results["/me"][2].decode()
    counts = re.search(r'class="network-counts"><strong>([^<]+)<', page).group(1)
    print(machine())
    print(f"{EVENTS} events, {total} connections; the fellow: {counts}; {REPEATS} requests each "
          f"through waitress; baseline GET /healthz median {baseline:.2f} ms")
    for label, (med, p95, body) in results.items():
        print(f"  {label:18} median {med:6.1f} ms  p95 {p95:6.1f} ms  ({med / baseline:5.1f}x healthz, "
              f"{len(body) // 1024} KB)")
    typical = results["/me"][0]
    print(f"  /me median {typical:.1f} ms (goal <= {GOAL_MS} ms): {'ok' if typical <= GOAL_MS else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
