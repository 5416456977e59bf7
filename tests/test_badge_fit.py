"""Badges fit the real stock (issue 16, Fit 1-5), read back from the PDF on every layout:
font sizes as a PDF reader reports them, ink against each stock's printable area and
trim, QR quiet zones against the trim."""

import io
import math
import re
from statistics import median

import pytest
from PIL import Image
from reportlab.lib.units import mm

from badges import LAYOUTS, badge_url, qr, render_badges
from badges.layouts import TRIM_CLEARANCE
from pdf_checks import glyphs, ink_outside, open_pdf, page_text, qr_symbols

BASE_URL = "https://checkin.example.org"
TWELVE_LETTERS = ["Bartholomeus", "Konstantinos", "Maximilienne", "Christabella"]
NO_BREAK = ["<script>alert(1)</script>", "Олександра", "Wolfeschlegelsteinhausenbergerdorff"]
LONG_ORGANISATION = "The National and Kapodistrian University of Athens School of Medicine"
CODES = ["ABCDEFGHJKMN" + c for c in "PQRSTVWXYZ0123456789"]


def headshot():
    image, out = Image.new("RGB", (600, 800), (40, 60, 90)), io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def person(first, last="Hughes", **details):
    return {"first_name": first, "last_name": last, "code": CODES[hash(first + last) % len(CODES)], **details}


def pages(records, layout):
    out = io.BytesIO()
    render_badges(records, out, event_name="Networking for Medics", base_url=BASE_URL, layout=layout)
    return list(open_pdf(out.getvalue()))


def one_badge_per_page(records, layout):
    """Each record alone on its own page (the first position of a sheet)."""
    return [pages([record], layout)[0] for record in records]


def first_badge(layout):
    x, y = next(LAYOUTS[layout].positions())
    return x, y, x + LAYOUTS[layout].badge[0], y + LAYOUTS[layout].badge[1]


def name_glyphs(page, name):
    """The glyphs of `name` (in drawing order, hyphens of line breaks left out)."""
    drawn = [g for g in glyphs(page) if g.char in name or g.char == "-"]
    letters = [g for g in drawn if g.char != "-" or "-" in name]
    return letters


def sizes_of(page, text):
    """Font sizes of the glyphs that spell `text` on the page (first occurrence)."""
    found = list(glyphs(page))
    chars = [g.char for g in found]
    wanted = [c for c in text if not c.isspace()]
    for start in range(len(chars)):
        picked, i = [], start
        for c in wanted:
            while i < len(chars) and chars[i] == "-" and c != "-":  # a hyphenated line break
                i += 1
            if i >= len(chars) or chars[i] != c:
                break
            picked.append(found[i].size)
            i += 1
        else:
            return picked
    raise AssertionError(f"{text!r} is not on the page: {''.join(chars)!r}")


# Fit 1: a first name of up to 12 letters is large, the QR is at least 27 mm.
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_twelve_letter_first_names_print_large_on_one_line(layout):
    left, _, right, _ = LAYOUTS[layout].printable_box(0, 0)
    wanted = 28 if right - left >= 75 * mm else LAYOUTS[layout].name_min  # 62 mm labels: their minimum
    for name, page in zip(TWELVE_LETTERS, one_badge_per_page([person(n) for n in TWELVE_LETTERS], layout)):
        assert min(sizes_of(page, name)) >= wanted, (layout, name)
        assert name in page_text(page).splitlines(), "on one line, unbroken"
        (symbol,) = qr_symbols(page)
        assert symbol.right - symbol.left >= 27 * mm - 1, "QR narrower than 27 mm"


def test_small_label_names_are_readable_at_two_metres():
    """Avery L4785 (80 x 50 mm): first names of 12 letters at 28 pt or more."""
    assert LAYOUTS["avery-l4785-a4"].badge == (80 * mm, 50 * mm)
    page = pages([person(n) for n in TWELVE_LETTERS], "avery-l4785-a4")[0]
    for name in TWELVE_LETTERS:
        assert min(sizes_of(page, name)) >= 28, name


# Fit 2: every stock's printable area is data with its source, and all ink stays inside it.
def test_printable_areas_come_from_the_drivers_and_templates():
    dymo = LAYOUTS["dymo-30856"]
    assert dymo.printable_box(0, 0) == pytest.approx((0, 4.32, 161.28, 264.72))
    brother = LAYOUTS["brother-62x100"]
    left, bottom, right, top = brother.printable_box(0, 0)
    assert (right - left, top - bottom) == pytest.approx((696 / 300 * 72, 1109 / 300 * 72))
    for layout in LAYOUTS.values():
        assert layout.source, layout.name
        radius, (left, bottom, _, _) = layout.corner_radius, layout.printable_box(0, 0)
        if radius:  # the printable box's corner lies inside the label's rounded corner
            assert math.dist((left, bottom), (radius, radius)) <= radius, layout.name


def allowed_ink(layout):
    boxes = [LAYOUTS[layout].printable_box(x, y) for x, y in LAYOUTS[layout].positions()]
    if LAYOUTS[layout].cut_marks:  # hairlines on the cut lines, 5-12 mm from the paper's edge
        width, height = LAYOUTS[layout].page
        boxes += [(width / 2 - 1, 0, width / 2 + 1, 12 * mm), (width / 2 - 1, height - 12 * mm, width / 2 + 1, height),
                  (0, height / 2 - 1, 12 * mm, height / 2 + 1), (width - 12 * mm, height / 2 - 1, width, height / 2 + 1)]
    return boxes


