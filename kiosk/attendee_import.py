"""CSV import of attendees, all or nothing; one implementation behind the CLI and the upload page.

Takes the bytes a ticketing tool exported (any of the common header spellings,
comma/semicolon/tab, UTF-8 with or without BOM, UTF-16, Windows-1252), checks
every row, and writes every row or none. Re-importing a person (same email)
updates their details and keeps their badge code, so printed badges stay valid.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from .attendees import OPT_IN_FIELDS, clean_attendee, consent_changed, event_defaults, new_attendee_row
from .db import now, query, write
from .errors import Invalid
from .events import get_event

# Header spellings seen in real exports, normalised (lower case, letters and digits
# only). Within a field, earlier spellings win when a file has several of them.
ALIASES = {
    "first_name": ["firstname", "givenname", "forename", "first"],
    "last_name": ["lastname", "surname", "familyname", "last"],
    "full_name": ["name", "fullname", "attendeename", "attendee"],
    "email": ["email", "emailaddress", "attendeeemail", "mail"],
    "organisation": [
        "organisation", "organization", "company", "affiliation", "institution",
        "medicalschool", "university", "hospital", "employer",
    ],
    "role": ["role", "jobtitle", "position", "title", "year"],
    "pronouns": ["pronouns", "pronoun"],
    "linkedin_url": ["linkedinurl", "linkedin", "linkedinprofile"],
    "share_email": ["shareemail"],
    "share_linkedin": ["sharelinkedin"],
    "allow_scan": ["allowscan"],
    "allow_suggest": ["allowsuggest"],
}
HEADER_TO_FIELD = {alias: f for f, aliases in ALIASES.items() for alias in aliases}
# Lower-case words that start a surname: "Ludwig van Beethoven" -> "van Beethoven".
SURNAME_PARTICLES = {
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "le",
    "la", "dos", "das", "ter", "ten", "bin", "ibn", "al", "el", "st",
}
# Bytes Windows-1252 leaves undefined: a file containing them is not Windows-1252.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
SAVE_AS_UTF8 = (
    "save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "in Google Sheets, File > Download > CSV"
)


class ImportRefused(Invalid):
    """The file was refused; `problems` lists every reason as 'line N: field: reason'."""

    def __init__(self, problems):
        self.problems = problems
        count = len(problems)
        head = f"nothing imported: {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(problems))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list = field(default_factory=list)
    encoding: str = "utf-8"
    dry_run: bool = False
    rows: list = field(default_factory=list)  # (line, record, status)

    def summary(self):
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"{verb} {self.created + self.updated + self.unchanged} attendees: "
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.encoding != "utf-8":
            text += f"; read as {self.encoding}"
        if self.ignored_columns:
            text += "; ignored columns: " + ", ".join(self.ignored_columns)
        return text


def import_attendees(db, event_slug, data, *, dry_run=False):
    """Check every row of a CSV file (bytes) and write all of them, or raise ImportRefused."""
    event = get_event(db, event_slug)
    text, encoding = decode(data)
    header, records = read_rows(text)
    columns, ignored = map_columns(header)
    problems, rows = [], []
    seen_emails = {}
    defaults = event_defaults(event)
    for line, cells in records:  # in file order, so problems come out by line
        record, row_problems = clean_attendee(row_values(cells, columns), defaults)
        key = record["email"].lower()
        if key and key in seen_emails:
            row_problems.append(("email", f"{record['email']} is also on line {seen_emails[key]}"))
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            row_problems.append(("file", f"{len(cells)} cells but the header has {len(header)} "
                                         "(is there an unquoted comma or semicolon in this row?)"))
        problems += [f"line {line}: {f}: {reason}" for f, reason in row_problems]
        seen_emails.setdefault(key, line)
        rows.append((line, record))
    if problems:
        raise ImportRefused(problems)
    result = ImportResult(ignored_columns=ignored, encoding=encoding, dry_run=dry_run)
    with write(db):  # the lock covers comparing with existing rows and writing
        inserts, updates = _plan(db, event, rows, result)
        if not dry_run:
            _write(db, inserts, updates)
    return result


def decode(data):
    """The file's text and the encoding it was read as; refuses what is not text."""
    if not data or not data.strip():
        raise ImportRefused(["line 1: file: the file is empty"])
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), "utf-16"
    if b"\x00" in data:
        raise ImportRefused(
            ["line 1: file: this is not a CSV text file (a spreadsheet or image?); "
             + SAVE_AS_UTF8]
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if CP1252_UNDEFINED.search(data):
        raise ImportRefused(
            ["line 1: file: the file is neither UTF-8 nor Windows-1252; " + SAVE_AS_UTF8]
        )
    return data.decode("cp1252"), "windows-1252"


def read_rows(text):
    """Header cells and the non-blank records, each with the line it starts on."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, records, line = None, [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header = [cell.strip() for cell in cells]
                else:
                    records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRefused([f"line {reader.line_num}: file: {exc}"])
    if not records:
        raise ImportRefused(["line 2: file: the file has a header but no attendees"])
    return header, records


def map_columns(header):
    """{field: column index} for the columns we know, and the names of the others."""
    candidates = {}
    for index, name in enumerate(header):
        field_name = HEADER_TO_FIELD.get(_norm(name))
        if field_name:
            candidates.setdefault(field_name, []).append(index)
    columns, ignored = {}, []
    for field_name, indexes in candidates.items():
        rank = [ALIASES[field_name].index(_norm(header[i])) for i in indexes]
        best = indexes[rank.index(min(rank))]
        columns[field_name] = best
        ignored += [header[i] for i in indexes if i != best]
    if "first_name" in columns and "full_name" in columns:
        ignored.append(header[columns.pop("full_name")])
    used = set(columns.values())
    ignored += [name for i, name in enumerate(header) if i not in used and name not in ignored]
    missing = []
    if "email" not in columns:
        missing.append("line 1: email: no email column (expected a header like Email)")
    if "first_name" not in columns and "full_name" not in columns:
        missing.append(
            "line 1: first_name: no name column (expected First Name and Last Name, or Name)"
        )
    if missing:
        raise ImportRefused(missing)
    return columns, [name for name in ignored if name]


def _norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def row_values(cells, columns):
    values = {f: cells[i] if i < len(cells) else "" for f, i in columns.items()}
    if "full_name" in columns:
        values["first_name"], values["last_name"] = split_full_name(values.pop("full_name"))
    return values


def split_full_name(name):
    """'Last, First' or 'First [Middle] Last', keeping surname particles with the surname."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    words = name.split(" ")
    if len(words) == 1:
        return name, ""
    cut = len(words) - 1
    for i in range(1, len(words) - 1):
        if words[i] in SURNAME_PARTICLES:
            cut = i
            break
    return " ".join(words[:cut]), " ".join(words[cut:])


def _plan(db, event, rows, result):
    """Sort rows into new, updated and unchanged people; return the rows to insert and update."""
    existing = {
        row["email"].lower(): row
        for row in query(db, "SELECT * FROM attendees WHERE event_id = ?", [event["id"]])
    }
    stamp = now()
    inserts, updates = [], []
    for line, record in rows:
        current = existing.get(record["email"].lower())
        if current is None:
            inserts.append(new_attendee_row(event, record, "import", stamp))
            status = "new"
            result.rows.append((line, record, status))
            continue
        record = keep_opt_ins(current, record)
        if any(current[k] != v for k, v in record.items()):
            changed = consent_changed(current, record)
            updates.append(
                {
                    **record,
                    "id": current["id"],
                    "updated_at": stamp,
                    "consent_at": stamp if changed else current["consent_at"],
                    "consent_source": "import" if changed else current["consent_source"],
                }
            )
            status = "updated"
        else:
            status = "unchanged"
        result.rows.append((line, record, status))
    result.created, result.updated = len(inserts), len(updates)
    result.unchanged = len(rows) - len(inserts) - len(updates)
    return inserts, updates


def keep_opt_ins(current, record):
    """A blank opt-in cell keeps the attendee's own choice."""
    return {**{field: current[field] for field in OPT_IN_FIELDS}, **record}


def _write(db, inserts, updates):
    if inserts:
        _executemany_dicts(db, "INSERT INTO attendees ({cols}) VALUES ({vals})", inserts)
    if updates:
        _executemany_dicts(db, "UPDATE attendees SET {sets} WHERE id = :id", updates)


def _executemany_dicts(db, template, rows):
    keys = [k for k in rows[0] if k != "id"]
    sql = template.format(
        cols=", ".join(keys),
        vals=", ".join(f":{k}" for k in keys),
        sets=", ".join(f"{k} = :{k}" for k in keys),
    )
    db.conn.executemany(sql, rows)
