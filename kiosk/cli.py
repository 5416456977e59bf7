"""Command line: `flask --app kiosk COMMAND`. Each command parses, calls one domain
function and prints; a domain error becomes a one-line message and exit status 1."""

import functools
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from badges import DEFAULT_LAYOUT, LAYOUTS

from . import DEFAULTS, __version__
from .attendee_import import import_attendees, parse_mapping
from .attendees import LIST_COLUMNS, list_attendees, private_link, public_listing
from .badge_printing import SORTS, print_badges
from .checkins import check_in_by_hand, undo_check_in
from .connections import EXPORT_COLUMNS, export_rows
from .db import backup, get_db
from .digests import TooEarly, send
from .demo import setup_demo
from .errors import KioskError
from .events import (EXCHANGE_MODES, NeedsConfirmation, add_workshop, create_event,
                     delete_event, delete_workshop, get_event, get_workshop, update_event,
                     wall_clock)
from .exports import ATTENDANCE_COLUMNS, attendance_rows, csv_text
from .kiosks import KIOSK_MODES, PRINTING, create_kiosk
from .mail import mailer_from_config
from .photo_import import PhotosRefused, import_photos
from .privacy import parse_age, purge
from .programmes import create_programme, get_programme, set_event_programme
from .users import ROLES, create_user


def register(app):
    for command in COMMANDS:
        app.cli.add_command(command)


def friendly_errors(f):
    """Run in the app context; domain errors and unreadable files end the command with
    a clear message on stderr and exit status 1, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except KioskError as exc:
            raise click.ClickException(str(exc))
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}")

    return with_appcontext(wrapper)


@click.command("create-admin")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden) when not given.")
@click.option("--role", type=click.Choice(ROLES), default="organiser", show_default=True)
@friendly_errors
def create_admin_command(email, password, role):
    """Create an organiser (or staff) account, or reset its password."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = create_user(get_db(), email, password, role)
    click.echo(f"{user['role']} account {user['email']} is ready")


@click.command("create-event")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--starts", required=True, help="ISO date-time, local to --timezone.")
@click.option("--ends", required=True, help="ISO date-time, local to --timezone.")
@click.option("--mode", type=click.Choice(EXCHANGE_MODES), default="mutual", show_default=True)
@click.option("--venue", default="")
@click.option("--timezone", "tz", help="e.g. Europe/London (any case); default: the server's.")
@click.option("--grace-minutes", type=int, default=120, show_default=True,
              help="How long after the end scanning stays open.")
@click.option("--programme", help="The slug of the programme the event is part of.")
@friendly_errors
def create_event_command(slug, name, starts, ends, mode, venue, tz, grace_minutes, programme):
    """Create an event."""
    db = get_db()
    if programme:
        get_programme(db, programme)  # a typo stops here, before the event exists
    event = create_event(db, slug, name, starts, ends, mode=mode, venue=venue, tz=tz,
                         grace_minutes=grace_minutes)
    if programme:
        event = set_event_programme(db, slug, programme)
    part = f", part of {programme}" if programme else ""
    click.echo(f"created event {event['slug']}: {event['name']} ({event['timezone']}){part}")


@click.command("create-programme")
@click.argument("slug")
@click.option("--name", required=True)
@friendly_errors
def create_programme_command(slug, name):
    """Create a programme: a series of events whose people keep one badge and one network."""
    programme = create_programme(get_db(), slug, name)
    click.echo(f"created programme {programme['slug']}: {programme['name']}")


@click.command("update-event")
@click.argument("slug")
@click.option("--slug", "new_slug", help="A new short name for links and commands.")
@click.option("--name")
@click.option("--starts", help="ISO date-time, local to the event's time zone.")
@click.option("--ends", help="ISO date-time, local to the event's time zone.")
@click.option("--timezone", "tz", help="A new zone; the event keeps its clock times.")
@click.option("--venue")
@click.option("--mode", type=click.Choice(EXCHANGE_MODES))
@click.option("--grace-minutes", type=int)
@click.option("--programme", help='Join this programme ("" to leave one, before anyone registers).')
@click.option("--yes", is_flag=True, help="Change the exchange mode even after connections.")
@friendly_errors
def update_event_command(slug, new_slug, name, starts, ends, tz, venue, mode, grace_minutes, programme, yes):
    """Change an event; options not given stay as they are. Badge codes never change (an
    event joining a programme gives its returning people the programme's badge; their
    badge for this event keeps working)."""
    changes = dict(slug=new_slug, name=name, starts=starts, ends=ends, tz=tz, venue=venue,
                   mode=mode, grace_minutes=grace_minutes)
    if programme is not None:
        set_event_programme(get_db(), slug, programme)
    try:
        event = update_event(get_db(), slug, confirm_mode=yes, **changes)
    except NeedsConfirmation as exc:
        if not sys.stdin.isatty() or not click.confirm(f"{exc} Change it?"):
            raise click.ClickException(f"{exc} (run again with --yes)")
        event = update_event(get_db(), slug, confirm_mode=True, **changes)
    click.echo(f"updated event {event['slug']}: {event['name']}, "
               f"{wall_clock(event, event['starts_at'])} to {wall_clock(event, event['ends_at'])} "
               f"({event['timezone']}), {event['exchange_mode']}")


