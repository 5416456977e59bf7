"""CSV import: real export shapes, every refusal, all or nothing, re-import keeps codes."""

from pathlib import Path

import pytest

from kiosk.attendee_import import ImportRefused, import_attendees, parse_mapping, split_full_name
from kiosk.errors import Invalid
from kiosk.attendees import list_attendees


def people(db):
    return {a["email"].lower(): a for a in list_attendees(db, "spring")}


def refused(db, data):
    with pytest.raises(ImportRefused) as info:
        import_attendees(db, "spring", data)
    assert people(db) == {}, "a refused file must write nothing"
    return info.value.problems


def test_plain_export_imports_everyone(db):
    data = (
        "First Name,Last Name,Email,Company,Job Title,LinkedIn,Pronouns\n"
        "Amelia,Hughes,amelia@example.org,King's College London,Medical student,"
        "https://www.linkedin.com/in/amelia,she/her\n"
        "Seun,Adeyemi,seun@example.org,Guy's and St Thomas',FY1,,he/him\n"
    ).encode()
    result = import_attendees(db, "spring", data)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    amelia = people(db)["amelia@example.org"]
    assert amelia["first_name"] == "Amelia"
    assert amelia["organisation"] == "King's College London"
    assert amelia["role"] == "Medical student"
    assert amelia["linkedin_url"] == "https://www.linkedin.com/in/amelia"
    assert amelia["pronouns"] == "she/her"
    assert amelia["consent_source"] == "import"


@pytest.mark.parametrize(
    "header",
    [
        "first_name,last_name,email,organisation",
        "Given name,Surname,E-mail,Organization",
        "  FIRST NAME , Family Name ,Attendee email,Affiliation",
        "First Name,Last Name,Email Address,Medical School",
        "Forename,Surname,Email,Institution",
    ],
)
def test_header_spellings(db, header):
    import_attendees(db, "spring", f"{header}\nZoë,Ångström,zoe@example.org,Karolinska\n".encode())
    zoe = people(db)["zoe@example.org"]
    assert (zoe["first_name"], zoe["last_name"], zoe["organisation"]) == ("Zoë", "Ångström", "Karolinska")


@pytest.mark.parametrize(
    "full, first, last",
    [
        ("Amelia Hughes", "Amelia", "Hughes"),
        ("Mary Ann Smith", "Mary Ann", "Smith"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Hughes, Amelia", "Amelia", "Hughes"),
        ("Madonna", "Madonna", ""),
        ("  Amelia   Hughes ", "Amelia", "Hughes"),
    ],
)
def test_full_name_split(full, first, last):
    assert split_full_name(full) == (first, last)


def test_single_name_column(db):
    import_attendees(db, "spring", b"Attendee name,Email\nLudwig van Beethoven,lvb@example.org\n")
    lvb = people(db)["lvb@example.org"]
    assert (lvb["first_name"], lvb["last_name"]) == ("Ludwig", "van Beethoven")


def test_unknown_columns_are_ignored_and_named(db):
    result = import_attendees(
        db, "spring", b"Order #,First Name,Last Name,Email,Ticket type\n1,A,B,a@example.org,VIP\n"
    )
    assert result.ignored_columns == ["Order #", "Ticket type"]
    assert "ignored columns: Order #, Ticket type" in result.summary()


def test_job_title_wins_over_an_honorific_title_column(db):
    result = import_attendees(
        db, "spring", b"Title,First Name,Last Name,Email,Job Title\nDr,Ann,Lee,ann@example.org,Consultant\n"
    )
    assert people(db)["ann@example.org"]["role"] == "Consultant"
    assert result.ignored_columns == ["Title"]


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffFirst Name,Last Name,Email\r\nZoë,Ångström,zoe@example.org\r\n".encode("utf-8"),
        "First Name;Last Name;Email\nZoë;Ångström;zoe@example.org\n".encode("utf-8"),
        "First Name\tLast Name\tEmail\nZoë\tÅngström\tzoe@example.org\n".encode("utf-8"),
        "First Name,Last Name,Email\r\nZoë,Ångström,zoe@example.org\r\n".encode("cp1252"),
        "First Name\tLast Name\tEmail\r\nZoë\tÅngström\tzoe@example.org\r\n".encode("utf-16"),
    ],
    ids=["utf8-bom-crlf", "semicolon", "tab", "windows-1252", "utf-16"],
)
def test_files_as_people_have_them(db, data):
    import_attendees(db, "spring", data)
    zoe = people(db)["zoe@example.org"]
    assert (zoe["first_name"], zoe["last_name"]) == ("Zoë", "Ångström")


