"""Fonts for badges: find TrueType fonts on this system, pick one per string, shape RTL text.

A name is drawn in the first font of the chain that has every one of its
glyphs (DejaVu Sans covers Latin, Greek, Cyrillic, Arabic and Hebrew; WenQuanYi
Micro Hei covers Chinese and Japanese). Fonts in the font directory the caller
names (KIOSK_FONT_DIR) come first. ReportLab embeds TrueType outlines only, so
OpenType/CFF files (most .otf, Noto CJK) are not candidates.
"""

import os
import struct
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError

from .fontcache import parsed_font

# (regular file, bold file or files) in order of preference; the first one found is the
# primary font. Names are bold: DejaVu Sans Condensed Bold (fonts-dejavu-extra) fits a
# 12-letter first name at 28 pt across an 80 mm label, where DejaVu Sans Bold does not.
CANDIDATES = [
    ("DejaVuSans.ttf", ("DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf")),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("Arial.ttf", "Arial Bold.ttf"),  # macOS
    ("arial.ttf", "arialbd.ttf"),  # Windows
    ("wqy-microhei.ttc", "wqy-microhei.ttc"),  # Debian fonts-wqy-microhei: Chinese, Japanese kana
    ("wqy-zenhei.ttc", "wqy-zenhei.ttc"),
    ("DroidSansFallbackFull.ttf", "DroidSansFallbackFull.ttf"),
    ("Arial Unicode.ttf", "Arial Unicode.ttf"),  # macOS, wide coverage
    ("msyh.ttc", "msyhbd.ttc"),  # Windows: Microsoft YaHei
    ("malgun.ttf", "malgunbd.ttf"),  # Windows: Korean
]
SYSTEM_DIRS = [
    "/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
    "/Library/Fonts", "/System/Library/Fonts", "/System/Library/Fonts/Supplemental",
    "~/Library/Fonts", os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts"),
    os.path.expandvars(r"%LOCALAPPDATA%\Microsoft\Windows\Fonts"),
]
FONT_SUFFIXES = (".ttf", ".ttc")
_REGISTERED = {}  # (path, mtime, size) -> (ReportLab font name, glyphs): parsed once per process


class NoFontError(RuntimeError):
    """No usable TrueType font was found at all."""


@dataclass
class Face:
    path: str
    registered_name: str = ""
    glyphs: frozenset = frozenset()

    def load(self):
        """Register with ReportLab on first use (a large CJK font takes 50 ms to parse)."""
        if not self.registered_name:
            stat = os.stat(self.path)
            key = (self.path, stat.st_mtime_ns, stat.st_size)
            if key not in _REGISTERED:
                name = f"Badge{len(_REGISTERED)}-" + Path(self.path).stem.replace(" ", "")
                font = parsed_font(name, self.path, stat)
                pdfmetrics.registerFont(font)
                _REGISTERED[key] = name, frozenset(font.face.charToGlyph)
            self.registered_name, self.glyphs = _REGISTERED[key]
        return self


@dataclass
class FontChain:
    """Regular and bold faces in order of preference, loaded lazily."""

    regular: list = field(default_factory=list)
    bold: list = field(default_factory=list)
    _picks: dict = field(default_factory=dict)

    def pick(self, text, bold=False):
        """(ReportLab font name, text to draw, characters no font has) for a visual string."""
        key = (text, bold)
        if key not in self._picks:
            self._picks[key] = self._pick(text, self.bold if bold else self.regular)
        return self._picks[key]

    def _pick(self, text, faces):
        needed = {ord(ch) for ch in text if not ch.isspace()}
        best, best_missing = None, None
        for face in faces:
            try:
                face.load()
            except (TTFError, OSError):
                continue  # unreadable or PostScript-outline font: try the next one
            missing = needed - face.glyphs
            if not missing:
                return face.registered_name, text, ""
            if best is None or len(missing) < len(best_missing):
                best, best_missing = face, missing
        if best is None:
            raise NoFontError("no usable TrueType font found; install fonts-dejavu-core")
        drawable = "".join(ch for ch in text if ord(ch) not in best_missing)
        return best.registered_name, drawable, "".join(sorted(map(chr, best_missing)))


