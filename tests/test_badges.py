"""Badge PDFs read back as a printer and a phone would: every QR decodes to its attendee's
URL on every stock, pages are the stock's size, names stay in their box and come back as text."""

import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.units import mm

from badges import LAYOUTS, badge_url, render_badges
from badges.fonts import _index_system_fonts
from kiosk.badge_printing import select_for_printing
from kiosk.db import connect, migrate
from kiosk.demo import setup_demo
from pdf_checks import (
    char_boxes, open_pdf, page_image, page_text, qr_symbols, save_artifact, to_unicode_targets,
)

BASE_URL = "https://checkin.example.org"
EXTREME_NAME = {
    "first_name": "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff",
    "last_name": "Featherstonehaugh-Wolfeschlegelsteinhausenbergerdorff-Cholmondeley-Marjoribanks",
    "role": "Professor of Cardiothoracic Surgery and Honorary Consultant in Paediatric Intensive Care",
    "organisation": "The National and Kapodistrian University of Athens School of Medicine",
    "pronouns": "they/them", "code": "ZZZZZZZZZZZZZ",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = connect(tmp_path_factory.mktemp("badges") / "demo.db")
    migrate(db)
    setup_demo(db)
    event, records = select_for_printing(db, "medics-demo")
    yield event, records
    db.close()


@pytest.fixture(scope="module")
def rendered(demo):
    """Each layout's PDF of the whole demo event, rendered once for the module."""
    event, records = demo
    pdfs = {}
    for name in LAYOUTS:
        out = io.BytesIO()
        render_badges(records, out, event_name=event["name"], base_url=BASE_URL, layout=name)
        pdfs[name] = out.getvalue()
    return pdfs


def render(records, layout="4x3in", **options):
    out = io.BytesIO()
    report = render_badges(records, out, event_name="Networking for Medics", base_url=BASE_URL,
                           layout=layout, **options)
    return out.getvalue(), report


def slot_of(layout, point):
    """Which badge position on the page holds this point (in reading order)."""
    for index, (x, y) in enumerate(LAYOUTS[layout].positions()):
        w, h = LAYOUTS[layout].badge
        if x <= point[0] <= x + w and y <= point[1] <= y + h:
            return index
    raise AssertionError(f"{point} is on no badge of {layout}")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_qr_decodes_to_its_attendees_url(rendered, demo, layout):
    _, records = demo
    pdf = open_pdf(rendered[layout])
    per_page = LAYOUTS[layout].per_page
    assert len(pdf) == -(-len(records) // per_page)
    for page_number, page in enumerate(pdf):
        expected = records[page_number * per_page:(page_number + 1) * per_page]
        symbols = qr_symbols(page)
        assert len(symbols) == len(expected), (layout, page_number)
        for symbol in symbols:
            attendee = expected[slot_of(layout, symbol.centre)]
            assert symbol.format == "QRCode"
            assert symbol.text == f"{BASE_URL}/b/{attendee['code']}".upper()
            assert symbol.right - symbol.left >= 25 * mm - 1, "QR narrower than 25 mm"
        if page_number == 0:
            save_artifact(f"badges-{layout}.png", page_image(page))


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_page_size_matches_the_stock(rendered, layout):
    width, height = open_pdf(rendered[layout])[0].get_size()
    assert (round(width, 1), round(height, 1)) == tuple(round(v, 1) for v in LAYOUTS[layout].page)


def test_stock_sizes_are_the_ones_on_the_box():
    assert LAYOUTS["4x3in"].page == (288, 216)
    assert LAYOUTS["dymo-30856"].page == (176, 292)
    assert [round(v / mm) for v in LAYOUTS["brother-62x100"].page] == [62, 100]
    l4785 = LAYOUTS["avery-l4785-a4"]
    corners = [(round(x / mm), round((l4785.page[1] - y - l4785.badge[1]) / mm))
               for x, y in l4785.positions()]
    assert corners[:3] == [(18, 13), (113, 13), (18, 68)] and len(corners) == 10
    letter = LAYOUTS["avery-5392-letter"]
    assert [(x, y) for x, y in letter.positions()][0] == (18, 792 - 72 - 216)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_long_names_stay_inside_their_badge_and_off_the_qr(layout):
    data, _ = render([EXTREME_NAME], layout)
    page = open_pdf(data)[0]
    (symbol,) = qr_symbols(page)
    x, y = next(LAYOUTS[layout].positions())
    w, h = LAYOUTS[layout].badge
    boxes = list(char_boxes(page))
    assert len(boxes) > 100
    for char, (left, bottom, right, top) in boxes:
        assert x - 0.5 <= left and right <= x + w + 0.5, (layout, char, left, right)
        assert y - 0.5 <= bottom and top <= y + h + 0.5, (layout, char, bottom, top)
        overlaps_qr = (left < symbol.right and right > symbol.left
                       and bottom < symbol.top and top > symbol.bottom)
        assert not overlaps_qr, (layout, char)


def test_a_long_name_wraps_at_spaces_before_it_shrinks():
    record = {"first_name": "Maximiliana Alexandrina Theodora", "last_name": "Lee", "code": "ABCDEFGHJKMNP"}
    page = open_pdf(render([record], "a6")[0])[0]
    lines = page_text(page).splitlines()
    assert lines[1:4] == ["Maximiliana", "Alexandrina", "Theodora"], lines


def test_scripts_come_back_as_text(rendered):
    text = "\n".join(page_text(page) for page in open_pdf(rendered["avery-5392-letter"]))
    for name in ["Zoë", "Ångström", "Siobhán", "Nguyễn Thị", "Αλέξανδρος", "Παπαδόπουλος",
                 "Наталья", "Иванова", "小明", "王", "花子", "佐藤", "Featherstonehaugh"]:
        assert name in text, name


def test_arabic_is_shaped_and_right_to_left():
    record = {"first_name": "محمد", "last_name": "", "code": "ABCDEFGHJKMNP"}
    data, _ = render([record], "a6")
    # Shaped: the glyphs drawn are the joined (initial, medial, final) forms of the letters.
    assert {0xFEE3, 0xFEA4, 0xFEAA} <= to_unicode_targets(data)
    # Right to left: in reading order, each letter stands left of the one before it.
    letters = [box for char, box in char_boxes(open_pdf(data)[0]) if "\u0600" <= char <= "\u06ff"]
    assert len(letters) == 4
    lefts = [box[0] for box in letters]
    assert lefts == sorted(lefts, reverse=True)


def test_markup_in_a_name_is_drawn_literally():
    record = {"first_name": "<script>alert(1)</script>", "last_name": "&amp; <b>", "code": "ABCDEFGHJKMNP"}
    text = page_text(open_pdf(render([record], "a6")[0])[0])
    unbroken = re.sub(r"[\ufffe\x02]\r?\n?|-\r?\n", "", text)  # a long name breaks with a hyphen
    assert "<script>alert(1)</script>" in unbroken and "&amp; <b>" in text


def test_missing_glyphs_are_reported_not_drawn_as_boxes():
    record = {"first_name": "Ankh \U00013000", "last_name": "Lee", "code": "ABCDEFGHJKMNP"}
    data, report = render([record], "a6")
    assert report.warnings == ["Ankh \U00013000 Lee (ABCDEFGHJKMNP): no installed font has '\U00013000'; it is left out"]
    assert "\U00013000" not in page_text(open_pdf(data)[0])


def test_output_is_deterministic(demo):
    _, records = demo
    assert render(records[:5])[0] == render(records[:5])[0]


def test_start_at_leaves_used_positions_empty(demo):
    _, records = demo
    data, report = render(records[:3], "avery-l4785-a4", start_at=9)
    pdf = open_pdf(data)
    assert report.pages == 2
    slots = sorted(slot_of("avery-l4785-a4", s.centre) for s in qr_symbols(pdf[0]))
    assert slots == [8, 9]
    assert [slot_of("avery-l4785-a4", s.centre) for s in qr_symbols(pdf[1])] == [0]


def test_start_at_out_of_range():
    with pytest.raises(ValueError, match="between 1 and 10"):
        render([EXTREME_NAME], "avery-l4785-a4", start_at=11)


def test_cut_marks_on_a6_sheets(rendered):
    image = page_image(open_pdf(rendered["a6-on-a4"])[0]).convert("L")
    middle = image.width // 2
    bottom_edge = [image.getpixel((middle, image.height - 1 - y)) for y in range(10, 50)]
    assert min(bottom_edge) < 200, "no cut mark where the cards are cut apart"


def test_photo_is_cropped_and_downscaled(tmp_path):
    big = Image.new("RGB", (4000, 3000), (200, 120, 80))
    photo = io.BytesIO()
    big.save(photo, "JPEG", quality=95)
    record = {"first_name": "Ann", "last_name": "Lee", "code": "ABCDEFGHJKMNP", "photo": photo.getvalue()}
    data, _ = render([record], "4x3in")
    page = open_pdf(data)[0]
    import pypdfium2.raw as raw

    (image,) = list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]))
    width_px, height_px = image.get_px_size()
    assert width_px == height_px, "cropped to the square photo box"
    assert width_px <= round(30 / 25.4 * 300) + 1, "downscaled to about 300 dpi"
    assert len(data) < 120_000
    assert len(qr_symbols(page)) == 1


