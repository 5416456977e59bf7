"""Benchmark: kiosk name search over 50,000 attendees (goal: p95 <= 10 ms).

The FTS5 search the kiosks use (prefix, accent-insensitive, 20 results), against a
plain LIKE scan over the same table in the same run. Each query opens its own
connection, as each web request does.
"""

import random
import tempfile
import time
import unicodedata
from pathlib import Path
from statistics import quantiles

from common import machine

from kiosk.attendee_import import import_attendees
from kiosk.attendees import list_attendees
from kiosk.db import connect, migrate
from kiosk.events import create_event, get_event

COUNT = 50_000
QUERIES = 300
FIRST = ["Amelia", "Zoë", "Oluwaseun", "Siobhán", "José", "Natalia", "Alexandros", "Priya", "Kwame",
         "Chloé", "Ingrid", "Rahul", "Fatima", "Daniel", "Hannah", "Liam", "Aisha", "Sofia", "Ewan", "Leila"]
LAST = ["Hughes", "Ångström", "Adeyemi", "O'Connor", "García", "Ivanova", "Papadopoulos", "Mehta",
        "Mensah", "Dubois", "Solberg", "Zahra", "Okafor", "Schmidt", "Murphy", "Bello", "Rossi", "MacLeod"]
ORGS = ["King's College London", "Karolinska Institutet", "Imperial College", "Charité Berlin",
        "University of Leeds", "Trinity College Dublin", "Barts and The London"]


def plain(text):
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def p95_ms(samples):
    return quantiles(samples, n=20)[-1] * 1000


def main():
    rng = random.Random(7)
    rows = ["First Name,Last Name,Email,Organisation"] + [
        f"{rng.choice(FIRST)},{rng.choice(LAST)}{i % 97 or ''},p{i}@example.org,{rng.choice(ORGS)}"
        for i in range(COUNT)
    ]
    queries = []
    for _ in range(QUERIES):
        word = plain(rng.choice(FIRST + LAST + ORGS).split()[0]).replace("'", "")
        queries.append(word[: rng.randint(2, min(6, len(word)))])
    with tempfile.TemporaryDirectory() as folder:
        db = connect(Path(folder) / "search.db")
        migrate(db)
        create_event(db, "bench", "Bench", "2026-01-01T09:00", "2026-01-01T17:00")
        import_attendees(db, "bench", "\n".join(rows).encode())
        event = get_event(db, "bench")
        db.close()
        fts, like, found = [], [], 0
        for query in queries:
            start = time.perf_counter()
            db = connect(Path(folder) / "search.db")
            found += len(list_attendees(db, "bench", query, limit=20))
            db.close()
            fts.append(time.perf_counter() - start)
            start = time.perf_counter()
            db = connect(Path(folder) / "search.db")
            list(db.query(
                """SELECT * FROM attendees WHERE event_id = ? AND (first_name LIKE ? OR last_name LIKE ?
                   OR email LIKE ? OR organisation LIKE ?) ORDER BY last_name, first_name LIMIT 20""",
                [event["id"]] + [f"%{query}%"] * 4))
            db.close()
            like.append(time.perf_counter() - start)
    print(machine())
    print(f"{COUNT} attendees, {QUERIES} queries of 2-6 letters ({found / QUERIES:.1f} results each)")
    print(f"  FTS5 prefix search   p95 {p95_ms(fts):6.2f} ms (goal <= 10 ms)")
    print(f"  LIKE scan baseline   p95 {p95_ms(like):6.2f} ms  ({p95_ms(like) / p95_ms(fts):.1f}x slower)")


if __name__ == "__main__":
    main()