@click.command("delete-event")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Required: the event and everything in it go.")
@friendly_errors
def delete_event_command(slug, yes):
    """Delete an event with its workshops, attendees, check-ins, connections and mail."""
    event = get_event(get_db(), slug)
    if not yes:
        raise click.ClickException(
            f"deleting {event['name']!r} removes its attendees, check-ins and connections; "
            "add --yes to confirm")
    delete_event(get_db(), slug, confirmed=True)
    click.echo(f"deleted event {slug}")


@click.command("delete-workshop")
@click.argument("slug")
@click.argument("workshop")
@click.option("--yes", is_flag=True, help="Required: its check-ins go with it.")
@friendly_errors
def delete_workshop_command(slug, workshop, yes):
    """Delete a workshop and its check-ins (connections made there are kept)."""
    found = get_workshop(get_db(), get_event(get_db(), slug), workshop)
    if not yes:
        raise click.ClickException(f"deleting workshop {found['title']!r} removes its "
                                   "check-ins; add --yes to confirm")
    delete_workshop(get_db(), slug, workshop, confirmed=True)
    click.echo(f"deleted workshop {workshop} of {slug}")


@click.command("add-workshop")
@click.argument("slug")
@click.argument("workshop")
@click.option("--title", required=True)
@click.option("--room", default="")
@click.option("--starts")
@click.option("--ends")
@friendly_errors
def add_workshop_command(slug, workshop, title, room, starts, ends):
    """Add a workshop to an event."""
    created = add_workshop(get_db(), slug, workshop, title, room=room, starts=starts, ends=ends)
    click.echo(f"added workshop {created['slug']}: {created['title']}")


@click.command("import-attendees")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--map", "pairs", multiple=True, metavar='"HEADER=FIELD"',
              help="Read a column as a field, e.g. --map \"Ticket Email=email\" (repeatable; "
                   "HEADER= ignores the column). Remembered for the event's next imports.")
@friendly_errors
def import_attendees_command(slug, file, dry_run, pairs):
    """Import attendees from a CSV export: every row or none."""
    result = import_attendees(get_db(), slug, file.read_bytes(), dry_run=dry_run,
                              mapping=parse_mapping(pairs))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.summary())


@click.command("import-photos")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Match and check every photo; write nothing.")
@friendly_errors
def import_photos_command(slug, path, dry_run):
    """Import headshots from a folder or a .zip: each file named after its attendee's
    email or badge code (zoe@example.org.jpg, 4P328DSDS0C01.png). Every photo or none."""
    try:
        result = import_photos(get_db(), slug, path, dry_run=dry_run)
    except PhotosRefused as exc:
        for name, reason in exc.problems:
            click.echo(f"{name}: {reason}", err=True)
        raise
    click.echo(result.summary() + (f" ({plural(result.ignored, 'system file')} skipped)" if result.ignored else ""))


@click.command("checkin")
@click.argument("slug")
@click.argument("code_or_email")
@friendly_errors
def checkin_command(slug, code_or_email):
    """Check an attendee in at the door, by badge code or email."""
    answer = check_in_by_hand(get_db(), slug, code_or_email, actor="command line")
    if answer.status >= 400:
        raise click.ClickException(answer.message)
    click.echo(answer.message)


@click.command("undo-checkin")
@click.argument("slug")
@click.argument("code_or_email")
@friendly_errors
def undo_checkin_command(slug, code_or_email):
    """Take back an attendee's check-in (door and workshops); the check-in log keeps it."""
    attendee = undo_check_in(get_db(), slug, code_or_email, actor="command line")
    click.echo(f"{attendee['first_name']} {attendee['last_name']} is no longer checked in")


