"""Parsed TrueType fonts kept between runs, keyed by file, mtime and size.

ReportLab parses a font's tables on every run (DejaVu Sans 8 ms, WenQuanYi 50 ms);
a `flask badges` run reads them back from a pickle instead. The cache lives in the
user's own cache folder (XDG_CACHE_HOME or ~/.cache, made private), so unpickling
trusts nothing another user could write. Any trouble with it means parsing as before.
"""

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from weakref import WeakKeyDictionary

from reportlab import Version as REPORTLAB_VERSION
from reportlab import rl_config
from reportlab.pdfbase.ttfonts import TTEncoding, TTFont, TTFontFace

# Not pickled: the file's bytes (read again, they are the file) and a lambda.
UNPICKLED = ("_ttf_data", "_pdfScale")


def cache_dir():
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kiosk-badges"


def parsed_font(name, path, stat):
    """ReportLab's TTFont `name` for the font file at `path` (whose os.stat is `stat`)."""
    key = repr((os.path.abspath(path), stat.st_mtime_ns, stat.st_size, REPORTLAB_VERSION))
    cached = cache_dir() / (hashlib.sha256(key.encode()).hexdigest() + ".pickle")
    try:
        return CachedTTFont(name, _face_from(cached, path))
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        font = TTFont(name, path, subfontIndex=0)
        _store(cached, font.face)
        return font


class CachedTTFont(TTFont):
    """A TTFont whose face was read from the cache: TTFont's own fields, no parsing."""

    def __init__(self, name, face):
        self.fontName, self.face = name, face
        self.encoding = TTEncoding()
        self.state = WeakKeyDictionary()
        self._asciiReadable = rl_config.ttfAsciiReadable
        self.shapable = True  # as TTFont's default


def _face_from(cached, path):
    face = TTFontFace.__new__(TTFontFace)
    face.__dict__.update(pickle.loads(cached.read_bytes()))
    face._ttf_data = Path(path).read_bytes()
    face._pdfScale = _scale(face.unitsPerEm)
    return face


def _scale(units_per_em):
    """Font units to PDF's 1/1000 em, as ReportLab's parser sets it."""
    factor = 1000 / units_per_em
    return (lambda x: x) if units_per_em == 1000 else (lambda x: x * factor)


def _store(cached, face):
    """Write the face's parse atomically; a cache that cannot be written is skipped."""
    state = {k: v for k, v in face.__dict__.items() if k not in UNPICKLED}
    try:
        cached.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".partial") as out:
            pickle.dump(state, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.link(out.name, cached)  # whole or not at all; the temporary name goes on close
    except OSError:
        pass
