"""CSV import of attendees, all or nothing; one implementation behind the CLI and the upload page.

Takes the bytes a ticketing tool exported (any of the common header spellings,
comma/semicolon/tab, UTF-8 with or without BOM, UTF-16, Windows-1252), checks
every row, and writes every row or none. Re-importing a person (same email)
updates their details and keeps their badge code, so printed badges stay valid.
"""

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field

from .attendees import (CONSENT_FIELDS, OPT_IN_FIELDS, clean_attendee, clean_text, consent_changed,
                        insert_attendees, new_attendee_row)
from .db import now, query, write
from .errors import Invalid
from .events import get_event
from .people import email_key, programme_person_rows

# Header spellings seen in real exports (Eventbrite, pretix, Tito, Luma, Google Forms,
# Microsoft Forms, spreadsheets), normalised: lower case, letters and digits only, and
# without a leading "ticket", "attendee", "your"... (FILLER_PREFIXES), so "Ticket Email",
# "Attendee email" and "Your email" are all "email". Within a field, earlier spellings
# win when a file has several of them.
ALIASES = {
    "first_name": ["firstname", "givenname", "forename", "first", "namegivenname",
                   "givennames", "preferredname"],
    "last_name": ["lastname", "surname", "familyname", "last", "namefamilyname"],
    "full_name": ["name", "fullname"],
    "email": ["email", "emailaddress", "mail"],
    "organisation": [
        "organisation", "organization", "company", "companyname", "organisationname",
        "organizationname", "affiliation", "institution", "medicalschool", "university",
        "hospital", "employer", "workplace",
    ],
    "role": ["role", "jobtitle", "position", "title", "yearofstudy", "year", "job",
             "occupation", "jobrole", "grade"],
    "pronouns": ["pronouns", "pronoun"],
    "linkedin_url": ["linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl",
                     "linkedinprofilelink", "linkedinlink", "linkedinhandle"],
    "share_email": ["shareemail"],
    "share_linkedin": ["sharelinkedin"],
    "allow_scan": ["allowscan"],
    "allow_suggest": ["allowsuggest", "suggestme"],
    "share_photo": ["sharephoto", "sharemyphoto"],
}
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "full_name": "Full name (split)",
    "email": "Email", "organisation": "Organisation", "role": "Role or job title",
    "pronouns": "Pronouns", "linkedin_url": "LinkedIn", "share_email": "Share email (yes/no)",
    "share_linkedin": "Share LinkedIn (yes/no)", "allow_scan": "May be scanned (yes/no)",
    "allow_suggest": "May be suggested to others (yes/no)", "share_photo": "Share photo (yes/no)",
}
# A file to start from, offered on the import page.
EXAMPLE_CSV = (
    "First Name,Last Name,Email,Organisation,Role,Pronouns,LinkedIn,share_email,share_linkedin,"
    "allow_scan\r\n"
    "Amelia,Hughes,amelia.hughes@example.org,King's College London,Medical student (Year 3),"
    "she/her,https://www.linkedin.com/in/amelia-hughes,yes,yes,yes\r\n"
    "Sinéad,Ní Bhriain,sinead.nibhriain@example.org,Trinity College Dublin,"
    "Foundation doctor (FY1),she/her,,yes,no,yes\r\n"
)
FILLER_PREFIXES = ("ticket", "attendee", "guest", "participant", "registrant", "pleaseenter",
                   "enter", "whatisyour", "whatsyour", "your")
HEADER_TO_FIELD = {alias: f for f, aliases in ALIASES.items() for alias in aliases}
FIELDS = tuple(f for f in ALIASES if f != "full_name") + ("full_name",)
# Fields a row can do without: a messy value there is dropped with a warning, the row
# imported. Names, email and consent choices must be right or the file is refused.
OPTIONAL_FIELDS = ("last_name", "organisation", "role", "pronouns", "linkedin_url")
# Words that start a surname: "Ludwig van Beethoven" -> "van Beethoven", and the Irish
# "Sinéad Ní Bhriain" -> "Ní Bhriain" (Irish particles are capitalised).
SURNAME_PARTICLES = {
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "le",
    "la", "dos", "das", "ter", "ten", "bin", "ibn", "al", "el", "st",
    "Ní", "Ni", "Nic", "Ó", "Uí", "Mac", "Mhic",
}
# Bytes Windows-1252 leaves undefined: a file containing them is not Windows-1252.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
SAVE_AS_UTF8 = (
    "save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "in Google Sheets, File > Download > CSV"
)


class ImportRefused(Invalid):
    """The file was refused; `problems` lists every reason as 'line N: field: reason'.
    `header` is the file's header when it could be read (the page offers to map it)."""

    def __init__(self, problems, header=None, columns=None):
        self.problems, self.header, self.columns = problems, header or [], columns or {}
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
    warnings: list = field(default_factory=list)  # "line N: field: what was dropped"
    header: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)  # field -> column index

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
        if self.warnings:
            text += f"; {len(self.warnings)} messy values left out"
        return text


