"""The mail itself: invites, digests, follow-ups, the "no connection" suggestions and the
private link sent again, each as plain text and HTML (inline styles, no remote images);
and the signed unsubscribe tokens every message carries.

The text part goes quoted-printable, `Date` carries a zone offset, and `From` names the
sender (KIOSK_MAIL_FROM_NAME, else the event's name): what spam filters and mail
clients look at first.
"""

import binascii
import secrets
from datetime import datetime, timezone
from email import encoders, policy
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from urllib.parse import quote

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from badges import DEFAULT_LAYOUT

from . import headshots, network
from .badge_printing import badge_pdf
from .connections import FOLLOW_UP, people_met
from .db import now, query, write
from .errors import NotFound
from .events import local_time, zone
from .mail import Envelope
from .people import rows_for_code
from .vcard import vcards

MAIL_PHOTOS = 40  # at most 40 x 2 x 40 KB of photos in a message, about 4 MB once in base64


def private_link(person):
    """The link that opens a person's own page on any device (their invite's link)."""
    return f"{current_app.config['BASE_URL']}/me/{person['private_key']}"


def build(db, event, kind, person, *, contacts=None, message_id=None, to=None, attach_badge=False,
          with_notes=True):
    """The message for one attendee: plain text and HTML, contacts.vcf with a digest or
    follow-up, the badge PDF with an invite if asked. `contacts` limits a digest or
    follow-up to those people (attendee ids; None: everyone met). `to` overrides the
    recipient (an organiser's test). `with_notes=False` leaves out the attendee's notes
    and tags, which are theirs alone (what an organiser's preview or test shows)."""
    config = current_app.config
    base = config["BASE_URL"]
    token = unsubscribe_token(person)
    context = {"event": event, "person": person, "base_url": base, "private_link": private_link(person),
               "unsubscribe_url": f"{base}/unsubscribe/{token}",
               "when": lambda iso: local_time(event, iso)}
    attachments, inline = [], []
    if kind == "invite":
        subject = f"Your link for {event['name']}: save the people you meet"
        template = "invite"
        if attach_badge:
            attachments.append((badge_pdf(db, event["slug"], person["code"], base_url=base,
                                          layout=DEFAULT_LAYOUT, font_dir=config["FONT_DIR"]),
                                "application", "pdf", "badge.pdf"))
    else:
        people = digest_people(db, event, person, contacts, with_notes=with_notes)
        inline = with_photos(db, people)
        context["people"] = people
        count = len(people)
        if people and kind == "followup":
            subject = f"{count} more {'person' if count == 1 else 'people'} you met at {event['name']}"
            template = "followup"
        elif people:
            subject = f"Your {count} connection{'s' if count != 1 else ''} from {event['name']}"
            template = "digest"
        else:
            context["reachable"] = reachable(db, person)
            subject = f"People you could still reach from {event['name']}"
            template = "reach_out"
        if people and kind == "digest":
            context["network"], context["reminders"] = network_so_far(db, event, person, with_notes=with_notes)
            met_here = {p["other_person_id"] for p in people}
            people = people + [n for n in context["network"] if n["other_person_id"] not in met_here]
        if people:
            attachments.append((vcards(people, event).encode("utf-8"), "text", "vcard", "contacts.vcf"))
    recipient = to or (f"{person['first_name']} {person['last_name']}".strip(), person["email"])
    return compose(sender(event), recipient, subject, render_template(f"email/{template}.txt", **context),
                   render_template(f"email/{template}.html", **context), attachments, inline=inline,
                   message_id=message_id or f"<{kind}.{event['slug']}.{person['code']}.preview@localhost>",
                   unsubscribe=(f"<{base}/unsubscribe/{token}>, "
                                f"<mailto:{config['MAIL_FROM']}?subject={quote('unsubscribe ' + token)}>"))


def sender(event=None):
    """(display name, address) for From: the configured organiser name, else the event's."""
    config = current_app.config
    return (config.get("MAIL_FROM_NAME") or (event["name"] if event else "") or "Event kiosk",
            config["MAIL_FROM"])


