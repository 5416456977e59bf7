"""Each event's digest in a programme, through the real SMTP server: the people met at
that event, then the people still to follow up, then the network so far from earlier
events; the vCard holds them all. (Programme data: tests/programme_data.py.)"""

from kiosk.connections import mark_followed_up
from kiosk.digests import send
from programme_data import three_event_programme
from test_connections import parse_vcards
from test_digests import by_recipient, mailer, vcf_of


def digests(app, db, slug):
    with app.app_context():
        return send(db, slug, "digest", mailer(app))


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_digest_lists_the_event_then_follow_ups_then_the_network_so_far(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    fellows = three_event_programme(db)
    dee_at_feb = db.execute("SELECT id FROM connections WHERE scanner_id = ? AND scanned_id = ?",
                            [fellows.rows["ann"]["feb"]["id"], fellows.rows["dee"]["feb"]["id"]]).fetchone()[0]
    mark_followed_up(db, fellows.rows["ann"]["mar"], dee_at_feb)  # from her March phone, on a February contact
    digests(smtp_app, db, "mar")
    ann = by_recipient(recorder)["ann@example.org"]
    assert ann["Subject"] == "Your 1 connection from March: Networking"
    text, html = parts(ann)
    for body, follow_up, network in ((text, "STILL TO FOLLOW UP", "YOUR NETWORK SO FAR"),
                                     (html, "Still to follow up</h2>", "Your network so far</h2>")):
        this_event, rest = body.split(follow_up)
        reminders, so_far = rest.split(network)
        assert "Fay Nash" in this_event and "Zoë" not in this_event
        assert "Cy Dee" in reminders, "tagged follow up in January, not marked followed up"
        assert "Dee Park" not in reminders, "marked followed up on /me"
        assert "met at January: Leadership" in reminders
        assert "Fay" not in so_far, "met at this event, not an earlier one"
        for name in ("Zoë Ångström", "Dee Park", "Cy Dee", "Eve Moss"):
            assert name in so_far
        assert "February: Entrepreneurship, January: Leadership" in so_far, "Zoë, met at both"
        assert "zoe@example.org" not in so_far, "compact: name, role, organisation, where"
    assert "They and your network so far are in the attached contacts.vcf" in text
    cards = parse_vcards(vcf_of(ann))
    assert sorted(c["FN"] for c in cards) == ["Cy Dee", "Dee Park", "Eve Moss", "Fay Nash", "Zoë Ångström"]
    zoe = next(c for c in cards if c["FN"] == "Zoë Ångström")
    assert "EMAIL;TYPE=INTERNET" in zoe and "January: Leadership on 15 January 2026" in zoe["NOTE"]


def test_the_first_event_of_a_programme_has_no_network_yet(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    three_event_programme(db)
    digests(smtp_app, db, "jan")
    text, html = parts(by_recipient(recorder)["ann@example.org"])
    assert "Zoë Ångström" in text and "Cy Dee" in text
    assert "NETWORK SO FAR" not in text and "Still to follow up" not in html
    assert "All of them are in the attached contacts.vcf" in text


def test_someone_else_s_tags_never_remind_and_one_way_keeps_its_rule(smtp_app, smtp_server, db):
    recorder, _ = smtp_server
    three_event_programme(db, modes={"jan": "one-way"})
    digests(smtp_app, db, "mar")
    cy = by_recipient(recorder)["cy@example.org"]  # March: Zoë saved him
    text, _ = parts(cy)
    assert "STILL TO FOLLOW UP" not in text, "Ann tagged Cy; that reminds Ann, never Cy"
    assert "NETWORK SO FAR" not in text, "January was one-way: Ann saved Cy, Cy does not get Ann"


def test_the_organiser_s_preview_shows_the_network_but_never_the_attendee_s_tags(organiser, db):
    fellows = three_event_programme(db)
    ann = fellows.rows["ann"]["mar"]
    text = organiser.get(f"/admin/events/mar/mail/preview/{ann['id']}?format=text").get_data(as_text=True)
    assert "YOUR NETWORK SO FAR" in text and "Zoë Ångström" in text
    assert "FOLLOW UP" not in text.upper().replace("FOLLOW UP WITHIN", ""), "Ann's tags are hers"
    assert "Karolinska exchange" not in text, "nor her notes"