def test_windows_1252_is_reported_in_the_summary(db):
    result = import_attendees(db, "spring", "Name,Email\nZoë A,z@example.org\n".encode("cp1252"))
    assert "read as windows-1252" in result.summary()


def test_quoted_field_with_newline(db):
    data = b'First Name,Last Name,Email,Organisation\nAnn,Lee,ann@example.org,"St Mary\'s\nHospital"\n'
    import_attendees(db, "spring", data)
    assert people(db)["ann@example.org"]["organisation"] == "St Mary's Hospital"


def test_line_numbers_count_physical_lines(db):
    data = (
        b'First Name,Last Name,Email,Organisation\n'
        b'Ann,Lee,ann@example.org,"two\nlines"\n'
        b'Bob,Ray,not-an-email,X\n'
    )
    problems = refused(db, data)
    assert problems == ["line 4: email: 'not-an-email' is not a valid email address: An email address must have an @-sign."]


def test_consent_columns_and_event_defaults(db):
    data = (
        b"First Name,Email,share_email,share_linkedin,allow_scan\n"
        b"A,a@example.org,yes,no,1\n"
        b"B,b@example.org,N,TRUE,\n"
        b"C,c@example.org,,,0\n"
    )
    import_attendees(db, "spring", data)
    got = {e: (p["share_email"], p["share_linkedin"], p["allow_scan"]) for e, p in people(db).items()}
    assert got == {
        "a@example.org": (1, 0, 1),
        "b@example.org": (0, 1, 1),  # blank allow_scan: the event default (yes)
        "c@example.org": (1, 1, 0),
    }


def test_one_bad_row_imports_nothing_and_names_every_problem(db):
    data = (
        b"First Name,Last Name,Email,LinkedIn,allow_scan\n"
        b"Good,Person,good@example.org,,yes\n"
        b",Nameless,nameless@example.org,,yes\n"
        b"Evil,Link,evil@example.org,javascript:alert(1),yes\n"
        b"Dup,One,dup@example.org,,yes\n"
        b"Dup,Two,DUP@example.org,,maybe\n"
        b"No,Email,,,\n"
    )
    assert refused(db, data) == [
        "line 3: first_name: required",
        "line 6: allow_scan: 'maybe' is not yes or no",
        "line 6: email: DUP@example.org is also on line 5",
        "line 7: email: required",
    ]


def test_refusal_message_reads_well(db):
    with pytest.raises(ImportRefused) as info:
        import_attendees(db, "spring", b"Name,Email\nA,bad\n")
    assert str(info.value) == "nothing imported: 1 problem\nline 2: email: 'bad' is not a valid email address: An email address must have an @-sign."


def test_linkedin_without_scheme_is_completed(db):
    import_attendees(db, "spring", b"Name,Email,LinkedIn\nA B,a@example.org,linkedin.com/in/ab\n")
    assert people(db)["a@example.org"]["linkedin_url"] == "https://linkedin.com/in/ab"


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"", "line 1: file: the file is empty"),
        (b"  \r\n\n", "line 1: file: the file is empty"),
        (b"First Name,Email\n", "line 2: file: the file has a header but no attendees"),
        (b"First Name,Email\n,\n\n", "line 2: file: the file has a header but no attendees"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is not a CSV text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "this is not a CSV text file"),
        (b"Name,Email\nA\x81\x8d,a@example.org\n", "neither UTF-8 nor Windows-1252"),
        (b"First,Last\nA,B\n", "line 1: email: no email column"),
        (b"Email,Company\na@example.org,X\n", "line 1: first_name: no name column"),
        (b"Name,Email\nA, B,a@example.org\n", "line 2: file: 3 cells but the header has 2"),
    ],
    ids=["empty", "blank", "header-only", "empty-rows", "png", "xlsx", "undecodable",
         "no-email", "no-name", "unquoted-comma"],
)
def test_bad_files_are_refused_clearly(db, data, problem):
    problems = refused(db, data)
    assert any(problem in p for p in problems), problems


