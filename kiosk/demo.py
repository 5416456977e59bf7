"""The demo event "Networking for Medics": something to click through right after `make run`.

Running it again keeps the attendees and their badge codes, moves the event to
cover the next hours (so check-in is open), and issues a fresh organiser
password and kiosk token, since only their hashes are stored.
"""

import secrets
from datetime import datetime, timedelta, timezone

from .attendee_import import import_attendees
from .db import query, write
from .errors import NotFound
from .events import add_workshop, create_event, get_event
from .kiosks import create_kiosk
from .users import create_user

SLUG = "medics-demo"
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
    """Create or refresh the demo event; returns what to print: login, password, kiosk token."""
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
    import_attendees(db, SLUG, ATTENDEES_CSV.encode())
    _demo_connections(db)
    password = secrets.token_urlsafe(12)
    create_user(db, ORGANISER_EMAIL, password)
    _, token = create_kiosk(db, SLUG, KIOSK_NAME)
    return {"email": ORGANISER_EMAIL, "password": password, "kiosk_token": token, "event": SLUG}


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


def _demo_connections(db):
    """A few connections on first setup; later runs leave what people recorded alone."""
    from .connections import record

    event = get_event(db, SLUG)
    if db.execute("SELECT count(*) FROM connections WHERE event_id = ?", [event["id"]]).fetchone()[0]:
        return
    people = {row["email"].split("@")[0]: row
              for row in query(db, "SELECT * FROM attendees WHERE event_id = ?", [event["id"]])}
    for scanner, scanned, note in MET:
        record(db, SLUG, people[scanner], people[scanned]["code"], via="phone", note=note)
