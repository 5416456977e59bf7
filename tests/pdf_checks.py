"""Reading PDFs back the way a printer and a phone would: pages rendered with
pypdfium2, QR codes decoded with zxing-cpp, text and glyph boxes from the PDF."""

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
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
    """Every barcode on the page, with its bounding box in points."""
    height = page.get_size()[1]
    scale = 72 / dpi
    found = []
    for result in zxingcpp.read_barcodes(page_image(page, dpi)):
        p = result.position
        xs = [pt.x for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        ys = [pt.y for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        found.append(Symbol(result.text, min(xs) * scale, height - max(ys) * scale,
                            max(xs) * scale, height - min(ys) * scale, result.format.name))
    return found


def page_text(page):
    return page.get_textpage().get_text_range()


def char_boxes(page):
    """(character, (left, bottom, right, top)) for every drawn character."""
    text = page.get_textpage()
    for i in range(text.count_chars()):
        char = chr(pdfium_raw.FPDFText_GetUnicode(text, i))
        if not char.isspace():
            yield char, text.get_charbox(i)


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