def test_save_as_utf8_advice(db):
    problems = refused(db, b"PK\x03\x04\x14\x00\x06\x00")
    assert "CSV UTF-8" in problems[0]


def test_reimport_updates_details_and_keeps_codes(db):
    first = b"First Name,Last Name,Email,Organisation\nAnn,Lee,ann@example.org,Old\nBob,Ray,bob@example.org,X\n"
    import_attendees(db, "spring", first)
    before = people(db)
    again = b"First Name,Last Name,Email,Organisation\nAnn,Lee,ANN@example.org,New\nBob,Ray,bob@example.org,X\nCy,Do,cy@example.org,Y\n"
    result = import_attendees(db, "spring", again)
    after = people(db)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert after["ann@example.org"]["organisation"] == "New"
    assert after["ann@example.org"]["code"] == before["ann@example.org"]["code"]
    assert after["ann@example.org"]["private_key"] == before["ann@example.org"]["private_key"]
    assert after["bob@example.org"]["code"] == before["bob@example.org"]["code"]
    assert len(after) == 3


def test_reimport_records_a_consent_change(db):
    import_attendees(db, "spring", b"Name,Email,share_email\nA B,a@example.org,yes\n")
    import_attendees(db, "spring", b"Name,Email,share_email\nA B,a@example.org,no\n")
    assert people(db)["a@example.org"]["share_email"] == 0


def test_dry_run_writes_nothing_but_reports(db):
    result = import_attendees(db, "spring", b"Name,Email\nA B,a@example.org\n", dry_run=True)
    assert result.created == 1
    assert result.summary().startswith("would import 1 attendees")
    assert people(db) == {}


def test_names_are_unicode_normalised(db):
    decomposed = "Zoe\u0308"  # e + combining diaeresis, as macOS sometimes writes it
    import_attendees(db, "spring", f"Name,Email\n{decomposed} A,z@example.org\n".encode())
    assert people(db)["z@example.org"]["first_name"] == "Zo\u00eb"


def test_overlong_field_is_refused(db):
    problems = refused(db, ("Name,Email\n" + "A" * 101 + " B,a@example.org\n").encode())
    assert problems == ["line 2: first_name: longer than 100 characters"]


EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.mark.parametrize("export", ["eventbrite", "pretix", "tito", "luma", "google_forms",
                                    "microsoft_forms"])
def test_ticketing_and_form_exports_import_without_mapping(db, export):
    """Header sets as each tool writes them; both people come in whole, the Irish
    surname kept together, the tool's own bookkeeping columns ignored."""
    import_attendees(db, "spring", (EXPORTS / f"{export}.csv").read_bytes())
    found = people(db)
    assert set(found) == {"amelia.hughes@example.org", "sinead.nibhriain@example.org"}
    amelia, sinead = found["amelia.hughes@example.org"], found["sinead.nibhriain@example.org"]
    assert (amelia["first_name"], amelia["last_name"]) == ("Amelia", "Hughes")
    assert (sinead["first_name"], sinead["last_name"]) == ("Sinéad", "Ní Bhriain")
    assert amelia["organisation"] == "King's College London"
    assert sinead["organisation"] == "Trinity College Dublin"
    if export != "pretix":  # pretix has no job title column
        assert amelia["role"] == "Medical student (Year 3)"


