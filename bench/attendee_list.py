"""Benchmark: the organiser's attendee list over 10,000 attendees (goal: < 100 ms a page).

Every filter with every sort, and a search, each the first page of 50 through the whole
stack: a real waitress server on loopback, a logged-in organiser, HTML rendered. The
baseline is GET /healthz through the same server in the same run, so the ratio says what
the list itself costs on this machine.
"""

import http.cookiejar
import random
import re
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from statistics import median, quantiles

from common import get_timings, machine
from waitress.server import create_server

from kiosk import create_app
from kiosk.attendee_import import import_attendees
from kiosk.attendee_list import FILTERS, SORTS
from kiosk.db import connect, migrate
from kiosk.events import create_event, get_event
from kiosk.users import create_user

COUNT = 10_000
REPEATS = 15
GOAL_MS = 100
PASSWORD = "bench password 123"


def build(path):
    """10,000 people: 60 % checked in, 40 % printed, 1 % revoked, 2 % walk-ins, 10 % with
    a 60 KB photo (a headshot as the badge stores it)."""
    rng = random.Random(13)
    db = connect(path)
    migrate(db)
    create_user(db, "bench@example.org", PASSWORD)
    create_event(db, "bench", "Bench", "2026-06-01T09:00", "2026-06-01T17:00", tz="Europe/London")
    rows = ["First Name,Last Name,Email,Organisation"] + [
        f"First{i},Last{rng.randrange(5000)},p{i}@example.org,Org {rng.randrange(300)}"
        for i in range(COUNT)]
    import_attendees(db, "bench", "\n".join(rows).encode())
    event = get_event(db, "bench")
    ids = [row[0] for row in db.execute("SELECT id FROM attendees")]
    with db.conn:
        db.conn.executemany(
            "INSERT INTO checkins (event_id, attendee_id, at) VALUES (?, ?, ?)",
            [(event["id"], i, f"2026-06-01T{8 + n % 8:02}:{n % 60:02}:00+00:00")
             for n, i in enumerate(rng.sample(ids, COUNT * 6 // 10))])
        db.conn.executemany("UPDATE attendees SET badge_printed_at = '2026-05-30T10:00:00+00:00' "
                            "WHERE id = ?", [(i,) for i in rng.sample(ids, COUNT * 4 // 10)])
        db.conn.executemany("UPDATE attendees SET revoked_at = '2026-05-30T10:00:00+00:00' "
                            "WHERE id = ?", [(i,) for i in rng.sample(ids, COUNT // 100)])
        db.conn.executemany("UPDATE attendees SET photo = randomblob(60000) WHERE id = ?",
                            [(i,) for i in rng.sample(ids, COUNT // 10)])
        db.conn.executemany("INSERT INTO consent_log (attendee_id, at, source, share_email, "
                            "share_linkedin, allow_scan) VALUES (?, '2026-06-01', 'walk-in', 1, 1, 1)",
                            [(i,) for i in rng.sample(ids, COUNT // 50)])
    db.close()


def logged_in_opener(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": "bench@example.org",
                                   "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data=form).read()
    return opener


def main():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        build(path)
        app = create_app({"DATABASE": str(path), "INSTANCE_PATH": folder, "SECRET_KEY": "bench"})
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        base = f"http://127.0.0.1:{server.effective_port}"
        threading.Thread(target=server.run, daemon=True).start()
        try:
            opener = logged_in_opener(base)
            baseline = median(get_timings(opener, f"{base}/healthz", REPEATS)[0])
            cases = [(f, s, "") for f in FILTERS for s in SORTS] + [("all", "name", "org 12")]
            results = []
            for status, sort, search in cases:
                query = urllib.parse.urlencode({"status": status, "sort": sort, "q": search})
                samples, body = get_timings(opener, f"{base}/admin/events/bench/attendees?{query}", REPEATS)
                rows = body.count(b"<tr class=")
                results.append((status, sort, search, median(samples),
                                quantiles(samples, n=20)[-1], rows))
        finally:
            server.close()
    print(machine())
    print(f"{COUNT} attendees; first page of 50 through waitress, {REPEATS} requests each; "
          f"baseline GET /healthz median {baseline:.2f} ms")
    for status, sort, search, med, p95, rows in results:
        label = f"{status}/{sort}" + (f" q={search!r}" if search else "")
        print(f"  {label:32} median {med:6.1f} ms  p95 {p95:6.1f} ms  "
              f"({med / baseline:5.1f}x healthz, {rows} rows)")
    worst = max(p95 for *_, p95, _ in results)
    print(f"  slowest p95 {worst:.1f} ms (goal < {GOAL_MS} ms): {'ok' if worst < GOAL_MS else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
