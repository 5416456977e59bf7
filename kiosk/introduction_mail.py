"""The introduction mail: each of the two people gets the note, who introduces them, the
other's name, role and organisation (no contact details yet) and a link to accept or
decline.

Sent at once, from the request that makes the introduction, not through the outbox:
each link's token exists only until its message is written (only its hash is kept), so
the message cannot be rendered again later by a runner. A message the server refuses
for now is tried again twice, a few seconds apart; if it still cannot go, the
introduction is withdrawn and the introducer told to try again, so nobody waits on an
introduction the other person never heard of.
"""

import secrets
import time
from pathlib import Path

from flask import current_app, render_template

from . import introductions
from .mail import Envelope, MailUnavailable, Permanent, Temporary
from .programmes import programme_of
from .messages import compose, mail_domain, sender, unsubscribe_token

SEND_PAUSES = (0.5, 2.0)  # seconds between the attempts to hand the messages to the server


def introduce_by_mail(db, introducer, event, first_id, second_id, note, mailer):
    """`introduce`, then mail both people at once (a message the server refuses for now is
    tried again twice). When a message cannot go, the introduction is withdrawn and
    MailUnavailable raised: nobody is left waiting on a message that never came."""
    introduction, tokens = introductions.introduce(db, introducer, first_id, second_id, note)
    try:
        envelopes = [_message(db, introduction, event, person_id, token) for person_id, token in tokens.items()]
        _deliver(mailer, envelopes)
    except Exception:
        introductions.withdraw(db, introduction["id"])
        raise
    return introduction


def _message(db, introduction, event, person_id, token):
    me = introductions.person_row(db, person_id)
    other_id = introduction["second_id"] if person_id == introduction["first_id"] else introduction["first_id"]
    base = current_app.config["BASE_URL"]
    context = {"me": me, "other": introductions.person_row(db, other_id),
               "introducer": introductions.person_row(db, introduction["introducer_id"]),
               "note": introduction["note"], "link": f"{base}/introductions/{token}",
               "closes_on": introductions.closing_day(introduction),
               "unsubscribe_url": f"{base}/unsubscribe/{unsubscribe_token(me)}",
               "mail_from": (programme_of(db, event) or event)["name"]}  # what unsubscribing stops
    introducer, other = context["introducer"], context["other"]
    message = compose(
        sender(event), (f"{me['first_name']} {me['last_name']}".strip(), me["email"]),
        f"{introducer['first_name']} {introducer['last_name']} introduces you to {other['first_name']} "
        f"{other['last_name']}", render_template("email/introduction.txt", **context),
        render_template("email/introduction.html", **context), [],
        # The event's slug in it: the organiser's mail page lists saved files by event.
        message_id=f"<introduction.{introduction['id']}.{event['slug']}.{secrets.token_hex(6)}@{mail_domain()}>",
        unsubscribe=f"<{context['unsubscribe_url']}>")
    return Envelope.of(message, me["email"])


def _deliver(mailer, envelopes):
    for pause in (*SEND_PAUSES, None):
        try:
            mailer.open()
            try:
                while envelopes:
                    mailer.send(envelopes[0])
                    envelopes = envelopes[1:]
            finally:
                mailer.close()
            return
        except Permanent as exc:
            raise MailUnavailable(f"the mail server refused the introduction ({exc}): nothing was recorded")
        except (Temporary, MailUnavailable) as exc:
            if pause is None:
                raise MailUnavailable(f"the introduction could not be mailed ({exc}): nothing was "
                                      "recorded, try again later")
            time.sleep(pause)


def forget_introduction_mail(folder, introduction_ids):
    """Remove the saved copies of these introductions' mail (a person in them erased): each
    names both people. Their Message-IDs start with the introduction's number."""
    for introduction_id in introduction_ids:
        for path in Path(folder).glob(f"introduction.{int(introduction_id)}.*.eml"):
            path.unlink(missing_ok=True)