@lru_cache(maxsize=16384)
def apparent_scale(font_name, text):
    """How much larger than the Latin text beside it `text` must be drawn to look the same
    size, and the (bottom, top) of its glyphs in em (None when it needs no scaling). Arabic letters sit on a
    body about two thirds the height of a Latin x-height (DejaVu Sans: 750 against 1120
    font units), so an Arabic name drawn at the Latin size looks a size smaller."""
    if not any(ARABIC_FORMS[0] <= ch <= ARABIC_FORMS[1] or "\u0600" <= ch <= "\u06ff" for ch in text):
        return 1.0, None
    face = pdfmetrics.getFont(font_name).face
    body = _median([_extent(face, ch)[1] for ch in ARABIC_BODY])
    latin_x = _extent(face, "x")[1]
    if not body or not latin_x:
        return 1.0, None
    extents = [_extent(face, ch) for ch in text if not ch.isspace()]
    return latin_x / body, (min(e[0] for e in extents), max(e[1] for e in extents))


ARABIC_FORMS = ("\ufb50", "\ufeff")  # presentation forms, as drawn after shaping
ARABIC_BODY = "\ufee4\ufeb4\ufeec"  # medial meem, seen, heh: the height of the letters' body


def _extent(face, char):
    """(bottom, top) of a character's glyph in em (0, 0 for an empty or missing glyph)."""
    glyph = face.charToGlyph.get(ord(char))
    if glyph is None or "glyf" not in face.table or glyph + 1 >= len(face.glyphPos):
        return 0.0, 0.0
    start = face.table["glyf"]["offset"] + face.glyphPos[glyph]
    if face.glyphPos[glyph] == face.glyphPos[glyph + 1]:
        return 0.0, 0.0
    _contours, _x_min, y_min, _x_max, y_max = struct.unpack(">hhhhh", face._ttf_data[start:start + 10])
    return y_min / face.unitsPerEm, y_max / face.unitsPerEm


def _median(values):
    values = sorted(v for v in values if v)
    return values[len(values) // 2] if values else 0


def find_chain(font_dir=None):
    """The fonts of this system, with those in `font_dir` first."""
    chain = FontChain()
    if font_dir:
        for path in sorted(Path(font_dir).glob("*")):
            if path.suffix.lower() in FONT_SUFFIXES:
                chain.regular.append(Face(str(path)))
                chain.bold.append(Face(str(path)))
    index = _index_system_fonts()
    for regular, bolds in CANDIDATES:
        if regular.lower() in index:
            chain.regular.append(Face(index[regular.lower()]))
            bolds = (bolds,) if isinstance(bolds, str) else bolds
            bold = next((index[b.lower()] for b in bolds if b.lower() in index), index[regular.lower()])
            chain.bold.append(Face(bold))
    if not chain.regular:
        raise NoFontError(
            "no TrueType font found: install DejaVu Sans (Debian: fonts-dejavu-core) "
            "or put .ttf files in KIOSK_FONT_DIR"
        )
    return chain


def _index_system_fonts():
    """File name (lower case) -> path, for every font file in the usual folders."""
    found = {}
    for folder in SYSTEM_DIRS:
        for root, _dirs, files in os.walk(os.path.expanduser(folder)):
            for name in files:
                if name.lower().endswith(FONT_SUFFIXES):
                    found.setdefault(name.lower(), os.path.join(root, name))
    return found


@lru_cache(maxsize=16384)
def visual(text):
    """Text as it is drawn left to right: NFC, Arabic letters joined, RTL runs reversed.
    Cached: fitting a line asks for it several times."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        text = get_display(arabic_reshaper.reshape(text))
    return text

