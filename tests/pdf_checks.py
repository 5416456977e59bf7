"""Reading PDFs back the way a printer and a phone would: pages rendered with
pypdfium2, QR codes decoded with zxing-cpp, text and glyph boxes from the PDF."""

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PIL import Image
import pypdfium2.raw as pdfium_raw
import zxingcpp

DPI = 150
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class Symbol:
    text: str
    left: float  # points, PDF coordinates (origin bottom-left)
    bottom: float
    right: float
    top: float
    format: str

    @property
    def centre(self):
        return (self.left + self.right) / 2, (self.bottom + self.top) / 2


def open_pdf(data):
    return pypdfium2.PdfDocument(data)


def page_image(page, dpi=DPI):
    return page.render(scale=dpi / 72).to_pil()


def qr_symbols(page, dpi=DPI):
    """Every barcode on the page, with its bounding box in points, in reading order (rows
    from the top, then left to right: zxing reports them in no fixed order)."""
    height = page.get_size()[1]
    scale = 72 / dpi
    found = []
    for result in zxingcpp.read_barcodes(page_image(page, dpi)):
        p = result.position
        xs = [pt.x for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        ys = [pt.y for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        found.append(Symbol(result.text, min(xs) * scale, height - max(ys) * scale,
                            max(xs) * scale, height - min(ys) * scale, result.format.name))
    return reading_order(found)


def reading_order(symbols, same_row=10):
    """Top row first (symbols whose tops are within `same_row` points share a row), each
    row left to right."""
    rows = []
    for symbol in sorted(symbols, key=lambda s: -s.top):
        if rows and rows[-1][0].top - symbol.top <= same_row:
            rows[-1].append(symbol)
        else:
            rows.append([symbol])
    return [symbol for row in rows for symbol in sorted(row, key=lambda s: s.left)]


def page_text(page):
    return page.get_textpage().get_text_range()


def char_boxes(page):
    """(character, (left, bottom, right, top)) for every drawn character."""
    text = page.get_textpage()
    for i in range(text.count_chars()):
        char = chr(pdfium_raw.FPDFText_GetUnicode(text, i))
        if not char.isspace():
            yield char, text.get_charbox(i)


@dataclass
class Glyph:
    char: str
    size: float  # the font size it is drawn at, in points
    box: tuple  # (left, bottom, right, top) of its ink, points


def glyphs(page):
    """Every drawn character with its font size, as a PDF reader reports them."""
    text = page.get_textpage()
    for i in range(text.count_chars()):
        char = chr(pdfium_raw.FPDFText_GetUnicode(text, i))
        char = "-" if char in "\x02\ufffe" else char  # pdfium's marks for a hyphen ending a line
        if not char.isspace():
            yield Glyph(char, pdfium_raw.FPDFText_GetFontSize(text, i), text.get_charbox(i))


def ink_outside(page, allowed, within=None, dpi=DPI):
    """Dark pixels (grey below 200) outside every (left, bottom, right, top) box of
    `allowed` (and inside `within`, when given), in points: the bounding box of those
    pixels, or None. A pixel touching an allowed box counts as inside (anti-aliasing)."""
    image = page_image(page, dpi).convert("L").point(lambda v: 255 if v < 200 else 0)
    scale, height = dpi / 72, page.get_size()[1]

    def pixels(left, bottom, right, top, grow):
        return (int(left * scale) - grow, int((height - top) * scale) - grow,
                int(right * scale) + 1 + grow, int((height - bottom) * scale) + 1 + grow)

    for box in allowed:
        image.paste(0, pixels(*box, grow=1))
    if within:
        region = pixels(*within, grow=-1)
        cropped = Image.new("L", image.size, 0)
        cropped.paste(image.crop(region), region[:2])
        image = cropped
    found = image.getbbox()
    if found is None:
        return None
    x0, y0, x1, y1 = found
    return x0 / scale, height - y1 / scale, x1 / scale, height - y0 / scale


def to_unicode_targets(data):
    """Every code point the PDF's fonts map glyphs to (from their ToUnicode CMaps):
    what was actually drawn, before a reader normalises it."""
    points = set()
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text = zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue
        if b"beginbfchar" in text:
            points.update(int(h, 16) for h in re.findall(rb"> <([0-9A-Fa-f]{4,})>", text))
    return points


def save_artifact(name, image):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    image.save(path)
    return path