def test_a_font_in_the_font_dir_comes_first(tmp_path):
    mono = _index_system_fonts().get("dejavusansmono.ttf")
    assert mono, "fonts-dejavu-core provides DejaVuSansMono.ttf"
    shutil.copy(mono, tmp_path / "Brand.ttf")
    data, _ = render([{"first_name": "Ann", "last_name": "Lee", "code": "ABCDEFGHJKMNP"}],
                     font_dir=tmp_path)
    assert b"DejaVuSansMono" in data  # the font's own name, as embedded


def test_badge_url_is_upper_case_for_alphanumeric_qr():
    assert badge_url("https://checkin.example.org/", "abcdefghjkmnp") == \
        "HTTPS://CHECKIN.EXAMPLE.ORG/B/ABCDEFGHJKMNP"


def test_sorting(demo):
    from badges import sort_badges

    _, records = demo
    by_org = sort_badges(records, "organisation")
    assert [r["organisation"].casefold() for r in by_org] == sorted(r["organisation"].casefold() for r in records)
    by_name = sort_badges(records, "last_name")
    assert [r["last_name"].casefold() for r in by_name] == sorted(r["last_name"].casefold() for r in records)


def test_artifacts_are_written_for_people_to_look_at(rendered):
    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    for layout in LAYOUTS:
        path = save_artifact(f"badges-{layout}.png", page_image(open_pdf(rendered[layout])[0]))
        assert path.stat().st_size > 1000
        assert path.parent == folder


