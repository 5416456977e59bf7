"""Who may use which route: every (endpoint, method) of the app against every role.

Roles: anonymous; an attendee on their phone (a bound phone session); a self-service
kiosk and a staffed kiosk (bearer tokens); a staff account; an organiser account.
Y: the role gets past the route's access check. -: refused (401, 403, a redirect to the
login page, or, for photos, a 404 that does not say the photo exists).
tests/test_permissions.py checks every route for every role against this table, and
fails for a route that is not in it.
"""

ROLES = ("anonymous", "phone", "self_kiosk", "staffed_kiosk", "staff", "organiser")

EVERYONE = "Y Y Y Y Y Y"
PHONE = "- Y - - - -"
KIOSKS = "- - Y Y - -"
STAFFED_KIOSK = "- - - Y - -"
KIOSKS_AND_ACCOUNTS = "- - Y Y Y Y"
ACCOUNTS = "- - - - Y Y"
ORGANISER = "- - - - - Y"

TABLE = {
    # public pages: the site root, badge pages, the kiosk page's shell, login, links from mail
    ("index", "GET"): EVERYONE,
    ("static", "GET"): EVERYONE,
    ("api.healthz", "GET"): EVERYONE,
    ("door.kiosk", "GET"): EVERYONE,
    ("auth.login", "GET"): EVERYONE,
    ("auth.login", "POST"): EVERYONE,
    ("auth.logout", "POST"): EVERYONE,
    ("attendee.badge", "GET"): EVERYONE,
    ("attendee.activate", "GET"): EVERYONE,   # the key in the link is the credential
    ("attendee.bind", "POST"): EVERYONE,
    ("attendee.unsubscribe_confirm", "GET"): EVERYONE,  # the signed token is the credential
    ("attendee.unsubscribe", "POST"): EVERYONE,
    ("attendee.lost_link", "GET"): EVERYONE,  # mails a link only to the address typed
    ("attendee.send_lost_link", "POST"): EVERYONE,
    # an attendee's phone
    ("attendee.met", "POST"): PHONE,
    ("attendee.photo", "GET"): PHONE,
    ("attendee.my_headshot", "GET"): PHONE,
    ("attendee.me", "GET"): PHONE,
    ("attendee.choices", "POST"): PHONE,
    ("attendee.contact", "GET"): PHONE,
    ("attendee.edit_connection", "POST"): PHONE,
    ("attendee.contacts", "GET"): PHONE,
    ("attendee.my_data", "GET"): PHONE,
    ("attendee.delete_mine", "POST"): PHONE,
    ("attendee.end_device", "POST"): PHONE,
    ("attendee.forget", "POST"): PHONE,
    # the kiosk API
    ("api.kiosk_info", "GET"): KIOSKS,
    ("api.checkins", "POST"): KIOSKS,
    ("api.pair_connection", "POST"): KIOSKS,
    ("api.print_badge", "POST"): KIOSKS,
    ("api.decode", "POST"): KIOSKS,
    ("api.walk_ins", "POST"): STAFFED_KIOSK,
    ("api.headshot_sitter", "GET"): STAFFED_KIOSK,
    ("api.take_headshot", "POST"): STAFFED_KIOSK,
    ("api.attendees", "GET"): KIOSKS_AND_ACCOUNTS,
    ("api.badge", "GET"): KIOSKS_AND_ACCOUNTS,
    # running the door: staff and organisers
    ("admin.events", "GET"): ACCOUNTS,
    ("admin.programmes", "GET"): ACCOUNTS,
    ("admin.event", "GET"): ACCOUNTS,
    ("admin.attendees", "GET"): ACCOUNTS,
    ("admin.new_attendee", "GET"): ACCOUNTS,
    ("admin.new_attendee", "POST"): ACCOUNTS,
    ("admin.edit_attendee", "GET"): ACCOUNTS,
    ("admin.edit_attendee", "POST"): ACCOUNTS,
    ("admin.attendee_photo", "POST"): ACCOUNTS,
    ("admin.attendee_photo_image", "GET"): ACCOUNTS,
    ("admin.badges", "GET"): ACCOUNTS,
    ("admin.badges", "POST"): ACCOUNTS,
    ("admin.check_in_attendee", "POST"): ACCOUNTS,  # check in or undo, logged with who
    ("admin.import_example", "GET"): ACCOUNTS,  # an example file, nothing of the event's
    ("admin.badges_preview", "GET"): ACCOUNTS,
    ("admin.kiosks", "POST"): ACCOUNTS,
    ("admin.live", "GET"): ACCOUNTS,
    ("admin.leaderboard", "GET"): ACCOUNTS,
    # organisers only: create, import, export, delete, revoke, who met whom, mail
    ("admin.events", "POST"): ORGANISER,
    ("admin.programmes", "POST"): ORGANISER,
    ("admin.edit_event", "GET"): ORGANISER,
    ("admin.edit_event", "POST"): ORGANISER,
    ("admin.delete_event", "POST"): ORGANISER,
    ("admin.edit_workshop", "GET"): ORGANISER,
    ("admin.edit_workshop", "POST"): ORGANISER,
    ("admin.delete_workshop", "POST"): ORGANISER,
    ("admin.import_check", "POST"): ORGANISER,
    ("admin.attendees_csv", "GET"): ORGANISER,
    ("admin.export_attendance", "GET"): ORGANISER,
    ("admin.workshops", "POST"): ORGANISER,
    ("admin.photos_upload", "GET"): ORGANISER,
    ("admin.photos_upload", "POST"): ORGANISER,
    ("admin.photos_confirm", "POST"): ORGANISER,
    ("admin.import_upload", "GET"): ORGANISER,
    ("admin.import_upload", "POST"): ORGANISER,
    ("admin.import_confirm", "POST"): ORGANISER,
    ("admin.attendee_data", "GET"): ORGANISER,
    ("admin.delete_attendee", "POST"): ORGANISER,
    ("admin.new_private_link", "POST"): ORGANISER,
    ("admin.revoke_attendee", "POST"): ORGANISER,
    ("admin.revoke_kiosk", "POST"): ORGANISER,
    ("admin.insight", "GET"): ORGANISER,
    ("admin.mixing", "GET"): ORGANISER,  # who met whom across a programme
    ("admin.export_connections", "GET"): ORGANISER,
    ("mail.outbox", "GET"): ORGANISER,
    ("mail.preview", "GET"): ORGANISER,
    ("mail.send_test", "POST"): ORGANISER,
    ("mail.send_all", "POST"): ORGANISER,
    ("mail.retry", "POST"): ORGANISER,
    ("mail.saved_file", "GET"): ORGANISER,
}


def allowed(endpoint, method):
    """{role: True/False} for this route, or None when the table does not list it."""
    row = TABLE.get((endpoint, method))
    return None if row is None else dict(zip(ROLES, (cell == "Y" for cell in row.split())))
