"""Benchmark: 5,000 digests (10 connections each) queued, rendered and sent (goal: >= 0.7
of raw smtplib's rate).

In one run, against the same aiosmtpd server (its own process, on loopback), each over
one SMTP connection:
  wire    smtplib sending 5,000 copies of one already-flattened digest: the transport alone
  raw     smtplib with a script's minimum per message: the same MIME structure built for each
          recipient from already-rendered text, HTML and vCard, then sent
  ours    send-digests: outbox rows, each digest's contacts queried and rendered (text, HTML,
          vCard), marked sending and then sent
"""

import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import machine, timed

from kiosk import create_app
from kiosk.attendee_import import import_attendees
from kiosk.db import connect
from kiosk.digests import send
from kiosk.events import create_event, get_event
from kiosk.messages import build, compose
from kiosk.mail import WIRE, SMTPMailer

PEOPLE = 5000
PER_PERSON = 10


def smtp_sink():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return server, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP sink did not start")


def prepare(folder):
    path = Path(folder) / "digests.db"
    app = create_app({"INSTANCE_PATH": folder, "DATABASE": str(path), "SECRET_KEY": "bench",
                      "MAIL_FROM": "events@medics.example", "BASE_URL": "https://checkin.example.org"})
    db = connect(path)
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    create_event(db, "bench", "Networking for Medics", start.isoformat(), (start + timedelta(hours=8)).isoformat(),
                 mode="one-way")
    rows = ["First Name,Last Name,Email,Organisation,Job Title,LinkedIn"] + [
        f"Person{i},Surname{i},p{i}@example.org,Hospital {i % 50},FY{i % 2 + 1},https://www.linkedin.com/in/p{i}"
        for i in range(PEOPLE)]
    import_attendees(db, "bench", "\n".join(rows).encode())
    event = get_event(db, "bench")
    ids = [r[0] for r in db.execute("SELECT id FROM attendees ORDER BY id")]
    rng = random.Random(3)
    stamp = start.isoformat()
    db.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO connections (event_id, scanner_id, scanned_id, via, note, at) VALUES (?, ?, ?, 'phone', ?, ?)",
        [(event["id"], me, other, "Talked about research; follow up", stamp)
         for me in ids for other in rng.sample([i for i in ids[:200] if i != me], PER_PERSON)])
    db.execute("COMMIT")
    return app, db


def main():
    server, port = smtp_sink()
    try:
        with tempfile.TemporaryDirectory() as folder:
            app, db = prepare(folder)
            with app.app_context():
                event = get_event(db, "bench")
                first = build(db, event, "digest", db["attendees"].get(1))
                sample = first.as_bytes(policy=WIRE)
                text, html, vcf = (part.get_payload(decode=True) for part in first.walk()
                                   if not part.is_multipart())

                def wire():
                    smtp = smtplib.SMTP("127.0.0.1", port)
                    for i in range(PEOPLE):
                        smtp.sendmail("events@medics.example", [f"p{i}@example.org"], sample)
                    smtp.quit()

                def raw():
                    smtp = smtplib.SMTP("127.0.0.1", port)
                    for i in range(PEOPLE):
                        message = compose("events@medics.example", ("Person", f"p{i}@example.org"),
                                          "Your 10 connections", text.decode(), html.decode(),
                                          [(vcf, "text", "vcard", "contacts.vcf")],
                                          message_id=f"<raw.{i}@medics.example>", unsubscribe="<x>")
                        smtp.send_message(message)
                    smtp.quit()

                wire_s, _ = timed(wire)
                raw_s, _ = timed(raw)
                ours_s, report = timed(lambda: send(db, "bench", "digest", SMTPMailer("127.0.0.1", port, "none"),
                                                        force=True))
            db.close()
    finally:
        server.terminate()
    assert len(report.sent) == PEOPLE, report.summary()
    print(machine())
    print(f"{PEOPLE} digests of {PER_PERSON} contacts ({len(sample) / 1024:.0f} KB each) to aiosmtpd on loopback")
    print(f"  wire: smtplib, one pre-flattened message     {wire_s:6.2f} s  {PEOPLE / wire_s:5.0f} messages/s")
    print(f"  raw: smtplib, a message built per recipient  {raw_s:6.2f} s  {PEOPLE / raw_s:5.0f} messages/s")
    print(f"  ours: send-digests (queue, render, send)     {ours_s:6.2f} s  {PEOPLE / ours_s:5.0f} messages/s")
    print(f"  ours / raw = {raw_s / ours_s:.2f} (goal >= 0.7); ours / wire = {wire_s / ours_s:.2f}")


if __name__ == "__main__":
    main()