def digest_people(db, event, person, contacts=None, *, with_notes=True):
    """The people a digest tells `person` about, those tagged "follow up" first, each with
    a ready-to-send email (a mailto: naming the event) where they shared their address.
    Without notes: each note and tag blanked (before sorting, so the order tells none)."""
    people = [p if with_notes else {**p, "note": "", "tags": []}
              for p in people_met(db, person) if contacts is None or p["other_id"] in contacts]
    people.sort(key=lambda p: FOLLOW_UP not in p["tags"])  # stable: newest first otherwise
    for p in people:
        p["mailto"] = follow_up_mailto(event, person, p) if p["email"] else ""
    return people


def network_so_far(db, event, person, *, with_notes=True):
    """For a digest of an event in a programme: (the people met at its earlier events, once
    each with `meetings`; those of them tagged "follow up" and not yet marked followed up,
    each with a mailto naming where they met). Without notes: no notes and no reminders
    (tags are the attendee's own)."""
    earlier = network.earlier(db, person, event)
    if not with_notes:
        return network.one_per_person([{**m, "note": "", "tags": []} for m in earlier]), []
    reminders = network.still_to_follow_up(earlier)
    for p in reminders:
        p["mailto"] = follow_up_mailto(p["event"], person, p) if p["email"] else ""
    return network.one_per_person(earlier), reminders


def with_photos(db, people):
    """Give each contact who shares a photo its small JPEG (for the vCard) and a Content-ID
    (for the HTML card); returns [(content id, jpeg)] to attach inline. Mail clients block
    remote images and many drop data: URIs, but show a related part named by cid:. At most
    MAIL_PHOTOS contacts' photos, the first listed: each goes twice (card and vCard), and mail
    servers refuse messages past 10-25 MB."""
    photos = headshots.card_photos(db, [p for p in people if p["shares_photo"]][:MAIL_PHOTOS])
    for p in people:
        p["photo"] = photos.get(p["code"])
        p["photo_cid"] = f"photo-{p['code'].lower()}@kiosk" if p["photo"] else ""
    return [(p["photo_cid"], p["photo"]) for p in people if p["photo"]]


def follow_up_mailto(event, me, contact):
    """A mailto: with a subject and a first line that say where the two met."""
    subject = f"Great to meet you at {event['name']}"
    day = datetime.fromisoformat(contact["at"]).astimezone(zone(event["timezone"])).strftime("%-d %B")
    body = f"Hi {contact['first_name']},\n\nIt was good to meet you at {event['name']} on {day}.\n\n{me['first_name']}"
    return f"mailto:{quote(contact['email'], safe='@')}?subject={quote(subject)}&body={quote(body)}"


