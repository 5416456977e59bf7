"""The demo: "Networking for Medics", this month's workshop of a small fellowship programme,
something to click through right after `make run`. Last month's workshop shares many of
its people (and who met whom there), so /me shows a network grown over the series; next
month's has people registered already, some of whom asked to be suggested, so /me and
the digests have people to meet next time.

Running it again keeps the attendees and their badge codes, moves the current event to
cover the next hours (so check-in is open), and issues a fresh organiser password and
kiosk token, since only their hashes are stored.
"""

import secrets
from datetime import datetime, timedelta, timezone

from .attendee_import import import_attendees
from .checkins import check_in
from .db import now, query, write
from .errors import KioskError, NotFound
from .events import add_workshop, create_event, get_event
from .kiosks import create_kiosk
from .programmes import create_programme, set_event_programme
from .users import create_user

SLUG = "medics-demo"
PROGRAMME = ("medics-fellowship", "Medics Fellowship")
# The programme's other monthly workshops: slug, name, days from today, which rows of the CSV come.
OTHER_WORKSHOPS = [
    ("medics-leadership", "Leadership for Medics", -28, slice(0, 18)),
    ("medics-entrepreneurs", "Entrepreneurship for Medics", 28, slice(6, 26)),
]
# People who asked to be suggested to others (off unless a person opts in).
SUGGEST_ME = ("daniel.okafor", "ingrid.solberg", "rahul.mehta", "chloe.dubois", "hannah.schmidt",
              "aisha.bello", "jaewon.park", "liam.murphy", "maximiliana.fw", "sofia.rossi")
FELLOW = "natalia.ivanova@example.org"  # registered for all three: her /me shows the programme
ORGANISER_EMAIL = "organiser@example.org"
KIOSK_NAME = "Front door"
WORKSHOPS = [
    ("peer-networking", "Peer networking: making the first move", "Seminar room 1"),
    ("meet-the-consultants", "Meet the consultants", "Lecture theatre B"),
]

