"""Server-side printing through a real CUPS: Debian's cupsd with the cups-pdf virtual
printer (`make test` installs both). A kiosk set up with `create-kiosk --printing server
--print-command "lp -d QUEUE ..."` prints a badge through the API and the PDF arrives in
cups-pdf's output at the stock's size; a stopped queue or a missing printer gives the
kiosk a clear message and the badge stays unprinted."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from badges import LAYOUTS, badge_url
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee
from pdf_checks import open_pdf, qr_symbols

CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
LAYOUT = "dymo-30856"


def cups(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=30,
                          env={**os.environ, "LC_ALL": "C"})


def scheduler_running():
    return "is running" in cups("lpstat", "-r", check=False).stdout


@pytest.fixture(scope="module")
def cups_queue():
    """A cups-pdf queue on the machine's CUPS scheduler (started here when it is not
    running, and stopped again after); its name and the folder its PDFs land in."""
    missing = [tool for tool in ("cupsd", "lpadmin", "lp") if not shutil.which(tool, path=os.environ["PATH"] + ":/usr/sbin")]
    assert not missing and Path(CUPS_PDF_PPD).exists(), \
        "install cups and printer-driver-cups-pdf (make test does: see the Makefile)"
    scheduler = None
    if not scheduler_running():
        scheduler = subprocess.Popen([shutil.which("cupsd", path="/usr/sbin:" + os.environ["PATH"]), "-f"])
        deadline = time.monotonic() + 20
        while not scheduler_running():
            assert time.monotonic() < deadline and scheduler.poll() is None, "cupsd did not start"
            time.sleep(0.2)
    queue = f"kiosk-test-{os.getpid()}"
    cups("lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/", "-P", CUPS_PDF_PPD)
    yield queue, cups_pdf_output()
    cups("lpadmin", "-x", queue, check=False)
    if scheduler:
        scheduler.terminate()
        scheduler.wait(timeout=20)


def cups_pdf_output():
    """cups-pdf's output folder for this user (its `Out` setting)."""
    setting = "${HOME}/PDF"
    for line in Path("/etc/cups/cups-pdf.conf").read_text().splitlines():
        if line.startswith("Out "):
            setting = line.split(None, 1)[1].strip()
    return Path(setting.replace("${HOME}", str(Path.home())))


def new_pdf(folder, before, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        arrived = set(folder.glob("*.pdf")) - before if folder.exists() else set()
        if arrived:
            (path,) = arrived
            time.sleep(0.5)  # cups-pdf writes, then closes
            return path
        time.sleep(0.3)
    raise AssertionError(f"no PDF arrived in {folder}")


@pytest.fixture
def printer_kiosk(runner, db):
    """An attendee and a function making a server-printing kiosk with a print command."""
    import_attendees(db, "spring", b"First Name,Last Name,Email\nZo\xc3\xab,Lee,zoe@example.org\n")
    attendee = find_attendee(db, "spring", "zoe@example.org")

    def kiosk(name, print_command):
        result = runner.invoke(args=["create-kiosk", "spring", name, "--printing", "server",
                                     "--layout", LAYOUT, "--print-command", print_command])
        assert result.exit_code == 0, result.output
        return result.output.split()[-1]

    return attendee, kiosk


def print_badge(client, code, token):
    return client.post(f"/api/v1/events/spring/badges/{code}/print",
                       headers={"Authorization": f"Bearer {token}"})


def printed_at(db, attendee):
    return db.execute("SELECT badge_printed_at FROM attendees WHERE id = ?", [attendee["id"]]).fetchone()[0]


def test_a_kiosk_prints_a_badge_through_cups(cups_queue, printer_kiosk, client, db):
    queue, output = cups_queue
    attendee, kiosk = printer_kiosk
    token = kiosk("Door printer", f"lp -d {queue} -o PageSize={LAYOUTS[LAYOUT].cups_page_size}")
    before = set(output.glob("*.pdf")) if output.exists() else set()
    response = print_badge(client, attendee["code"], token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == "printed"
    arrived = new_pdf(output, before)
    page = open_pdf(arrived.read_bytes())[0]
    arrived.unlink()
    assert page.get_size() == pytest.approx(LAYOUTS[LAYOUT].page, abs=1), "the stock's page size"
    assert [s.text for s in qr_symbols(page)] == [badge_url("https://kiosk.test", attendee["code"])]
    assert printed_at(db, attendee)


def test_a_stopped_queue_tells_the_kiosk_and_the_badge_stays_unprinted(cups_queue, printer_kiosk, client, db):
    queue, _ = cups_queue
    attendee, kiosk = printer_kiosk
    token = kiosk("Stopped printer", f"lp -d {queue}")
    cups("cupsdisable", queue)
    try:
        response = print_badge(client, attendee["code"], token)
        assert cups("lpstat", "-o", queue, check=False).stdout == "", "the held job was cancelled"
    finally:
        cups("cupsenable", queue)
    assert response.status_code == 503
    body = response.get_json()
    assert body["result"] == "printer_failed"
    assert body["message"] == (f"The printer queue {queue} is stopped, so the badge was not printed. "
                               f"Start it again (cupsenable {queue}) and print once more.")
    assert printed_at(db, attendee) is None


def test_a_missing_printer_tells_the_kiosk_and_the_badge_stays_unprinted(cups_queue, printer_kiosk, client, db):
    attendee, kiosk = printer_kiosk
    token = kiosk("Unplugged", "lp -d no-such-printer")
    response = print_badge(client, attendee["code"], token)
    assert response.status_code == 503
    body = response.get_json()
    assert body["result"] == "printer_failed"
    assert re.fullmatch(r"The printer did not take the badge: lp exited with status \d+: lp: (Error - )?"
                        r"The printer or class does not exist\.",
                        body["message"]), body["message"]
    assert printed_at(db, attendee) is None
