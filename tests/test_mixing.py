"""Programme super-connectors (leaderboard and projector across the series, persons
counted once, the opt-out programme-wide) and the organiser's mixing page.
(Programme data: tests/programme_data.py.)"""

import re

import pytest

from kiosk.connections import leaderboard, set_choices
from kiosk.mixing import matrix, mixing
from programme_data import three_event_programme


@pytest.fixture
def fellows(db):
    return three_event_programme(db)


def board(db, slug):
    return [(f"{row['first_name']} {row['last_name']}", row["people"]) for row in leaderboard(db, slug)]


def test_the_leaderboard_counts_people_met_across_the_series(db, fellows):
    assert board(db, "mar") == [("Ann Lee", 5), ("Zoë Ångström", 3), ("Cy Dee", 2), ("Dee Park", 2),
                                ("Eve Moss", 1), ("Fay Nash", 1)], "Zoë, met by Ann at two events, counts once"
    assert board(db, "jan") == board(db, "mar"), "the same series, whichever event's screen"


def test_the_opt_out_is_programme_wide(db, fellows):
    zoe_in_january = fellows.rows["zoe"]["jan"]
    set_choices(db, zoe_in_january, share_email=True, share_linkedin=True, allow_scan=True,
                allow_suggest=False, share_photo=False, leaderboard_opt_out=True)
    assert "Zoë Ångström" not in dict(board(db, "mar"))
    assert dict(board(db, "mar"))["Ann Lee"] == 5, "Ann still met her"


def test_the_projector_and_insight_pages_say_it_is_the_whole_series(organiser, fellows):
    page = organiser.get("/admin/events/feb/leaderboard").get_data(as_text=True)
    assert "Fellowship 2026 · the most people met across all its events" in page
    assert re.search(r"Ann Lee<small>Barts</small></span><span class=\"count\">5<", page)
    insight = organiser.get("/admin/events/feb/connections").get_data(as_text=True)
    assert "Super connectors across Fellowship 2026" in insight
    assert 'href="/admin/programmes/fellows/mixing"' in insight


def test_a_standalone_event_keeps_its_own_leaderboard(organiser, db, fellows):
    from test_connections import open_event

    open_event(db, "solo")
    page = organiser.get("/admin/events/solo/leaderboard").get_data(as_text=True)
    assert "Event solo · the most people met" in page and "Fellowship" not in page


def test_mixing_figures(db, fellows):
    db.execute("UPDATE attendees SET organisation = 'Barts' WHERE email = 'eve@example.org'")  # Eve met only Ann
    figures = mixing(db, "fellows")
    assert figures["people"] == 6 and figures["pairs"] == 7
    assert figures["across"] == {"people": 6, "count": 5, "percent": 83}
    matrix = figures["matrix"]
    assert matrix["labels"] == ["Barts", "Imperial", "Karolinska", "UCL"] and matrix["sizes"] == [3, 1, 1, 1]
    rows = dict(matrix["rows"])
    assert rows["Barts"] == [2, 1, 2, 1], "Ann–Dee and Ann–Eve within Barts; Zoë met Ann and Dee"
    assert rows["Karolinska"] == [2, 0, 0, 1] and matrix["top"] == 2
    assert [(g["month"], g["pairs"], g["people"], g["pairs_so_far"], g["people_so_far"]) for g in figures["growth"]] == [
        ("January 2026", 3, 4, 3, 4), ("February 2026", 3, 3, 5, 5), ("March 2026", 2, 4, 7, 6)]


def test_small_organisations_share_a_row():
    people = {i: f"School {i:02}" for i in range(15)}
    result = matrix(people, {(0, 1), (13, 14)}, size=12)
    assert result["labels"][-1] == "Other organisations" and len(result["labels"]) == 13
    assert result["rows"][-1][1][-1] == 1, "School 13 met School 14: both in the shared row"


def test_the_mixing_page(organiser, db, fellows):
    page = organiser.get("/admin/programmes/fellows/mixing")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "6 of 6 people (100 %) met someone from another organisation" in re.sub(r"<[^>]+>", "", html)
    assert 'title="Barts × Karolinska: 2"' in html
    assert re.search(r"March 2026</td><td><a [^>]+>March: Networking</a></td>\s*<td class=\"num\">2</td>", html)
    assert "<script" not in html.split("</head>")[1], "drawn on the server"
    assert organiser.get("/admin/programmes/nope/mixing").status_code == 404
    programmes = organiser.get("/admin/programmes").get_data(as_text=True)
    assert 'href="/admin/programmes/fellows/mixing"' in programmes