@click.command("export-attendance")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The CSV file to write.")
@friendly_errors
def export_attendance_command(slug, output):
    """Write attendance as CSV: one row per attendee, check-in time, workshops attended."""
    rows = attendance_rows(get_db(), slug)
    output.write_text(csv_text(rows, ATTENDANCE_COLUMNS), encoding="utf-8")
    click.echo(f"wrote {plural(len(rows), 'attendee')} to {output}")


@click.command("list-attendees")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@friendly_errors
def list_attendees_command(slug, fmt):
    """List an event's attendees."""
    rows = [public_listing(a) for a in list_attendees(get_db(), slug)]
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(csv_text(rows, LIST_COLUMNS), nl=False)
    else:
        click.echo(_table(rows))


def _table(rows):
    columns = ("first_name", "last_name", "email", "organisation", "code", "checked_in_at")
    cells = [columns] + [tuple(str(row[c] or "") for c in columns) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
        for line in cells
    ) + f"\n{len(rows)} attendees"


@click.command("create-kiosk")
@click.argument("slug")
@click.argument("name")
@click.option("--workshop", help="Workshop slug: scans there record workshop attendance.")
@click.option("--mode", type=click.Choice(KIOSK_MODES), default="staffed", show_default=True,
              help="staffed: search, walk-ins, reprints; self: attendees check themselves in.")
@click.option("--layout", type=click.Choice(list(LAYOUTS)), default=DEFAULT_LAYOUT,
              show_default=True, help="Badge stock in this kiosk's printer.")
@click.option("--printing", type=click.Choice(PRINTING), default="browser", show_default=True,
              help="browser: the kiosk page prints; server: --print-command runs on the server.")
@click.option("--print-command", default=None,
              help="e.g. 'lp -d QL800 -o PageSize=62x100mm' (run without a shell, the PDF on its "
                   "standard input); default: the kiosk's earlier one, else KIOSK_PRINT_COMMAND")
@friendly_errors
def create_kiosk_command(slug, name, workshop, mode, layout, printing, print_command):
    """Register a kiosk and print its bearer token (shown once) as the last word."""
    kiosk, token = create_kiosk(get_db(), slug, name, workshop, mode=mode, layout=layout,
                                printing=printing, print_command=print_command,
                                default_print_command=current_app.config["PRINT_COMMAND"])
    click.echo(f"kiosk {kiosk['name']!r} for {slug}; its token (keep it secret): {token}")


@click.command("private-link")
@click.argument("slug")
@click.argument("email")
@friendly_errors
def private_link_command(slug, email):
    """Print an attendee's private /me/ link as the last word."""
    base_url = current_app.config["BASE_URL"]
    link = private_link(get_db(), slug, email, base_url)
    if base_url == DEFAULTS["BASE_URL"]:
        click.echo(f"note: KIOSK_BASE_URL is not set, so the link points at {base_url}; set it "
                   "to the address phones reach the service at", err=True)
    click.echo(f"private link for {email} (whoever has it acts as them): {link}")