def import_attendees(db, event_slug, data, *, dry_run=False, mapping=None):
    """Check every row of a CSV file (bytes) and write all of them, or raise ImportRefused.

    `mapping` ({header: field, or "" to ignore the column}) overrides the recognised
    header names; it is added to the mapping remembered for the event, which every
    import of the event uses."""
    event = get_event(db, event_slug)
    mapping = {**saved_mapping(event), **(mapping or {})}
    text, encoding = decode(data)
    header, records = read_rows(text)
    columns, ignored = map_columns(header, records, mapping)
    problems, warnings, rows = [], [], []
    seen_emails = {}
    for line, cells in records:  # in file order, so problems come out by line
        values = row_values(cells, columns)
        # No defaults: a blank consent cell stays blank, so a new attendee gets the event's
        # (new_attendee_row) and someone already registered keeps their choice (keep_choices).
        record, row_problems = clean_attendee(values, {})
        for field_name, reason in row_problems:
            if field_name in OPTIONAL_FIELDS:
                # The value as read: a column's cell, or a part of a full name it was split from.
                warnings.append(f"line {line}: {field_name}: {reason}; "
                                f"left out: {clean_text(values.get(field_name, ''))!r}")
                record[field_name] = ""
        row_problems = [p for p in row_problems if p[0] not in OPTIONAL_FIELDS]
        key = email_key(record["email"])
        if key and key in seen_emails:
            row_problems.append(("email", f"{record['email']} is also on line {seen_emails[key]}"))
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            row_problems.append(("file", f"{len(cells)} cells but the header has {len(header)} "
                                         "(is there an unquoted comma or semicolon in this row?)"))
        problems += [f"line {line}: {f}: {reason}" for f, reason in row_problems]
        seen_emails.setdefault(key, line)
        rows.append((line, record))
    if problems:
        raise ImportRefused(problems, header, columns)
    result = ImportResult(ignored_columns=ignored, encoding=encoding, dry_run=dry_run,
                          warnings=warnings, header=header, columns=columns)
    with write(db):  # the lock covers comparing with existing rows and writing
        inserts, updates = _plan(db, event, rows, result)
        if not dry_run:
            _write(db, event, inserts, updates)
            db.execute("UPDATE events SET import_mapping = ? WHERE id = ?",
                       [json.dumps(mapping, ensure_ascii=False), event["id"]])
    return result


def saved_mapping(event):
    """The column mapping remembered for this event: {header: field or ""}."""
    return json.loads(event.get("import_mapping") or "{}")


def parse_mapping(pairs):
    """["Ticket Email=email", "Notes="] (the CLI's --map) as {header: field}."""
    mapping = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        target = target.strip()
        if not sep or not header.strip():
            raise Invalid(f"--map {pair!r} must look like \"Column header=field\"")
        if target and target not in FIELDS:
            raise Invalid(f"--map {pair!r}: unknown field {target!r}; "
                          f"use one of {', '.join(FIELDS)} (or nothing to ignore the column)")
        mapping[header.strip()] = target
    return mapping


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


def map_columns(header, records, mapping):
    """{field: column index} for the columns we know, and the names of the others.

    A column the organiser mapped goes where they said. Otherwise its header is matched
    against the spellings in ALIASES; when several columns match a field the earliest
    spelling wins, except for email, where the column holding the most different email
    addresses wins (Microsoft Forms' own "Email" column says "anonymous"; pretix's order
    "E-mail" repeats the booker's address for every ticket of an order)."""
    candidates = {}
    for index, name in enumerate(header):
        if name in mapping:
            field_name, rank = mapping[name], -1
        else:
            field_name, rank = match_field(name)
        if field_name:
            candidates.setdefault(field_name, []).append((rank, index))
    columns, ignored = {}, []
    for field_name, found in candidates.items():
        if field_name == "email":
            found.sort(key=lambda pair: (-_emails_in(records, pair[1]), pair))
        else:
            found.sort()
        columns[field_name] = found[0][1]
        ignored += [header[i] for _, i in found[1:]]
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
        raise ImportRefused(missing, header, columns)
    return columns, [name for name in ignored if name]


def match_field(name):
    """(field, rank) for a header from a known export, else (None, None)."""
    norm = _norm(name)
    while norm not in HEADER_TO_FIELD:
        shorter = next((norm[len(p):] for p in FILLER_PREFIXES if norm.startswith(p)), norm)
        if shorter == norm:
            return None, None
        norm = shorter
    field_name = HEADER_TO_FIELD[norm]
    return field_name, ALIASES[field_name].index(norm)


def _emails_in(records, index):
    return len({cells[index].strip().lower() for _, cells in records
                if index < len(cells) and "@" in cells[index]})


def _norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def row_values(cells, columns):
    """The row's cells by field; a name in one column is split, and used wherever the
    first-name column is blank (Luma fills only `name` for some guests)."""
    values = {f: cells[i] if i < len(cells) else "" for f, i in columns.items()}
    full_name = values.pop("full_name", "")
    if full_name.strip() and not values.get("first_name", "").strip():
        values["first_name"], values["last_name"] = split_full_name(full_name)
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
        email_key(row["email"]): row
        for row in query(db, "SELECT * FROM attendees WHERE event_id = ?", [event["id"]])
    }
    joining = programme_person_rows(db, event)
    stamp = now()
    inserts, updates = [], []
    for line, record in rows:
        current = existing.get(email_key(record["email"]))
        if current is None:
            person_row = joining.get(email_key(record["email"]))
            inserts.append(new_attendee_row(event, record, "import", stamp, person_row))
            status = "new"
            result.rows.append((line, record, status))
            continue
        record = keep_choices(current, record)
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


def keep_choices(current, record):
    """A blank consent cell keeps the attendee's choice (made on /me, perhaps): an organiser's
    re-import never resets it to the event's default."""
    return {**{field: current[field] for field in CONSENT_FIELDS + OPT_IN_FIELDS}, **record}


def _write(db, event, inserts, updates):
    if inserts:
        insert_attendees(db, event, inserts)
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
