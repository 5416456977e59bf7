"""Issue 12, item 7: `import-photos` from a folder or a zip, and the same upload on the
organiser pages. Every photo or none; unmatched and unreadable files listed by name."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import post_form
from headshot_files import (GPS_IFD, ORIENTATION, bomb_png, jpeg, opened, png, scan_data,
                            zipped)
from kiosk import photo_import
from kiosk.attendees import add_attendee
from kiosk.events import create_event
from kiosk.programmes import create_programme, set_event_programme


@pytest.fixture
def people(db):
    return {email.split("@")[0]: add_attendee(db, "spring", {"first_name": first, "last_name": last,
                                                              "email": email})
            for first, last, email in (("Zoë", "Ångström", "zoe@example.org"),
                                       ("Bob", "Baker", "bob@example.org"),
                                       ("Cy", "Cole", "cy@example.org"))}


def photos(db):
    return dict(db.execute("SELECT email, photo FROM attendees WHERE photo IS NOT NULL").fetchall())


def originals(db):
    return {row[0]: row[1:] for row in db.execute(
        """SELECT a.email, h.format, h.width, h.height, h.source, h.original FROM headshots h
           JOIN attendees a ON a.person_id = h.person_id""").fetchall()}


def test_a_folder_is_matched_by_email_or_badge_code_in_any_case_and_sub_folder(runner, db, people, tmp_path):
    folder = tmp_path / "shoot"
    (folder / "Day two" / "Room B").mkdir(parents=True)
    (folder / "__MACOSX").mkdir()
    (folder / "ZOE@Example.ORG.JPEG").write_bytes(jpeg(1600, 1200))
    (folder / "Day two" / "Room B" / f"{people['bob']['code'].lower()}.png").write_bytes(png(900, 700))
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "__MACOSX" / "._zoe@example.org.jpeg").write_bytes(b"\0\5\26\7 resource fork")
    (folder / "Thumbs.db").write_bytes(b"windows thumbnails")

    result = runner.invoke(args=["import-photos", "spring", str(folder)])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 photos imported (3 system files skipped)"
    assert set(photos(db)) == {"zoe@example.org", "bob@example.org"}
    badge = opened(photos(db)["zoe@example.org"])
    assert (badge.format, badge.size) == ("JPEG", (800, 600))
    stored = originals(db)
    assert stored["zoe@example.org"][:4] == ("JPEG", 1600, 1200, "import")
    assert stored["bob@example.org"][:4] == ("PNG", 900, 700, "import")
    assert opened(stored["bob@example.org"][4]).size == (900, 700)


def test_any_file_unmatched_or_unreadable_is_listed_and_nothing_is_imported(runner, db, people, tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "zoe@example.org.jpg").write_bytes(jpeg())
    (folder / "nobody@example.org.jpg").write_bytes(jpeg())
    (folder / "bob@example.org.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (folder / "cy@example.org.jpg").write_bytes(bomb_png())
    (folder / "notes.txt").write_text("shot list")
    (folder / "ZOE@example.org.png").write_bytes(png())

    result = runner.invoke(args=["import-photos", "spring", str(folder)])

    assert result.exit_code == 1
    errors = dict(line.split(": ", 1) for line in result.stderr.strip().splitlines()[:-1])
    assert errors == {
        "notes.txt": "not a JPEG or PNG file (by its name)",
        "zoe@example.org.jpg": "a second photo of Zoë Ångström (also ZOE@example.org.png)",
        "bob@example.org.png": "that file is not a photo Pillow can read (use JPEG or PNG)",
        "cy@example.org.jpg": "the image is 7700 x 7700 pixels; send one of at most 24 megapixels",
        "nobody@example.org.jpg": "matches nobody at Spring Networking: name the file after the "
                                  "attendee's email or badge code",
    }
    assert result.stderr.strip().splitlines()[-1] == "Error: no photo imported: 5 files to fix first"
    assert photos(db) == {} and originals(db) == {}


def test_a_zip_is_read_in_memory_whatever_its_names_say(runner, db, people, tmp_path, monkeypatch):
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    archive = work / "photos.zip"
    archive.write_bytes(zipped({
        "../../escaped/zoe@example.org.jpg": jpeg(),
        f"/abs/Photos/{people['cy']['code']}.JPG": jpeg(colour="navy"),
        "__MACOSX/Photos/._bob.jpg": b"\0",
        "Photos/.hidden.jpg": b"\0",
    }))

    result = runner.invoke(args=["import-photos", "spring", str(archive)])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 photos imported (2 system files skipped)"
    assert set(photos(db)) == {"zoe@example.org", "cy@example.org"}
    assert [p.name for p in (tmp_path / "work").rglob("*")] == ["here", "photos.zip"]  # nothing extracted
    assert not (tmp_path / "escaped").exists()


def test_a_zip_refuses_encrypted_entries_and_entries_that_inflate_past_the_limit(runner, db, people, tmp_path):
    archive = tmp_path / "photos.zip"
    archive.write_bytes(zipped({
        "zoe@example.org.jpg": jpeg(),
        "bob@example.org.jpg": jpeg(),
        "cy@example.org.jpg": b"\xff\xd8" + b"\0" * (16 * 1024 * 1024),  # 16 MB of zeros: a 16 KB entry
    }, encrypted={"bob@example.org.jpg"}))
    assert archive.stat().st_size < 100_000

    result = runner.invoke(args=["import-photos", "spring", str(archive)])

    assert result.exit_code == 1
    assert "bob@example.org.jpg: is encrypted: zip the photos again without a password" in result.stderr
    assert "cy@example.org.jpg: larger than 15 MB" in result.stderr
    assert photos(db) == {}


def test_a_zip_with_too_many_files_or_no_photo_is_refused_in_one_line(runner, db, people, tmp_path, monkeypatch):
    monkeypatch.setattr(photo_import, "MAX_ENTRIES", 3)
    archive = tmp_path / "photos.zip"
    archive.write_bytes(zipped({f"{n}.jpg": b"x" for n in range(4)}))
    result = runner.invoke(args=["import-photos", "spring", str(archive)])
    assert result.exit_code == 1
    assert result.stderr == "Error: the zip holds 4 files; at most 3 are taken at once\n"

    archive.write_bytes(b"not a zip at all")
    result = runner.invoke(args=["import-photos", "spring", str(archive)])
    assert result.stderr == "Error: that is neither a folder nor a readable .zip file\n"

    (tmp_path / "empty").mkdir()
    result = runner.invoke(args=["import-photos", "spring", str(tmp_path / "empty")])
    assert result.stderr == "Error: there is no photo (a .jpg, .jpeg or .png file) in it\n"


def test_the_original_keeps_its_pixels_and_orientation_but_loses_its_gps(runner, db, people, tmp_path):
    taken = jpeg(1200, 900, gps=True, orientation=6)  # a phone held upright: rotate when shown
    assert opened(taken).getexif().get_ifd(GPS_IFD)
    (tmp_path / "shoot").mkdir()
    (tmp_path / "shoot" / "zoe@example.org.jpg").write_bytes(taken)

    assert runner.invoke(args=["import-photos", "spring", str(tmp_path / "shoot")]).exit_code == 0

    original = originals(db)["zoe@example.org"][4]
    exif = opened(original).getexif()
    assert not exif.get_ifd(GPS_IFD) and GPS_IFD not in exif
    assert exif[ORIENTATION] == 6 and exif[0x010F] == "Camera maker"
    assert scan_data(original) == scan_data(taken)  # not re-encoded
    assert opened(photos(db)["zoe@example.org"]).size == (600, 800)  # the badge copy is upright


def test_a_png_loses_its_text_chunks_and_exif_gps(db, people):
    from kiosk.headshots import prepare
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta><exif:GPSLatitude>51,30N</exif:GPSLatitude></x:xmpmeta>")
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5)}
    exif[ORIENTATION] = 3
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "plum").save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    stored = opened(prepare(out.getvalue()).original)
    stored.load()
    assert b"GPSLatitude" not in prepare(out.getvalue()).original
    assert not stored.getexif().get_ifd(GPS_IFD) and stored.getexif()[ORIENTATION] == 3
    assert stored.size == (300, 200)


def test_photos_are_per_person_across_a_programme(runner, db, tmp_path):
    create_programme(db, "fellows", "Fellows")
    set_event_programme(db, "spring", "fellows")
    create_event(db, "summer", "Summer Workshop", "2026-06-14T09:00", "2026-06-14T17:00",
                 tz="Europe/London")
    set_event_programme(db, "summer", "fellows")
    for slug in ("spring", "summer"):
        add_attendee(db, slug, {"first_name": "Zoë", "email": "zoe@example.org"})
    archive = tmp_path / "photos.zip"
    archive.write_bytes(zipped({"zoe@example.org.jpg": jpeg()}))
    assert runner.invoke(args=["import-photos", "summer", str(archive)]).exit_code == 0
    rows = db.execute("SELECT e.slug, a.has_photo FROM attendees a JOIN events e ON e.id = a.event_id").fetchall()
    assert sorted(rows) == [("spring", 1), ("summer", 1)]
    assert db.execute("SELECT count(*) FROM headshots").fetchone()[0] == 1


def test_the_organiser_previews_the_zip_then_imports_it(app, organiser, db, people):
    page = organiser.get("/admin/events/spring/photos").get_data(as_text=True)
    assert 'type="file"' in page and 'name="csrf_token"' in page
    data = zipped({"Photos/zoe@example.org.jpg": jpeg(), f"Photos/{people['bob']['code']}.png": png()})

    preview = post_form(organiser, "/admin/events/spring/photos",
                        {"file": (io.BytesIO(data), "photos.zip")}, content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Photos/zoe@example.org.jpg" in text and "Zoë Ångström" in text and "Bob Baker" in text
    assert "2 photos ready to import" in text
    assert photos(db) == {}  # a preview writes nothing

    upload_id = re.search(r'name="upload_id" value="([^"]+)"', text).group(1)
    waiting = Path(app.instance_path) / "uploads" / f"{upload_id}.zip"
    assert waiting.stat().st_mode & 0o777 == 0o600
    done = post_form(organiser, "/admin/events/spring/photos/confirm", {"upload_id": upload_id},
                     follow_redirects=True)
    assert "2 photos imported." in done.get_data(as_text=True)
    assert not waiting.exists()
    assert set(photos(db)) == {"zoe@example.org", "bob@example.org"}


def test_the_organiser_sees_every_problem_and_cannot_import_a_faulty_zip(app, organiser, db, people):
    data = zipped({"zoe@example.org.jpg": jpeg(), "stranger.jpg": jpeg()})
    preview = post_form(organiser, "/admin/events/spring/photos",
                        {"file": (io.BytesIO(data), "photos.zip")}, content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 422
    assert "stranger.jpg" in text and "matches nobody at Spring Networking" in text
    assert "upload_id" not in text  # nothing to confirm, and nothing kept
    assert list((Path(app.instance_path) / "uploads").glob("*.zip")) == []
    assert photos(db) == {}


def test_a_photo_upload_without_a_csrf_token_is_refused(organiser, db, people):
    data = zipped({"zoe@example.org.jpg": jpeg()})
    response = organiser.post("/admin/events/spring/photos", data={"file": (io.BytesIO(data), "p.zip")},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    assert photos(db) == {}


def test_a_zip_that_inflates_past_its_total_is_refused_whole(runner, db, people, tmp_path, monkeypatch):
    monkeypatch.setattr(photo_import, "MAX_TOTAL_BYTES", 2 * len(jpeg()) - 1 + 1024 ** 2)
    archive = tmp_path / "photos.zip"
    padded = jpeg() + b"\0" * 1024 ** 2  # bytes after the image's end: still a JPEG
    archive.write_bytes(zipped({"zoe@example.org.jpg": padded, "bob@example.org.jpg": padded,
                                "cy@example.org.jpg": padded}))
    result = runner.invoke(args=["import-photos", "spring", str(archive)])
    assert result.exit_code == 1
    assert result.stderr == "Error: the zip holds more than 1 MB of photos once unpacked: import it in parts\n"
    assert photos(db) == {}


def test_erasing_a_person_or_purging_their_event_deletes_their_original_too(db, people, tmp_path):
    from kiosk.privacy import delete_attendee, purge
    (tmp_path / "shoot").mkdir()
    for name in ("zoe", "bob"):
        (tmp_path / "shoot" / f"{name}@example.org.jpg").write_bytes(jpeg())
    photo_import.import_photos(db, "spring", tmp_path / "shoot")
    delete_attendee(db, people["zoe"])
    assert set(originals(db)) == {"bob@example.org"}
    db.execute("UPDATE events SET starts_at = '2020-01-01T09:00:00+00:00', ends_at = '2020-01-01T17:00:00+00:00'")
    purge(db, "spring", 90)
    assert db.execute("SELECT count(*) FROM headshots").fetchone()[0] == 0
