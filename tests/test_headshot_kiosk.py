"""Issue 12, item 8: headshot mode at a staffed kiosk. The API (scan, then the photo kept),
and the whole thing in Chromium with a fake camera showing a known picture."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import launch_chromium
from headshot_files import bomb_png, jpeg, opened
from kiosk.kiosks import create_kiosk
from test_browser_door import code_of, scan
from test_connections import open_event
from test_hardening import bearer

CAMERA = (1280, 720)


@pytest.fixture
def door(client, db):
    people = open_event(db, "today")
    return client, people, create_kiosk(db, "today", "Photo booth")[1]


def headshot_url(code):
    return f"/api/v1/events/today/headshots/{code}"


def test_a_scanned_badge_names_its_holder_and_the_kept_photo_becomes_theirs(door, db):
    client, people, token = door
    code = people["zoe"]["code"]
    who = client.get(headshot_url(code.lower()), headers=bearer(token))
    assert who.status_code == 200
    assert who.get_json()["attendee"] | {"code": code} == who.get_json()["attendee"]
    assert who.get_json()["attendee"]["has_photo"] is False

    kept = client.post(headshot_url(code), data=jpeg(1920, 1080), headers=bearer(token),
                       content_type="image/jpeg")
    assert kept.status_code == 201
    assert kept.get_json() | {"result": "saved", "message": "Photo saved for Zoë.", "width": 1920,
                              "height": 1080} == kept.get_json()
    photo, has_photo = db.execute("SELECT photo, has_photo FROM attendees WHERE id = ?",
                                  [people["zoe"]["id"]]).fetchone()
    assert has_photo == 1 and opened(photo).size == (800, 450)
    source, size = db.execute("SELECT source, length(original) FROM headshots WHERE person_id = ?",
                              [people["zoe"]["person_id"]]).fetchone()
    assert source == "kiosk" and size > 0
    assert client.get(headshot_url(code), headers=bearer(token)).get_json()["attendee"]["has_photo"] is True


@pytest.mark.parametrize("body, status, words", [
    (b"not a picture", 400, "not a photo"),
    (bomb_png(), 400, "7700 x 7700 pixels"),
    (b"\xff\xd8" + b"x" * (16 * 1024 * 1024), 413, "larger than"),
])
def test_a_bad_image_is_a_json_4xx_and_nothing_is_stored(door, db, body, status, words):
    client, people, token = door
    answer = client.post(headshot_url(people["zoe"]["code"]), data=body, headers=bearer(token),
                         content_type="image/jpeg")
    assert answer.status_code == status and answer.is_json
    assert words in answer.get_json()["message"]
    assert db.execute("SELECT count(*) FROM headshots").fetchone()[0] == 0


def test_unknown_and_revoked_badges_and_self_service_kiosks_are_refused(door, db):
    client, people, token = door
    unknown = client.get(headshot_url("0000000000000"), headers=bearer(token))
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "This is not one of this event's badges."
    assert client.post(headshot_url("0000000000000"), data=jpeg(), headers=bearer(token)).status_code == 404
    db.execute("UPDATE attendees SET revoked_at = '2026-01-01T00:00:00+00:00' WHERE id = ?", [people["bob"]["id"]])
    assert client.get(headshot_url(people["bob"]["code"]), headers=bearer(token)).status_code == 409
    self_service = create_kiosk(db, "today", "Self", mode="self")[1]
    refused = client.post(headshot_url(people["zoe"]["code"]), data=jpeg(), headers=bearer(self_service))
    assert refused.status_code == 403 and refused.get_json()["message"] == "headshots are taken at a staffed kiosk"
    assert db.execute("SELECT count(*) FROM headshots").fetchone()[0] == 0


# ---------- in the browser, with Chromium's fake camera ----------

def y4m(path, width, height):
    """One frame of uncompressed video (YUV 4:2:0) Chromium's fake camera plays in a loop:
    the left half red, the right half blue."""
    picture = Image.new("RGB", (width, height), (220, 30, 30))
    picture.paste((30, 60, 220), (width // 2, 0, width, height))
    y, cb, cr = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + frame)
    return path


@pytest.fixture(scope="module")
def camera_browser(playwright, tmp_path_factory):
    video = y4m(tmp_path_factory.mktemp("camera") / "sitter.y4m", *CAMERA)
    chromium = launch_chromium(playwright, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                               f"--use-file-for-fake-video-capture={video}")
    yield chromium
    chromium.close()


@pytest.fixture
def booth(live_server, camera_browser):
    context = camera_browser.new_context(permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/door#token={live_server.token}")
    expect(page.locator("#connection")).to_have_text("Online")
    page.locator("#headshot-button").click()
    expect(page.locator("#scan-prompt")).to_have_text("Headshots: scan the badge")
    yield page
    context.close()


def stored_headshot(server, email):
    db = server.db()
    try:
        return db.execute("""SELECT h.format, h.width, h.height, h.original, a.photo FROM headshots h
                             JOIN attendees a ON a.person_id = h.person_id WHERE a.email = ?""",
                          [email]).fetchone()
    finally:
        db.close()


def test_scan_countdown_retake_keep_stores_the_camera_photo(live_server, booth):
    email = "zoe.angstrom@example.org"
    scan(booth, code_of(live_server, email))
    expect(booth.locator("#headshot-name")).to_have_text("Zoë Ångström")
    expect(booth.locator("#headshot-count")).to_have_text("3")  # a countdown, then the photo
    expect(booth.locator("#headshot-still")).to_be_visible(timeout=6000)
    booth.locator("#headshot-retake").click()
    expect(booth.locator("#headshot-still")).to_be_hidden()
    expect(booth.locator("#headshot-choices")).to_be_hidden()
    expect(booth.locator("#headshot-count")).to_have_text("3")
    assert stored_headshot(live_server, email) is None  # nothing leaves the kiosk before Keep

    expect(booth.locator("#headshot-keep")).to_be_visible(timeout=6000)
    booth.locator("#headshot-keep").click()
    expect(booth.locator("#feedback")).to_have_attribute("data-kind", "ok")
    expect(booth.locator("#feedback")).to_contain_text("Photo saved")
    expect(booth.locator("#feedback")).to_contain_text(f"{CAMERA[0]} × {CAMERA[1]} pixels")
    expect(booth.locator("#headshot")).to_be_hidden()

    image_format, width, height, original, badge = stored_headshot(live_server, email)
    assert (image_format, width, height) == ("JPEG", *CAMERA)
    photo = opened(original)
    assert photo.format == "JPEG" and photo.size == CAMERA and original.startswith(b"\xff\xd8")
    photo = photo.convert("RGB")
    red, blue = photo.getpixel((CAMERA[0] // 4, CAMERA[1] // 2)), photo.getpixel((3 * CAMERA[0] // 4, CAMERA[1] // 2))
    assert red[0] > 180 and red[2] < 80, red  # the camera's picture, the right way round
    assert blue[2] > 180 and blue[0] < 80, blue
    assert opened(badge).size == (800, 450)


def test_an_unknown_badge_is_red_and_the_booth_is_ready_again(live_server, booth):
    scan(booth, "0000000000000")
    expect(booth.locator("#feedback")).to_have_attribute("data-kind", "error")
    expect(booth.locator("#feedback")).to_contain_text("Unknown badge")
    expect(booth.locator("#headshot")).to_be_hidden()
    expect(booth.locator("#feedback")).to_be_hidden(timeout=4000)
    scan(booth, f"{live_server.url}/b/{code_of(live_server, 'zoe.angstrom@example.org')}")
    expect(booth.locator("#headshot-name")).to_have_text("Zoë Ångström")
    booth.locator("#headshot-cancel").click()
    expect(booth.locator("#headshot")).to_be_hidden()
    assert stored_headshot(live_server, "zoe.angstrom@example.org") is None

