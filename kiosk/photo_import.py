"""Importing a photographer's headshots: a folder or a .zip of JPEG/PNG files, each named
after its attendee's email or badge code (`zoe@example.org.jpg`, `4P328DSDS0C01.png`, any
case, in any sub-folder). Every file is checked first; then all are stored in one
transaction, or, when any file is unmatched or unreadable, none is and every problem is
listed by file name.

A zip is read entry by entry into memory, never extracted: its names (which may say
"../../etc") are only matched, never used as paths. It may hold at most MAX_ENTRIES files
and MAX_TOTAL_BYTES once uncompressed, each file at most headshots.MAX_BYTES, counted as
they are inflated (a zip can declare sizes it does not keep to). Checked originals wait
in an unnamed temporary file, so a thousand photos never sit in memory at once.
"""

import io
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from . import headshots
from .checkins import badge_holder
from .codes import parse_badge_code
from .db import query, write
from .people import email_key
from .errors import Invalid, KioskError
from .events import get_event

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
SYSTEM_FILES = ("thumbs.db", "desktop.ini")
MAX_ENTRIES = 5000
MAX_TOTAL_BYTES = 2 * 1024 ** 3
MAX_ZIP_BYTES = 500 * 1024 * 1024  # an upload on the organiser pages
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ZipTooLarge(Invalid):
    """The whole zip is refused (too many files, too many bytes once inflated)."""


class PhotosRefused(Invalid):
    """Nothing was imported; `problems` lists (file name, reason) for each file at fault."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(f"no photo imported: {len(problems)} file{'s' if len(problems) != 1 else ''} "
                         "to fix first")


@dataclass
class PhotoImport:
    matched: list = field(default_factory=list)  # (file name, attendee row)
    problems: list = field(default_factory=list)  # (file name, reason)
    ignored: int = 0
    written: bool = False

    def summary(self):
        verb = "imported" if self.written else "ready to import"
        return f"{len(self.matched)} photo{'s' if len(self.matched) != 1 else ''} {verb}"


def import_photos(db, event_slug, source, *, dry_run=False):
    """Match and check every photo in `source` (a folder's Path, a zip's Path, or a zip's
    bytes), then store them all. PhotosRefused (nothing written) when any file is at fault."""
    event = get_event(db, event_slug)
    people = _attendees_by_name(db, event)
    result, waiting = PhotoImport(), {}
    with tempfile.TemporaryFile() as originals:
        for name, read in _photo_files(source, result):
            problem = _check(db, event, people, name, read, waiting, originals)
            if problem:
                result.problems.append((name, problem))
        if result.problems:
            raise PhotosRefused(result.problems)
        if not waiting:
            raise Invalid("there is no photo (a .jpg, .jpeg or .png file) in it")
        result.matched = [(photo.name, photo.attendee) for photo in waiting.values()]
        if not dry_run:
            with write(db):
                for photo in waiting.values():
                    originals.seek(photo.at)
                    headshot = replace(photo.headshot, original=originals.read(photo.length))
                    headshots.save(db, photo.attendee, headshot, "import")
            result.written = True
    return result


@dataclass
class _Waiting:
    """A checked photo; its original waits in the temporary file, at `at`."""
    name: str
    attendee: dict
    headshot: headshots.Headshot
    at: int
    length: int


def _attendees_by_name(db, event):
    """{email or badge code, by `email_key` (ASCII letters lower-cased): attendee} for the event."""
    rows = query(db, "SELECT id, person_id, email, code, first_name, last_name FROM attendees WHERE event_id = ?",
                 [event["id"]])
    return {key: row for row in rows for key in (email_key(row["email"]), email_key(row["code"]))}


def _check(db, event, people, name, read, waiting, originals):
    """None when the file is matched and readable (then it waits, by person), else the reason."""
    stem = PurePosixPath(name).stem.strip()
    attendee = people.get(email_key(stem))
    if attendee is None and "@" not in stem:
        attendee = badge_holder(db, event, parse_badge_code(stem))  # a code held before a programme
    if attendee is None:
        return f"matches nobody at {event['name']}: name the file after the attendee's email or badge code"
    if attendee["person_id"] in waiting:
        return f"a second photo of {_name(attendee)} (also {waiting[attendee['person_id']].name})"
    try:
        headshot = headshots.prepare(read())
    except ZipTooLarge:
        raise
    except KioskError as exc:
        return str(exc)
    waiting[attendee["person_id"]] = _Waiting(name, attendee, replace(headshot, original=b""), originals.tell(),
                                              len(headshot.original))
    originals.write(headshot.original)
    return None


def _name(attendee):
    return f"{attendee['first_name']} {attendee['last_name']}".strip()


# ---------- where the files come from ----------

def _photo_files(source, result):
    """(display name, a function reading its bytes) for every file that is not a system
    file; a file that cannot be a photo by its name is a problem at once."""
    if isinstance(source, Path) and source.is_dir():
        files = _folder_files(source)
    else:
        files = _zip_files(source if isinstance(source, Path) else io.BytesIO(source))
    for name, read in files:
        parts = PurePosixPath(name).parts
        if any(part.startswith(".") and part.strip(".") or part == "__MACOSX" for part in parts) or parts[-1].lower() in SYSTEM_FILES:
            result.ignored += 1
        elif not parts[-1].lower().endswith(PHOTO_SUFFIXES):
            result.problems.append((printable(name), "not a JPEG or PNG file (by its name)"))
        else:
            yield printable(name), read


def printable(name):
    """A file name safe to print on a terminal or a page (no control characters)."""
    return CONTROL.sub("?", name)


def _folder_files(folder):
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for file_name in sorted(files):
            path = Path(root, file_name)
            yield path.relative_to(folder).as_posix(), _file_reader(path)


def _file_reader(path):
    def read():
        if path.stat().st_size > headshots.MAX_BYTES:
            raise Invalid(f"larger than {headshots.MAX_BYTES // (1024 * 1024)} MB")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise Invalid(f"cannot be read ({exc.strerror or exc})")
    return read


def _zip_files(file):
    """The zip's entries, read from `file` (a path or a file object) one at a time."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise Invalid("that is neither a folder nor a readable .zip file")
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_ENTRIES:
        raise ZipTooLarge(f"the zip holds {len(entries)} files; at most {MAX_ENTRIES} are taken at once")
    inflated = [0]
    for info in entries:
        yield info.filename, _entry_reader(archive, info, inflated)


def _entry_reader(archive, info, inflated):
    def read():
        if info.flag_bits & 0x1:
            raise Invalid("is encrypted: zip the photos again without a password")
        if info.file_size > headshots.MAX_BYTES:
            raise Invalid(f"larger than {headshots.MAX_BYTES // (1024 * 1024)} MB")
        try:
            with archive.open(info) as entry:
                data = entry.read(headshots.MAX_BYTES + 1)  # at most this, whatever the zip declares
        # zipfile raises NotImplementedError for a compression method it lacks (deflate64...).
        except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error, OSError) as exc:
            raise Invalid(f"cannot be read from the zip ({exc})")
        inflated[0] += len(data)
        if len(data) > headshots.MAX_BYTES:
            raise Invalid(f"larger than {headshots.MAX_BYTES // (1024 * 1024)} MB")
        if inflated[0] > MAX_TOTAL_BYTES:
            raise ZipTooLarge(f"the zip holds more than {MAX_TOTAL_BYTES // 1024 ** 2:,} MB of photos once "
                          "unpacked: import it in parts")
        return data
    return read
