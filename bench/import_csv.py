"""Benchmark: importing a 10,000-row CSV export (goal: <= 3 s on a 2-core machine).

Measured in one run against a floor: the same file parsed with csv and inserted
with one executemany into the same table, without validation or re-import
matching. Run with `make bench` (or .venv/bin/python bench/import_csv.py).
"""

import csv
import io
import random
import tempfile
from pathlib import Path

from common import machine, timed

from kiosk.attendee_import import import_attendees
from kiosk.codes import new_badge_code, new_private_key
from kiosk.db import connect, migrate, now
from kiosk.events import create_event, get_event

ROWS = 10_000
GOAL_SECONDS = 3.0
FIRST = ["Amelia", "Zoë", "Oluwaseun", "Siobhán", "José María", "Наталья", "小明", "محمد", "נועה", "Priya"]
LAST = ["Hughes", "Ångström", "Adeyemi", "O'Connor", "García-López", "Иванова", "王", "الأحمد", "כהן", "Raghunathan"]
ORGS = ["King's College London", "Karolinska Institutet", "Imperial College London", "Charité – Berlin"]


def make_csv(rows, seed=1):
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First Name", "Last Name", "Email", "Company", "Job Title", "LinkedIn",
                     "Pronouns", "share_email", "share_linkedin", "allow_scan", "Order #"])
    for i in range(rows):
        writer.writerow([rng.choice(FIRST), rng.choice(LAST), f"person{i}@example.org",
                         rng.choice(ORGS), f"Medical student (Year {rng.randint(1, 6)})",
                         f"https://www.linkedin.com/in/person{i}", "they/them",
                         rng.choice(["yes", "no"]), "yes", "yes", str(i)])
    return out.getvalue().encode("utf-8")


def fresh_db(folder, name):
    db = connect(Path(folder) / f"{name}.db")
    migrate(db)
    create_event(db, "bench", "Bench", "2026-01-01T09:00", "2026-01-01T17:00")
    return db


def floor_import(db, data):
    """Parse and insert, nothing else: what any importer must at least pay."""
    event = get_event(db, "bench")
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    stamp = now()
    rows = [
        (event["id"], r[0], r[1], r[2], r[3], r[4], r[6], r[5], 1, 1, 1, stamp, "import",
         new_badge_code(), new_private_key(), stamp, stamp)
        for r in reader
    ]
    db.execute("BEGIN IMMEDIATE")
    db.conn.executemany(
        """INSERT INTO attendees (event_id, first_name, last_name, email, organisation, role,
           pronouns, linkedin_url, share_email, share_linkedin, allow_scan, consent_at,
           consent_source, code, private_key, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    db.execute("COMMIT")


def main():
    data = make_csv(ROWS)
    changed = make_csv(ROWS, seed=2)
    with tempfile.TemporaryDirectory() as folder:
        floor_s, _ = timed(lambda: floor_import(fresh_db(folder, "floor"), data))
        db = fresh_db(folder, "kiosk")
        first_s, first = timed(lambda: import_attendees(db, "bench", data))
        again_s, again = timed(lambda: import_attendees(db, "bench", data))
        update_s, update = timed(lambda: import_attendees(db, "bench", changed))
        dry_s, _ = timed(lambda: import_attendees(db, "bench", changed, dry_run=True))
    assert first.created == ROWS and again.unchanged == ROWS and update.updated > 0
    print(machine())
    print(f"{ROWS} rows, {len(data) / 1e6:.1f} MB CSV")
    print(f"  floor (csv + executemany)   {floor_s:6.3f} s")
    print(f"  import, all new             {first_s:6.3f} s  ({first_s / floor_s:.1f}x floor)")
    print(f"  re-import, unchanged        {again_s:6.3f} s  ({again_s / floor_s:.1f}x floor)")
    print(f"  re-import, {update.updated} updated     {update_s:6.3f} s  ({update_s / floor_s:.1f}x floor)")
    print(f"  dry run (preview)           {dry_s:6.3f} s  ({dry_s / floor_s:.1f}x floor)")
    verdict = "met" if first_s <= GOAL_SECONDS else "MISSED"
    print(f"goal: 10,000 rows in <= {GOAL_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