# The same CSV shape an organiser uploads, so the demo goes through the real importer.
ATTENDEES_CSV = """\
First Name,Last Name,Email,Organisation,Role,Pronouns,LinkedIn,share_email,share_linkedin,allow_scan
Amelia,Hughes,amelia.hughes@example.org,King's College London,Medical student (Year 3),she/her,https://www.linkedin.com/in/amelia-hughes,yes,yes,yes
Oluwaseun,Adeyemi,seun.adeyemi@example.org,Guy's and St Thomas' NHS Trust,Foundation doctor (FY1),he/him,https://www.linkedin.com/in/seun-adeyemi,yes,yes,yes
Zoë,Ångström,zoe.angstrom@example.org,Karolinska Institutet,Medical student (Year 5),she/her,,yes,no,yes
Siobhán,O'Connor,siobhan.oconnor@example.org,Trinity College Dublin,Medical student (Year 4),she/her,https://www.linkedin.com/in/siobhan-oconnor,no,yes,yes
José María,García-López,josemaria.garcia@example.org,Hospital Clínic de Barcelona,Resident in cardiology,he/him,,yes,yes,yes
Nguyễn Thị,Minh Khai,minh.khai@example.org,University College London,Foundation doctor (FY2),she/her,https://www.linkedin.com/in/minh-khai,yes,yes,yes
Αλέξανδρος,Παπαδόπουλος,alexandros.p@example.org,National and Kapodistrian University of Athens,Core surgical trainee,he/him,,yes,yes,yes
Наталья,Иванова,natalia.ivanova@example.org,Imperial College London,Clinical research fellow,she/her,https://www.linkedin.com/in/natalia-ivanova,yes,yes,yes
小明,王,wang.xiaoming@example.org,Peking Union Medical College,Visiting fellow,he/him,,yes,yes,yes
花子,佐藤,hanako.sato@example.org,University of Tokyo,Medical student (Year 6),she/her,,yes,no,yes
محمد,الأحمد,mohammed.alahmad@example.org,Royal London Hospital,Registrar in emergency medicine,he/him,https://www.linkedin.com/in/m-alahmad,yes,yes,yes
נועה,כהן,noa.cohen@example.org,Hadassah Medical Center,Resident in paediatrics,she/her,,yes,yes,yes
Priya,Raghunathan,priya.raghunathan@example.org,Barts and The London,Medical student (Year 2),she/her,https://www.linkedin.com/in/priya-r,yes,yes,yes
Maximiliana Alexandrina,Featherstonehaugh-Wolfeschlegelsteinhausen,maximiliana.fw@example.org,Universitätsklinikum Hamburg-Eppendorf,Consultant neurologist,she/her,,yes,yes,yes
Tom,Baker,tom.baker@example.org,St George's University of London,Medical student (Year 1),he/him,,yes,yes,yes
Fatima,Zahra,fatima.zahra@example.org,University of Manchester,Academic foundation doctor,she/her,https://www.linkedin.com/in/fatima-zahra,yes,yes,yes
Daniel,Okafor,daniel.okafor@example.org,Lagos University Teaching Hospital,Visiting registrar,he/him,,yes,yes,yes
Ingrid,Solberg,ingrid.solberg@example.org,Oslo University Hospital,Consultant anaesthetist,she/her,https://www.linkedin.com/in/ingrid-solberg,yes,yes,yes
Rahul,Mehta,rahul.mehta@example.org,Birmingham Medical School,Medical student (Year 3),he/him,,no,no,yes
Chloé,Dubois,chloe.dubois@example.org,Sorbonne Université,Interne en médecine générale,elle,,yes,yes,yes
Kwame,Mensah,kwame.mensah@example.org,University of Edinburgh,Medical student (Year 4),he/him,https://www.linkedin.com/in/kwame-mensah,yes,yes,yes
Hannah,Schmidt,hannah.schmidt@example.org,Charité – Universitätsmedizin Berlin,Consultant cardiologist,she/her,https://www.linkedin.com/in/hannah-schmidt,yes,yes,yes
Liam,Murphy,liam.murphy@example.org,Cardiff University,Foundation doctor (FY1),he/him,,yes,yes,no
Aisha,Bello,aisha.bello@example.org,University of Leeds,Medical student (Year 5),she/her,,yes,yes,yes
Jae-won,Park,jaewon.park@example.org,Seoul National University Hospital,Clinical fellow,he/him,,yes,yes,yes
Sofia,Rossi,sofia.rossi@example.org,Università di Bologna,Specialty trainee in psychiatry,she/her,https://www.linkedin.com/in/sofia-rossi,yes,yes,yes
Ewan,MacLeod,ewan.macleod@example.org,University of Glasgow,Medical student (Year 2),he/him,,yes,yes,yes
Leila,Haddad,leila.haddad@example.org,American University of Beirut,Research fellow,she/her,,yes,yes,yes
Mateus,Silva,mateus.silva@example.org,Universidade de São Paulo,Medical student (Year 6),he/him,,yes,yes,yes
Grace,Whitfield,grace.whitfield@example.org,Oxford University Hospitals,Professor of medical education,she/her,https://www.linkedin.com/in/grace-whitfield,yes,yes,yes
"""