class ProgressBar:
    """A click progress bar on stderr (shown only on a terminal), sized at the first step."""

    def __init__(self, label):
        self.label, self.bar = label, None

    def __call__(self, done, total):
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command("badges")
@click.argument("slug", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF file to write.")
@click.option("--layout", type=click.Choice(list(LAYOUTS)), default=DEFAULT_LAYOUT,
              show_default=True)
@click.option("--attendee", "attendees", multiple=True, metavar="EMAIL_OR_CODE",
              help="Print only these (repeatable); default: everyone not revoked.")
@click.option("--only-unprinted", is_flag=True, help="Skip badges printed before.")
@click.option("--start-at", type=int, default=1, show_default=True,
              help="First position on the first sheet (to finish a half-used sheet).")
@click.option("--sort", type=click.Choice(SORTS), default="last_name", show_default=True)
@click.option("--list-layouts", is_flag=True, help="List the badge stock layouts and exit.")
@friendly_errors
def badges_command(slug, output, layout, attendees, only_unprinted, start_at, sort, list_layouts):
    """Write a PDF of badges for printing, and record that they were printed."""
    if list_layouts:
        for layout in LAYOUTS.values():
            click.echo(f"{layout.name:18} {layout.description}; lp -o PageSize={layout.cups_page_size}")
        return
    if not slug or not output:
        raise click.UsageError("give the event SLUG and -o FILE (or --list-layouts)")
    config = current_app.config
    partial = output.with_name(output.name + ".partial")
    progress = ProgressBar("Badges")
    try:
        report = print_badges(
            get_db(), slug, partial, base_url=config["BASE_URL"], layout=layout,
            attendees=attendees, only_unprinted=only_unprinted, sort=sort,
            start_at=start_at, font_dir=config["FONT_DIR"], on_badge=progress,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        progress.close()
    partial.replace(output)  # a failed run never leaves half a PDF under the real name
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {plural(report.badges, 'badge')} on {plural(report.pages, 'page')} "
               f"({layout}) to {output}")


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


@click.command("export-connections")
@click.argument("slug")
@friendly_errors
def export_connections_command(slug):
    """Write the event's connections as CSV on standard output (formula cells neutralised)."""
    click.echo(csv_text(export_rows(get_db(), slug), EXPORT_COLUMNS), nl=False)


def _send(kind, slug, dry_run, only, **options):
    progress = ProgressBar("Sending")
    try:
        report = send(get_db(), slug, kind, mailer_from_config(current_app.config), only=only,
                      dry_run=dry_run, on_progress=progress, **options)
    finally:
        progress.close()
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@click.command("send-digests")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Render every digest and count; send nothing.")
@click.option("--only", metavar="EMAIL", help="Send to this attendee only.")
@click.option("--include-unconnected", is_flag=True,
              help="Also mail people who checked in and met nobody a few people who asked to be suggested.")
@click.option("--force", is_flag=True, help="Send even though the event (plus its grace period) is not over.")
@friendly_errors
def send_digests_command(slug, dry_run, only, include_unconnected, force):
    """Send each attendee one email with the people they met, and later a follow-up with
    anyone met since (each person once). Waits for the event's end unless --force."""
    try:
        _send("digest", slug, dry_run, only, include_unconnected=include_unconnected, force=force)
    except TooEarly as exc:
        raise click.ClickException(f"{exc}. To send now anyway, add --force (people met later get a follow-up).")


@click.command("send-invites")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Render every invite and count; send nothing.")
@click.option("--only", metavar="EMAIL", help="Send to this attendee only.")
@click.option("--attach-badge", is_flag=True, help="Attach the attendee's badge PDF.")
@friendly_errors
def send_invites_command(slug, dry_run, only, attach_badge):
    """Send each attendee their private "I met you" link before the event (exactly once)."""
    _send("invite", slug, dry_run, only, attach_badge=attach_badge)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@friendly_errors
def backup_command(path):
    """Copy the database to PATH, safely while the service runs (restore: README)."""
    if path.exists():
        raise click.ClickException(f"{path} exists already; choose a new file name")
    check = backup(get_db(), path)
    click.echo(f"backed up to {path} (integrity check: {check})")


@click.command("purge")
@click.argument("slug")
@click.option("--older-than", default="90d", show_default=True, help="Only if the event ended this long ago.")
@friendly_errors
def purge_command(slug, older_than):
    """Remove a past event's personal data, keeping its anonymous counts."""
    kept = purge(get_db(), slug, parse_age(older_than), current_app.config["MAIL_DIR"])
    click.echo(f"purged {slug}; kept: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in kept.items()))


@click.command("version")
def version_command():
    """Print the kiosk service's version."""
    click.echo(f"kiosk {__version__}")


@click.command("demo")
@friendly_errors
def demo_command():
    """Create or refresh the demo event and print the organiser login and a kiosk token."""
    click.echo(demo_banner(setup_demo(get_db()), current_app.config["BASE_URL"]))


def demo_banner(demo, base_url):
    return (
        f"Demo event 'Networking for Medics' ({demo['event']}), this month's workshop of the programme "
        f"'{demo['programme']}' ({demo['events']} monthly workshops: last month's and next month's too)\n"
        f"  organiser login: {base_url}/login\n"
        f"    email:    {demo['email']}\n"
        f"    password: {demo['password']}\n"
        f"  door kiosk, ready to open: {base_url}/door#token={demo['kiosk_token']}\n"
        f"  kiosk token: {demo['kiosk_token']}\n"
        f"  a fellow's phone page ({demo['fellow']}, registered for all {demo['events']} workshops): "
        f"{base_url}/me/{demo['fellow_key']}"
    )


COMMANDS = [
    create_admin_command,
    create_programme_command,
    create_event_command,
    update_event_command,
    delete_event_command,
    add_workshop_command,
    delete_workshop_command,
    import_attendees_command,
    import_photos_command,
    checkin_command,
    undo_checkin_command,
    export_attendance_command,
    list_attendees_command,
    create_kiosk_command,
    private_link_command,
    badges_command,
    export_connections_command,
    send_invites_command,
    send_digests_command,
    backup_command,
    purge_command,
    demo_command,
    version_command,
]
