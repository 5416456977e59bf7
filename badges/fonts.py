"""Fonts for badges: find TrueType fonts on this system, pick one per string, shape RTL text.

A name is drawn in the first font of the chain that has every one of its
glyphs (DejaVu Sans covers Latin, Greek, Cyrillic, Arabic and Hebrew; WenQuanYi
Micro Hei covers Chinese and Japanese). Fonts in the font directory the caller
names (KIOSK_FONT_DIR) come first. ReportLab embeds TrueType outlines only, so
OpenType/CFF files (most .otf, Noto CJK) are not candidates.
"""

import os
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# (regular file, bold file) in order of preference; the first one found is the primary font.
CANDIDATES = [
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
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
_REGISTERED = {}  # path -> (ReportLab font name, glyphs): each file is parsed once per process


class NoFontError(RuntimeError):
    """No usable TrueType font was found at all."""


@dataclass
class Face:
    path: str
    registered_name: str = ""
    glyphs: frozenset = frozenset()

    def load(self):
        """Register with ReportLab on first use: parsing a large CJK font costs ~100 ms."""
        if not self.registered_name:
            if self.path not in _REGISTERED:
                name = f"Badge{len(_REGISTERED)}-" + Path(self.path).stem.replace(" ", "")
                font = TTFont(name, self.path, subfontIndex=0)
                pdfmetrics.registerFont(font)
                _REGISTERED[self.path] = name, frozenset(font.face.charToGlyph)
            self.registered_name, self.glyphs = _REGISTERED[self.path]
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


def find_chain(font_dir=None):
    """The fonts of this system, with those in `font_dir` first."""
    chain = FontChain()
    if font_dir:
        for path in sorted(Path(font_dir).glob("*")):
            if path.suffix.lower() in FONT_SUFFIXES:
                chain.regular.append(Face(str(path)))
                chain.bold.append(Face(str(path)))
    index = _index_system_fonts()
    for regular, bold in CANDIDATES:
        if regular.lower() in index:
            chain.regular.append(Face(index[regular.lower()]))
            chain.bold.append(Face(index.get(bold.lower(), index[regular.lower()])))
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

