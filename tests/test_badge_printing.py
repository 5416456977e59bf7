"""Badges in the service: the `badges` command, the organiser's badge page, the kiosk API."""

import re

import pytest

from conftest import post_form
from kiosk.attendee_import import import_attendees
from kiosk.attendees import find_attendee, set_revoked
from kiosk.kiosks import create_kiosk
from pdf_checks import open_pdf, page_text, qr_symbols

PEOPLE = (
    "First Name,Last Name,Email,Organisation\n"
    "Zoë,Ångström,zoe@example.org,Karolinska\n"
    "Ann,Lee,ann@example.org,Barts\n"
    "Bob,Adams,bob@example.org,Charité\n"
)


@pytest.fixture
def people(db):
    import_attendees(db, "spring", PEOPLE.encode())
    return {email: find_attendee(db, "spring", email) for email in
            ("zoe@example.org", "ann@example.org", "bob@example.org")}


def badges(runner, *args):
    return runner.invoke(args=["badges", *args])


def decoded(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return [s.text for page in open_pdf(data) for s in qr_symbols(page)]


def printed(db):
    return dict(db.execute("SELECT email, badge_printed_at FROM attendees").fetchall())


def test_badges_command_writes_a_pdf_and_records_printing(runner, people, db, tmp_path):
    out = tmp_path / "badges.pdf"
    result = badges(runner, "spring", "-o", str(out), "--layout", "avery-l4785-a4")
    assert result.exit_code == 0, result.output
    assert "wrote 3 badges on 1 page (avery-l4785-a4)" in result.output
    expected = [f"HTTPS://KIOSK.TEST/B/{people[e]['code']}" for e in
                ("bob@example.org", "ann@example.org", "zoe@example.org")]  # by last name
    assert decoded(out) == expected
    assert all(printed(db).values())
    assert not list(tmp_path.glob("*.partial"))


def test_only_unprinted_and_named_attendees(runner, people, db, tmp_path):
    out = tmp_path / "one.pdf"
    result = badges(runner, "spring", "-o", str(out), "--attendee", people["zoe@example.org"]["code"].lower())
    assert result.exit_code == 0, result.output
    assert decoded(out) == [f"HTTPS://KIOSK.TEST/B/{people['zoe@example.org']['code']}"]
    result = badges(runner, "spring", "-o", str(out), "--only-unprinted", "--sort", "organisation")
    assert result.exit_code == 0, result.output
    texts = [page_text(page) for page in open_pdf(out.read_bytes())]
    assert ["Ann" in texts[0], "Bob" in texts[1]] == [True, True]  # Barts before Charité
    result = badges(runner, "spring", "-o", str(out), "--only-unprinted")
    assert result.exit_code == 1
    assert "every badge has been printed" in result.output


def test_attendee_by_email_and_badge_url(runner, people, tmp_path):
    out = tmp_path / "two.pdf"
    url = f"https://kiosk.test/b/{people['ann@example.org']['code']}"
    result = badges(runner, "spring", "-o", str(out), "--attendee", "bob@example.org", "--attendee", url)
    assert result.exit_code == 0, result.output
    assert len(decoded(out)) == 2


def test_revoked_badges_are_not_printed(runner, people, db, tmp_path):
    set_revoked(db, "spring", people["ann@example.org"]["id"], True)
    out = tmp_path / "all.pdf"
    assert badges(runner, "spring", "-o", str(out)).exit_code == 0
    assert len(decoded(out)) == 2
    result = badges(runner, "spring", "-o", str(out), "--attendee", "ann@example.org")
    assert result.exit_code == 1 and "revoked" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "-o", "{out}"], "no event with slug 'nope'"),
        (["spring", "-o", "{out}", "--attendee", "ghost@example.org"], "no attendee with email or badge code"),
        (["spring", "-o", "{out}", "--layout", "avery-l4785-a4", "--start-at", "11"], "between 1 and 10"),
        (["spring"], "give the event SLUG and -o FILE"),
        (["spring", "-o", "{out}", "--layout", "letter"], "Invalid value for '--layout'"),
    ],
)
def test_badges_command_errors(runner, people, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    result = badges(runner, *[a.replace("{out}", str(out)) for a in args])
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_list_layouts(runner):
    result = badges(runner, "--list-layouts")
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["4x3in", "a6", "brother-62x100", "dymo-30856", "avery-5392-letter",
                     "avery-l4785-a4", "a6-on-a4"]
    assert "DYMO 30856 badge card, 62 x 103 mm (176 x 292 pt); lp -o PageSize=Custom.176x292" in result.output


def test_unknown_glyph_warns_naming_the_attendee(runner, db, tmp_path):
    import_attendees(db, "spring", "Name,Email\nAnkh \U00013000 Lee,ankh@example.org\n".encode())
    result = badges(runner, "spring", "-o", str(tmp_path / "w.pdf"))
    assert result.exit_code == 0
    assert "warning: Ankh \U00013000 Lee" in result.output


def test_api_badge_needs_a_kiosk_token(client, people, db):
    code = people["zoe@example.org"]["code"]
    response = client.get(f"/api/v1/events/spring/badges/{code}.pdf")
    assert response.status_code == 401
    assert response.get_json()["result"] == "unauthorised"
    response = client.get(f"/api/v1/events/spring/badges/{code}.pdf",
                          headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_api_badge_for_a_kiosk(client, people, db):
    _, token = create_kiosk(db, "spring", "Door 1")
    auth = {"Authorization": f"Bearer {token}"}
    code = people["zoe@example.org"]["code"]
    response = client.get(f"/api/v1/events/spring/badges/{code.lower()}.pdf?layout=brother-62x100",
                          headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert decoded(response.data) == [f"HTTPS://KIOSK.TEST/B/{code}"]
    page = open_pdf(response.data)[0]
    assert [round(v) for v in page.get_size()] == [176, 283]
    assert printed(db)["zoe@example.org"] is None, "a GET records nothing"

    response = client.get("/api/v1/events/spring/badges/ZZZZZZZZZZZZZ.pdf", headers=auth)
    assert response.status_code == 404 and response.get_json()["result"] == "not_found"
    response = client.get(f"/api/v1/events/spring/badges/{code}.pdf?layout=poster", headers=auth)
    assert response.status_code == 400 and "unknown badge layout" in response.get_json()["message"]


def test_api_token_of_another_event_is_refused(client, people, db):
    from kiosk.events import create_event

    create_event(db, "other", "Other", "2026-01-01T09:00", "2026-01-01T17:00")
    _, token = create_kiosk(db, "other", "Door")
    response = client.get(f"/api/v1/events/spring/badges/{people['zoe@example.org']['code']}.pdf",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_api_badge_for_a_logged_in_organiser(organiser, people):
    response = organiser.get(f"/api/v1/events/spring/badges/{people['ann@example.org']['code']}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_unknown_api_route_is_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["result"] == "not_found"


def test_badge_page_preview_and_download(organiser, people, db):
    page = organiser.get("/admin/events/spring/badges?layout=avery-l4785-a4").get_data(as_text=True)
    assert "3 badges to print, 0 printed already" in page
    preview_url = re.search(r'<img class="preview"[^>]*src="([^"]+)"', page, re.S).group(1).replace("&amp;", "&")
    preview = organiser.get(preview_url)
    assert preview.mimetype == "image/png" and preview.data.startswith(b"\x89PNG")
    assert not any(printed(db).values()), "a preview records nothing"

    response = post_form(organiser, "/admin/events/spring/badges", {"layout": "avery-l4785-a4", "sort": "last_name"})
    assert response.mimetype == "application/pdf"
    assert 'filename="badges-spring-avery-l4785-a4.pdf"' in response.headers["Content-Disposition"]
    assert len(decoded(response.data)) == 3
    assert all(printed(db).values())

    response = post_form(organiser, "/admin/events/spring/badges",
                         {"layout": "4x3in", "only_unprinted": "1"}, follow_redirects=True)
    assert "every badge has been printed" in response.get_data(as_text=True)


def test_badge_preview_is_a_picture_a_zxing_reader_decodes(organiser, people):
    from io import BytesIO

    import zxingcpp
    from PIL import Image

    png = organiser.get("/admin/events/spring/badges/preview.png?layout=4x3in").data
    (symbol,) = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    assert symbol.text.startswith("HTTPS://KIOSK.TEST/B/")


def test_organiser_adds_a_photo_that_prints_on_the_badge(organiser, people, db):
    import io

    from PIL import Image
    import pypdfium2.raw as raw

    attendee = people["ann@example.org"]
    url = f"/admin/events/spring/attendees/{attendee['id']}/photo"
    photo = io.BytesIO()
    Image.new("RGB", (3000, 2000), (90, 140, 200)).save(photo, "PNG")
    response = post_form(organiser, url, {"photo": (io.BytesIO(photo.getvalue()), "me.png")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "Photo saved." in response.get_data(as_text=True)
    stored = Image.open(io.BytesIO(organiser.get(url + ".jpg").data))
    assert stored.format == "JPEG" and max(stored.size) == 800

    pdf = organiser.get(f"/api/v1/events/spring/badges/{attendee['code']}.pdf").data
    images = list(open_pdf(pdf)[0].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]))
    assert len(images) == 1

    post_form(organiser, url, {"action": "remove"})
    assert organiser.get(url + ".jpg").status_code == 404


@pytest.mark.parametrize("data", [b"GIF89a not really", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, b"x" * (15 * 1024 * 1024 + 1)])
def test_a_bad_photo_is_refused(organiser, people, db, data):
    import io

    attendee = people["ann@example.org"]
    response = post_form(organiser, f"/admin/events/spring/attendees/{attendee['id']}/photo",
                         {"photo": (io.BytesIO(data), "x.png")}, content_type="multipart/form-data",
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "not a photo" in page or "larger than 15 MB" in page
    assert db.execute("SELECT photo FROM attendees WHERE id = ?", [attendee["id"]]).fetchone()[0] is None


def test_a_cli_command_loads_no_preview_renderer_and_hashes_nothing(tmp_path):
    """`flask badges` starts the app like any command: no PDF rasteriser (previews only)
    and no password hash made (logins only) before it does any work."""
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys, kiosk; from kiosk import users; "
              f"kiosk.create_app({{'INSTANCE_PATH': {str(tmp_path)!r}, 'SECRET_KEY': 'x'}}); "
              "print('pypdfium2' in sys.modules, users._dummy_hash.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "0"], done.stderr
