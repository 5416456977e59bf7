"""Sending mail: one SMTP connection reused for many messages, reconnecting when the
server drops it, throttled for providers' limits; or, with no SMTP host configured,
.eml files written to KIOSK_MAIL_DIR (the embedded default, previewable by organisers)."""

import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from .errors import KioskError

SMTP_TIMEOUT_SECONDS = 30
# How messages built with the classic MIME classes are written out: CRLF, as on the wire.
# 8bit: a header holding an internationalised address is written as its UTF-8 bytes.
WIRE = policy.compat32.clone(linesep="\r\n", cte_type="8bit")


@dataclass(frozen=True)
class Envelope:
    """A message ready for the wire: who from, to whom, its bytes (CRLF), its Message-ID."""

    sender: str
    recipient: str
    data: bytes
    message_id: str

    @classmethod
    def of(cls, message, recipient):
        return cls(message["From"], recipient, message.as_bytes(policy=WIRE), message["Message-ID"])


class MailUnavailable(KioskError):
    """The mail server cannot be reached or refuses our login: nothing was sent."""

    status = 503
    result = "mail_unavailable"


class Temporary(Exception):
    """A 4xx answer: try this message again later."""


class Permanent(Exception):
    """A 5xx answer: this message will not be delivered."""


def mailer_from_config(config):
    if config.get("SMTP_HOST"):
        return SMTPMailer(
            host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]),
            security=config["SMTP_SECURITY"], username=config["SMTP_USERNAME"],
            password=config["SMTP_PASSWORD"], per_minute=int(config.get("MAIL_PER_MINUTE") or 0),
        )
    return FileMailer(config["MAIL_DIR"])


class SMTPMailer:
    def __init__(self, host, port, security="starttls", username="", password="", per_minute=0):
        if security not in ("starttls", "ssl", "none"):
            raise MailUnavailable(f"KIOSK_SMTP_SECURITY must be starttls, ssl or none, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.interval = 60 / per_minute if per_minute else 0
        self.smtp = None
        self.last_sent = 0.0

    def open(self):
        """Connect and log in; raises MailUnavailable with the reason."""
        try:
            if self.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
                if self.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.username:
                self.smtp.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            self.smtp = None
            raise MailUnavailable(f"cannot reach the mail server {self.host}:{self.port}: {exc}")
        return self

    def send(self, envelope):
        """Send one Envelope; raises Temporary or Permanent with the server's reply."""
        if self.interval:
            time.sleep(max(0.0, self.last_sent + self.interval - time.monotonic()))
        # An internationalised address (jürgen@bücher.example) needs the server's SMTPUTF8.
        options = [] if (envelope.sender + envelope.recipient).isascii() else ["SMTPUTF8"]
        for attempt in (1, 2):
            if self.smtp is None:
                self.open()
            try:
                refused = self.smtp.sendmail(envelope.sender, [envelope.recipient], envelope.data,
                                             mail_options=options)
                self.last_sent = time.monotonic()
                if refused:
                    code, reply = next(iter(refused.values()))
                    raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {reply.decode(errors='replace')}")
                return
            except smtplib.SMTPServerDisconnected:
                self.smtp = None  # the server hung up (idle timeout, too many messages): once more
                if attempt == 2:
                    raise Temporary("the mail server closed the connection")
            except smtplib.SMTPNotSupportedError:
                raise Permanent(f"the mail server does not take internationalised addresses "
                                f"(no SMTPUTF8): {envelope.recipient}")
            except (UnicodeError, ValueError) as exc:  # an address written before validation
                raise Permanent(f"cannot send to {envelope.recipient!r}: {exc}")
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {reply.decode(errors='replace')}")
            except smtplib.SMTPResponseException as exc:
                reply = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
                self._reset()
                raise (Temporary if 400 <= exc.smtp_code < 500 else Permanent)(reply)

    def _reset(self):
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.smtp = None

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


class FileMailer:
    """Writes each message as an .eml file named after its Message-ID."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def open(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, envelope):
        # Owner-only: a message holds an address and a private link.
        fd = os.open(saved_file(self.folder, envelope.message_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(envelope.data)

    def close(self):
        pass


def saved_file(folder, message_id):
    """Where the file mailer writes the message with this Message-ID."""
    name = message_id.strip("<>").replace("/", "_").replace("@", "_at_")
    return Path(folder) / f"{name}.eml"


def forget_saved(folder, message_ids):
    """Remove the saved copies of these messages (an attendee erased, an event purged)."""
    for message_id in message_ids:
        saved_file(folder, message_id).unlink(missing_ok=True)


def saved_messages(folder):
    """The .eml files written without SMTP, newest first: (file name, parsed message)."""
    paths = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [(p.name, BytesParser(policy=policy.default).parsebytes(p.read_bytes())) for p in paths]