def setup_demo(db):
    """Create or refresh the demo programme; returns what to print: login, password, kiosk token."""
    starts = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    ends = starts + timedelta(hours=12)
    try:
        event = get_event(db, SLUG)
        with write(db):
            db["events"].update(
                event["id"],
                {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
            )
    except NotFound:
        create_event(
            db, SLUG, "Networking for Medics", starts.isoformat(), ends.isoformat(),
            venue="Education Centre, Level 2", tz="Europe/London",
        )
        for slug, title, room in WORKSHOPS:
            add_workshop(db, SLUG, slug, title, room=room)
    _demo_programme(db)
    import_attendees(db, SLUG, ATTENDEES_CSV.encode())
    for slug, name, days, came in OTHER_WORKSHOPS:
        _other_workshop(db, slug, name, days, came)
    _demo_connections(db, SLUG, MET)
    _suggest_me(db)
    password = secrets.token_urlsafe(12)
    create_user(db, ORGANISER_EMAIL, password)
    _, token = create_kiosk(db, SLUG, KIOSK_NAME)
    fellow = query(db, "SELECT first_name, private_key FROM attendees WHERE email = ?", [FELLOW])[0]
    return {"email": ORGANISER_EMAIL, "password": password, "kiosk_token": token, "event": SLUG,
            "programme": PROGRAMME[1], "events": 1 + len(OTHER_WORKSHOPS), "fellow": fellow["first_name"],
            "fellow_key": fellow["private_key"]}


# Who met whom in the demo (by email prefix), so the organiser's pages have a picture.
MET = [
    ("amelia.hughes", "grace.whitfield", "Asked about a teaching fellowship"),
    ("amelia.hughes", "seun.adeyemi", ""), ("amelia.hughes", "priya.raghunathan", "Same year!"),
    ("seun.adeyemi", "hannah.schmidt", "Cardiology taster week"), ("zoe.angstrom", "ingrid.solberg", ""),
    ("kwame.mensah", "amelia.hughes", ""), ("kwame.mensah", "ewan.macleod", "Edinburgh-Glasgow study group"),
    ("priya.raghunathan", "mohammed.alahmad", "Emergency medicine elective"),
    ("natalia.ivanova", "grace.whitfield", "Research methods course"), ("tom.baker", "aisha.bello", ""),
    ("sofia.rossi", "leila.haddad", "Psychiatry research"), ("jaewon.park", "wang.xiaoming", ""),
]


# Who met whom at the earlier workshops.
# Who met whom at last month's workshop.
MET_LAST_MONTH = [
    ("amelia.hughes", "zoe.angstrom", "Leadership reading list"), ("seun.adeyemi", "siobhan.oconnor", ""),
    ("josemaria.garcia", "minh.khai", "Quality improvement project"), ("amelia.hughes", "natalia.ivanova", ""),
    ("alexandros.p", "wang.xiaoming", ""), ("priya.raghunathan", "hanako.sato", "Same year, other side of the world"),
    ("noa.cohen", "mohammed.alahmad", ""), ("tom.baker", "fatima.zahra", "Academic foundation programme"),
    ("natalia.ivanova", "ingrid.solberg", "Research spin-outs"), ("hanako.sato", "maximiliana.fw", ""),
    ("priya.raghunathan", "natalia.ivanova", "Grant application: write to her"),
    ("minh.khai", "ingrid.solberg", ""), ("tom.baker", "priya.raghunathan", ""),
]


def _demo_programme(db):
    try:
        create_programme(db, *PROGRAMME)
    except KioskError:  # there from an earlier run
        pass
    set_event_programme(db, SLUG, PROGRAMME[0])


def _other_workshop(db, slug, name, days, came):
    """Another workshop of the programme, `days` from today, with its people (first run only).
    One already held gets its check-ins and who met whom: scanning is open only while an
    event is on, so it is held now, then it and what happened there move to its date."""
    try:
        get_event(db, slug)
        return
    except NotFound:
        pass
    today = datetime.now(timezone.utc).replace(microsecond=0)
    held = days < 0
    starts = today if held else today + timedelta(days=days)
    create_event(db, slug, name, starts.isoformat(), (starts + timedelta(hours=3)).isoformat(),
                 venue="Education Centre, Level 2", tz="Europe/London")
    set_event_programme(db, slug, PROGRAMME[0])
    header, *rows = ATTENDEES_CSV.splitlines()
    import_attendees(db, slug, "\n".join([header, *rows[came]]).encode())
    if held:
        for (code,) in db.execute("SELECT code FROM attendees WHERE event_id = ?", [get_event(db, slug)["id"]]):
            check_in(db, slug, code, f"demo-{slug}-{code}")
        _demo_connections(db, slug, MET_LAST_MONTH)
        _move_back(db, get_event(db, slug), timedelta(days=-days))


def _move_back(db, event, by):
    """The event, its check-ins and its connections, `by` earlier."""
    shift = f"-{by.days} days"
    with write(db):
        for table, column in (("events", "starts_at"), ("events", "ends_at"), ("checkins", "at"),
                              ("connections", "at")):
            key = "id" if table == "events" else "event_id"
            db.execute(f"UPDATE {table} SET {column} = strftime('%Y-%m-%dT%H:%M:%S+00:00', {column}, ?) "
                       f"WHERE {key} = ?", [shift, event["id"]])


def _suggest_me(db):
    """Some people asked to be suggested to others (on /me, as anyone would)."""
    with write(db):
        db.execute(f"""UPDATE attendees SET allow_suggest = 1, consent_at = ?, consent_source = 'attendee'
                       WHERE allow_suggest = 0 AND substr(email, 1, instr(email, '@') - 1)
                       IN ({', '.join('?' * len(SUGGEST_ME))})""", [now(), *SUGGEST_ME])


def _demo_connections(db, slug, met):
    """A few connections on first setup; later runs leave what people recorded alone."""
    from .connections import record

    event = get_event(db, slug)
    if db.execute("SELECT count(*) FROM connections WHERE event_id = ?", [event["id"]]).fetchone()[0]:
        return
    people = {row["email"].split("@")[0]: row
              for row in query(db, "SELECT * FROM attendees WHERE event_id = ?", [event["id"]])}
    for scanner, scanned, note in met:
        record(db, slug, people[scanner], people[scanned]["code"], via="phone", note=note)