def compose(sender, to, subject, text, html, attachments, *, message_id, unsubscribe=None, inline=()):
    """The MIME message; `inline` [(content id, jpeg)] go beside the HTML (multipart/related). Built with the email package's classic classes: its modern
    EmailMessage parses and refolds every header, five times the cost of the SMTP
    transaction itself (bench/digests.py). `sender` and `to` are (name, address) or an address."""
    # Fixed random boundaries: 96 random bits no body can contain by chance, so the
    # generator need not search the bodies for a collision.
    boundary = secrets.token_hex(12)
    body = MIMEMultipart("alternative", boundary=f"--alt-{boundary}")
    body.attach(_readable(text, "plain"))
    body.attach(_with_images(_readable(html, "html"), inline, boundary) if inline else _readable(html, "html"))
    message = MIMEMultipart("mixed", boundary=f"--mix-{boundary}") if attachments else body
    if attachments:
        message.attach(body)
    for data, maintype, subtype, filename in attachments:
        part = MIMEBase(maintype, subtype, **({"charset": "utf-8"} if maintype == "text" else {}))
        part.set_payload(data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        message.attach(part)
    message["Subject"] = Header(subject, "utf-8")
    message["From"] = _address(sender)
    message["To"] = _to_header(to)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id
    if unsubscribe:
        message["List-Unsubscribe"] = unsubscribe
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def _with_images(html, images, boundary):
    related = MIMEMultipart("related", boundary=f"--rel-{boundary}")
    related.attach(html)
    for content_id, data in images:
        image = MIMEBase("image", "jpeg")
        image.set_payload(data)
        encoders.encode_base64(image)
        image.add_header("Content-ID", f"<{content_id}>")
        image.add_header("Content-Disposition", "inline", filename=f"{content_id.split('@')[0]}.jpg")
        related.attach(image)
    return related


def _readable(text, subtype):
    """A text part in quoted-printable, readable on the wire and to spam filters (not
    base64), encoded by binascii's C code: the email package's own quoted-printable is
    pure Python and costs more than the SMTP transaction (bench/digests.py)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii"))
    part["Content-Transfer-Encoding"] = "quoted-printable"
    return part


def _address(who):
    name, address = who if isinstance(who, tuple) else ("", who)
    return formataddr((name, address), charset="utf-8")


def _to_header(who):
    """The To header. An internationalised address (jürgen@bücher.example) goes as raw
    UTF-8, as SMTPUTF8 wants (the surrogate escapes become its bytes on the wire)."""
    name, address = who if isinstance(who, tuple) else ("", who)
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    name = formataddr((name, "x@x"), charset="utf-8").rsplit(" <", 1)[0] if name else ""
    raw = address.encode("utf-8").decode("ascii", "surrogateescape")
    return f"{name} <{raw}>" if name else raw


def readable(message):
    """A composed message as the modern EmailMessage (get_body, iter_attachments), for previews."""
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def reachable(db, person, limit=15):
    """For someone with no connection: people who checked in and agreed to be suggested to
    people they have not met, from the same workshops (or the event). Only their name,
    role and organisation: never how to contact them."""
    return query(
        db,
        """SELECT DISTINCT o.first_name, o.last_name, o.role, o.organisation
           FROM attendees o
           WHERE o.event_id = :e AND o.id != :me AND o.revoked_at IS NULL AND o.allow_suggest = 1
             AND EXISTS (SELECT 1 FROM checkins WHERE attendee_id = o.id)
             AND (NOT EXISTS (SELECT 1 FROM checkins WHERE attendee_id = :me AND workshop_id IS NOT NULL)
                  OR o.id IN (SELECT c2.attendee_id FROM checkins c1 JOIN checkins c2
                              ON c2.workshop_id = c1.workshop_id
                              WHERE c1.attendee_id = :me AND c1.workshop_id IS NOT NULL))
           ORDER BY o.last_name, o.first_name LIMIT :limit""",
        {"e": person["event_id"], "me": person["id"], "limit": limit},
    )


def send_link_again(db, email, mailer):
    """Mail a person their private links, one per event this address is registered for
    (and not revoked). Returns whether it was registered; the caller never tells."""
    people = query(db, """SELECT a.*, e.name AS event_name FROM attendees a JOIN events e ON e.id = a.event_id
                          WHERE a.email = ? AND a.revoked_at IS NULL ORDER BY e.starts_at DESC""",
                   [" ".join(str(email or "").split())])
    if not people:
        return False
    first = people[0]
    context = {"person": first, "links": [(p["event_name"], private_link(p)) for p in people]}
    message = compose(sender(), (f"{first['first_name']} {first['last_name']}".strip(), first["email"]),
                      "Your private link", render_template("email/link_again.txt", **context),
                      render_template("email/link_again.html", **context), [],
                      message_id=f"<link.{secrets.token_hex(8)}@{mail_domain()}>")
    mailer.open()
    try:
        mailer.send(Envelope.of(message, first["email"]))
    finally:
        mailer.close()
    return True


def mail_domain():
    return current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"


# ---------- unsubscribing ----------

def _unsubscribe_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(person):
    """Names the person by their badge code, never by row id: ids are reused after an
    erasure, while a code is random and unique, so the link can only ever act on them."""
    return _unsubscribe_signer().dumps({"code": person["code"]})


def unsubscriber(db, token):
    """The attendee a (signed) unsubscribe token names, or NotFound. Links from 0.1.0
    named a row id, which a later attendee may hold: they are no longer accepted."""
    try:
        named = _unsubscribe_signer().loads(token)
    except BadSignature:
        named = None
    if not isinstance(named, dict) or not isinstance(named.get("code"), str):
        raise NotFound("this unsubscribe link is not valid (links in mail sent by version 0.1.0 no longer "
                       "work: use the link in a newer message, or ask the organiser)")
    rows = rows_for_code(db, named["code"])
    if not rows:
        raise NotFound("this unsubscribe link is not valid")
    return rows[0]


def unsubscribe(db, token):
    """Opt the attendee out of further mail for the event (idempotent)."""
    person = unsubscriber(db, token)
    with write(db):
        db.execute("UPDATE attendees SET mail_opt_out_at = coalesce(mail_opt_out_at, ?) WHERE id = ?",
                   [now(), person["id"]])
    return person