STRESS = [
    person("Hubert Blaine Wolfeschlegelsteinhausenbergerdorff",
           "Featherstonehaugh-Wolfeschlegelsteinhausenbergerdorff-Cholmondeley-Marjoribanks",
           role="Professor of Cardiothoracic Surgery and Honorary Consultant in Paediatric Intensive Care",
           organisation=LONG_ORGANISATION, pronouns="they/them"),
    person("Ångström Ÿgraine", "Çelik-Ñúñez", role="Ópticas", organisation="Żółć Gęślą"),
    person("محمد", "الأحمد", role="FY1", organisation="جامعة القاهرة"),
    person("王小明", "佐藤", role="研究者", organisation="東京大学"),
    *[person(name) for name in NO_BREAK + TWELVE_LETTERS],
    person("Photo", "Person", role="Speaker", organisation=LONG_ORGANISATION, photo=headshot()),
]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_all_ink_stays_inside_the_printable_area(layout):
    for page in pages(STRESS, layout):
        assert ink_outside(page, allowed_ink(layout)) is None, layout


# Fit 3: 4 modules of quiet zone plus 1.5 mm to the trim, and no ink in the quiet zone.
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_qr_quiet_zone_is_clear_and_inside_the_trim(layout):
    records = STRESS[:4]
    for page_number, page in enumerate(pages(records, layout)):
        for symbol in qr_symbols(page, dpi=300):
            modules = len(qr.matrix(symbol.text))
            quiet = (symbol.right - symbol.left) / modules * qr.QUIET_ZONE
            zone = (symbol.left - quiet, symbol.bottom - quiet, symbol.right + quiet, symbol.top + quiet)
            trim = next(b for b in badge_boxes(layout) if b[0] <= symbol.left and symbol.right <= b[2]
                        and b[1] <= symbol.bottom and symbol.top <= b[3])
            for inner, outer in [(trim[0], zone[0]), (zone[2], trim[2]), (trim[1], zone[1]), (zone[3], trim[3])]:
                assert outer - inner >= TRIM_CLEARANCE - 1, (layout, "quiet zone too near the trim")
            symbol_box = (symbol.left, symbol.bottom, symbol.right, symbol.top)
            assert ink_outside(page, [symbol_box], within=zone, dpi=300) is None, (layout, "ink in the quiet zone")


def unbroken(text):
    """Page text with hyphenated line breaks joined (pdfium reports such a hyphen as U+FFFE)."""
    return re.sub(r"[\ufffe\x02]\r?\n?|-\r?\n", "", text)


def badge_boxes(layout):
    w, h = LAYOUTS[layout].badge
    return [(x, y, x + w, y + h) for x, y in LAYOUTS[layout].positions()]


# Fit 4: names without a break point break with a hyphen, never below the layout's minimum.
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_names_without_a_break_point_are_hyphenated_not_shrunk(layout):
    minimum = LAYOUTS[layout].name_min
    for name, page in zip(NO_BREAK, one_badge_per_page([person(n) for n in NO_BREAK], layout)):
        assert min(sizes_of(page, name)) >= minimum - 0.01, (layout, name)
        assert name in unbroken(page_text(page)), (layout, name)


def test_a_hyphen_marks_where_a_name_was_broken():
    page = pages([person("Wolfeschlegelsteinhausenbergerdorff")], "brother-62x100")[0]
    drawn = [g for g in glyphs(page) if g.char in "Wolfeschlegelsteinhausenbergerdorff-"]
    line_tops = {round(g.box[3]) for g in drawn if g.char in "lhfdb"}  # ascenders: one top per line
    assert "-" in [g.char for g in drawn] and len(line_tops) >= 2


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_arabic_first_names_look_as_large_as_latin_ones(layout):
    """The same first name in Arabic and in Latin letters: the Arabic letters' body (meem,
    hah) is about as tall as the Latin x-height, not two thirds of it."""
    arabic, latin = one_badge_per_page([person("محمد"), person("Mohammed")], layout)
    body = median(g.box[3] - g.box[1] for g in glyphs(arabic) if g.char in "مح")
    x_height = median(g.box[3] - g.box[1] for g in glyphs(latin) if g.char in "oame")
    assert 0.85 <= body / x_height <= 2, (layout, body, x_height)


# Fit 5: the organisation wraps rather than print smaller than the role line.
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_organisation_wraps_instead_of_shrinking_below_the_role(layout):
    record = person("Ann", "Lee", role="Medical student", organisation=LONG_ORGANISATION)
    page = pages([record], layout)[0]
    role, organisation = sizes_of(page, "Medical student"), sizes_of(page, LONG_ORGANISATION)
    assert min(organisation) >= max(role) - 0.01, layout
    assert min(role) >= 8, "details readable"


def test_badge_url_in_the_symbol_is_the_attendees():
    page = pages([person("Ann")], "4x3in")[0]
    (symbol,) = qr_symbols(page)
    assert symbol.text == badge_url(BASE_URL, person("Ann")["code"])
