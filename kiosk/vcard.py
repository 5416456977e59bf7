"""vCard 3.0 (RFC 2426) for contact files: UTF-8, CRLF line ends, lines folded at 75
octets without splitting a character, text values escaped (backslash, comma,
semicolon, newline). Only what the contact agreed to share goes in (their photo as an
inline base64 JPEG, PHOTO), with where and when you met them, your own note (NOTE) and
your tags (CATEGORIES).

Contacts tools import vCards into spreadsheets and CRMs: a text that starts like a
formula (=, +, -, @) is kept but starts with an apostrophe, and a URL is written only
when it is a valid http(s) address after percent-encoding."""

import base64
from datetime import datetime
from urllib.parse import quote, urlsplit

from .events import zone
from .exports import safe_cell

FOLD_OCTETS = 75
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # what percent-encoding leaves of a URL's own syntax


def escape(value):
    return (
        str(safe_cell(str(value))).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def web_url(value):
    """The URL percent-encoded, if it is then a valid http(s) address; else ""."""
    url = quote(str(value or "").strip(), safe=URL_SAFE)
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a malformed port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "//" not in url:
        return ""
    return url


def fold(line):
    """Split a content line into pieces of at most 75 octets, continuation lines
    starting with a space, never inside a multi-byte character."""
    if len(line) * 4 <= FOLD_OCTETS or len(line.encode("utf-8")) <= FOLD_OCTETS:  # no UTF-8 char is over 4 octets
        return line
    pieces, current, size = [], "", 0
    limit = FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1  # the continuation's leading space counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def where_and_when(contact, event):
    """"Met at Careers in Cardiology, Spring Networking on 14 March 2026." plus your note;
    a line like it for each meeting when a contact lists its `meetings` (a programme's
    events), each at its own event."""
    return "\n".join(_meeting(m, m.get("event") or event) for m in contact.get("meetings") or [contact])


def _meeting(contact, event):
    place = ", ".join(part for part in (contact.get("workshop"), event["name"]) if part)
    text = f"Met at {place}"
    if contact.get("at"):
        day = datetime.fromisoformat(contact["at"]).astimezone(zone(event["timezone"]))
        text += f" on {day.day} {day:%B %Y}"
    text += "."
    if contact.get("note"):
        text += "\n" + contact["note"]
    return text


def card(contact, event):
    """One vCard. `contact` has first_name, last_name and optionally organisation, role,
    email, linkedin_url, workshop, at, note, tags, photo (a small JPEG; each already
    filtered by consent by the caller, the note and tags the reader's own)."""
    first, last = contact.get("first_name", ""), contact.get("last_name", "")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{escape(last)};{escape(first)};;;",
        f"FN:{escape(' '.join(part for part in (first, last) if part))}",
    ]
    if contact.get("organisation"):
        lines.append(f"ORG:{escape(contact['organisation'])}")
    if contact.get("role"):
        lines.append(f"TITLE:{escape(contact['role'])}")
    if contact.get("email"):
        lines.append(f"EMAIL;TYPE=INTERNET:{escape(contact['email'])}")
    if url := web_url(contact.get("linkedin_url")):
        lines.append(f"URL:{url}")
    lines.append(f"NOTE:{escape(where_and_when(contact, event))}")
    if contact.get("tags"):
        lines.append(f"CATEGORIES:{','.join(escape(tag) for tag in contact['tags'])}")
    if contact.get("photo"):
        lines.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{base64.b64encode(contact['photo']).decode('ascii')}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def vcards(contacts, event):
    """A .vcf file's text (encode as UTF-8)."""
    return "".join(card(contact, event) for contact in contacts)
