"""vCard 3.0 (RFC 2426) for contact files: UTF-8, CRLF line ends, lines folded at 75
octets without splitting a character, text values escaped (backslash, comma,
semicolon, newline). Only what the contact agreed to share goes in."""

FOLD_OCTETS = 75


def escape(value):
    return (
        str(value).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def fold(line):
    """Split a content line into pieces of at most 75 octets, continuation lines
    starting with a space, never inside a multi-byte character."""
    if len(line.encode("utf-8")) <= FOLD_OCTETS:
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


def card(contact):
    """One vCard. `contact` has first_name, last_name and optionally organisation, role,
    email, linkedin_url, note (each already filtered by consent by the caller)."""
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
    if contact.get("linkedin_url"):
        lines.append(f"URL:{contact['linkedin_url']}")
    if contact.get("note"):
        lines.append(f"NOTE:{escape(contact['note'])}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def vcards(contacts):
    """A .vcf file's text (encode as UTF-8)."""
    return "".join(card(contact) for contact in contacts)