def test_google_forms_keeps_linkedin_and_year_of_study(db):
    import_attendees(db, "spring", (EXPORTS / "google_forms.csv").read_bytes())
    amelia = people(db)["amelia.hughes@example.org"]
    assert amelia["linkedin_url"] == "https://www.linkedin.com/in/amelia-hughes/"
    assert amelia["role"] == "Medical student (Year 3)"


@pytest.mark.parametrize(
    "full, first, last",
    [("Sinéad Ní Bhriain", "Sinéad", "Ní Bhriain"), ("Seán Ó Súilleabháin", "Seán", "Ó Súilleabháin"),
     ("Aoife Nic Giolla Phádraig", "Aoife", "Nic Giolla Phádraig"),
     ("Cathal Mac Gabhann", "Cathal", "Mac Gabhann")],
)
def test_irish_surname_particles_stay_with_the_surname(full, first, last):
    assert split_full_name(full) == (first, last)


def test_unrecognised_columns_are_mapped_by_the_organiser_and_remembered(db):
    data = b"Delegate,Contact,Employer name\nAnn Lee,ann@example.org,St Mary's\n"
    problems = refused(db, data)
    assert "line 1: email: no email column (expected a header like Email)" in problems
    mapping = parse_mapping(["Delegate=full_name", "Contact=email", "Employer name=organisation"])
    import_attendees(db, "spring", data, mapping=mapping)
    assert people(db)["ann@example.org"]["organisation"] == "St Mary's"
    # The next file from the same tool needs no mapping: the event remembers it.
    import_attendees(db, "spring", b"Delegate,Contact,Employer name\nBob Ray,bob@example.org,X\n")
    assert people(db)["bob@example.org"]["last_name"] == "Ray"


def test_a_mapping_can_ignore_a_column(db):
    data = b"Name,Email,Role\nAnn Lee,ann@example.org,secret note\n"
    result = import_attendees(db, "spring", data, mapping={"Role": ""})
    assert people(db)["ann@example.org"]["role"] == ""
    assert result.ignored_columns == ["Role"]


@pytest.mark.parametrize("pair", ["Ticket Email", "=email", "Ticket Email=mobile"])
def test_bad_map_options_are_refused(pair):
    with pytest.raises(Invalid):
        parse_mapping([pair])


@pytest.mark.parametrize("cell", ["Jane Smith", "@jane", "in/jane", "javascript:alert(1)"])
def test_messy_linkedin_is_left_out_with_a_warning(db, cell):
    data = f"Name,Email,LinkedIn\nJane Smith,jane@example.org,{cell}\nAnn Lee,ann@example.org,\n"
    result = import_attendees(db, "spring", data.encode())
    assert people(db)["jane@example.org"]["linkedin_url"] == ""
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("line 2: linkedin_url: ")
    assert repr(cell) in result.warnings[0]
    assert "1 messy values left out" in result.summary()


@pytest.mark.parametrize("cell, url", [("linkedin.com/in/jane", "https://linkedin.com/in/jane"),
                                       ("www.linkedin.com/in/jane/", "https://www.linkedin.com/in/jane/")])
def test_profile_addresses_without_scheme_are_normalised(db, cell, url):
    result = import_attendees(db, "spring", f"Name,Email,LinkedIn\nJ S,j@example.org,{cell}\n".encode())
    assert people(db)["j@example.org"]["linkedin_url"] == url
    assert result.warnings == []


def test_a_messy_surname_split_from_a_full_name_is_left_out_with_a_warning(db):
    """Found by fuzzing: the surname came from splitting `Name`, not from a column of its own,
    and the warning looked for that column (a 500 on the upload page)."""
    data = "First Name,Email,Name\n,ann@example.org,Ann \x1b\n".encode()
    result = import_attendees(db, "spring", data)
    (warning,) = result.warnings
    assert warning.startswith("line 2: last_name:") and "left out" in warning
    row = db.execute("SELECT first_name, last_name FROM attendees WHERE email = 'ann@example.org'").fetchone()
    assert row == ("Ann", "")