def test_parsed_fonts_are_kept_between_runs_keyed_by_file_and_mtime(tmp_path, monkeypatch):
    import os

    from badges import fontcache, fonts

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fonts, "_REGISTERED", {})
    (tmp_path / "fonts").mkdir()
    shutil.copy(_index_system_fonts()["dejavusansmono.ttf"], tmp_path / "fonts" / "Brand.ttf")
    record = [{"first_name": "Ann", "last_name": "Lee", "code": "ABCDEFGHJKMNP"}]
    parsed = render(record, font_dir=tmp_path / "fonts")[0]
    cache = tmp_path / "cache" / "kiosk-badges"
    entries = set(cache.glob("*.pickle"))
    assert entries, "the parse was kept"

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again although cached")

    monkeypatch.setattr(fonts, "_REGISTERED", {})  # a new process, as far as fonts go
    with monkeypatch.context() as patched:
        patched.setattr(fontcache, "TTFont", no_parsing)
        assert render(record, font_dir=tmp_path / "fonts")[0] == parsed, "same PDF from the cache"

    os.utime(tmp_path / "fonts" / "Brand.ttf", ns=(1, 10**18))  # the font file changed
    monkeypatch.setattr(fonts, "_REGISTERED", {})
    assert render(record, font_dir=tmp_path / "fonts")[0] == parsed
    assert len(set(cache.glob("*.pickle")) - entries) == 1, "a changed file is parsed afresh"


def test_a_long_run_is_rendered_in_chunks_and_joined(demo, monkeypatch):
    """Past CHUNK_PAGES pages a run is rendered a chunk at a time and streamed into one
    PDF: the same pages as one document would have, every QR in order, deterministic."""
    import badges.render

    _, records = demo
    whole = render(records, "avery-l4785-a4", start_at=7)[0]
    monkeypatch.setattr(badges.render, "CHUNK_PAGES", 1)  # four chunks
    joined, report = render(records, "avery-l4785-a4", start_at=7)
    assert joined == render(records, "avery-l4785-a4", start_at=7)[0], "deterministic"
    pdf, expected = open_pdf(joined), open_pdf(whole)
    assert len(pdf) == len(expected) == report.pages == 4
    assert [page_text(page) for page in pdf] == [page_text(page) for page in expected]
    codes = [symbol.text for page in pdf for symbol in sorted(
        qr_symbols(page), key=lambda s: slot_of("avery-l4785-a4", s.centre))]
    assert codes == [badge_url(BASE_URL, r["code"]) for r in records]
    assert {tuple(round(v) for v in page.get_size()) for page in pdf} == {(595, 842)}
