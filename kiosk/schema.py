"""Versioned schema migrations, applied in order by `db.migrate`.

Append a new script to MIGRATIONS to change the schema; never edit one that has
shipped. `PRAGMA user_version` records how many have run. Times are ISO-8601
strings in UTC; booleans are 0/1 integers.
"""

MIGRATIONS = [
    """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    venue TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    exchange_mode TEXT NOT NULL DEFAULT 'mutual'
        CHECK (exchange_mode IN ('mutual', 'one-way')),
    grace_minutes INTEGER NOT NULL DEFAULT 120,
    default_share_email INTEGER NOT NULL DEFAULT 1,
    default_share_linkedin INTEGER NOT NULL DEFAULT 1,
    default_allow_scan INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE workshops (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    starts_at TEXT,
    ends_at TEXT,
    UNIQUE (event_id, slug)
);

CREATE TABLE attendees (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL COLLATE NOCASE,
    organisation TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    pronouns TEXT NOT NULL DEFAULT '',
    linkedin_url TEXT NOT NULL DEFAULT '',
    photo BLOB,
    share_email INTEGER NOT NULL,
    share_linkedin INTEGER NOT NULL,
    allow_scan INTEGER NOT NULL,
    consent_at TEXT NOT NULL,
    consent_source TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    private_key TEXT NOT NULL UNIQUE,
    revoked_at TEXT,
    badge_printed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (event_id, email)
);
CREATE INDEX attendees_by_name ON attendees (event_id, last_name, first_name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'organiser' CHECK (role IN ('organiser', 'staff')),
    created_at TEXT NOT NULL
);

CREATE TABLE kiosks (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    layout TEXT NOT NULL DEFAULT '4x3in',
    print_command TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    UNIQUE (event_id, name)
);

CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE CASCADE,
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE SET NULL,
    at TEXT NOT NULL,
    nonce TEXT UNIQUE
);
-- One check-in per attendee at the door (workshop NULL) and per workshop.
CREATE UNIQUE INDEX checkins_once ON checkins (attendee_id, coalesce(workshop_id, 0));
CREATE INDEX checkins_by_event ON checkins (event_id, at);

CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    scanner_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    scanned_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE SET NULL,
    via TEXT NOT NULL CHECK (via IN ('phone', 'kiosk')),
    note TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    nonce TEXT UNIQUE,
    UNIQUE (event_id, scanner_id, scanned_id),
    CHECK (scanner_id != scanned_id)
);
CREATE INDEX connections_by_scanned ON connections (scanned_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('invite', 'digest')),
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'retry', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    message_id TEXT NOT NULL UNIQUE,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (event_id, attendee_id, kind)
);
""",
    """
-- Check-in at the door: replayable answers, print counts, kiosk modes, name search.
ALTER TABLE attendees ADD COLUMN print_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kiosks ADD COLUMN mode TEXT NOT NULL DEFAULT 'staffed'
    CHECK (mode IN ('staffed', 'self'));
ALTER TABLE kiosks ADD COLUMN printing TEXT NOT NULL DEFAULT 'browser'
    CHECK (printing IN ('browser', 'server', 'off'));

-- The first answer to each request nonce, so a replay (an offline kiosk syncing,
-- a retry after a timeout) gets the same answer and records nothing new.
CREATE TABLE api_replies (
    nonce TEXT PRIMARY KEY,
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);

-- Accent-insensitive prefix search over names, email and organisation ("zoe" finds Zoë).
CREATE VIRTUAL TABLE attendee_search USING fts5(
    first_name, last_name, email, organisation,
    content = 'attendees', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE TRIGGER attendee_search_insert AFTER INSERT ON attendees BEGIN
    INSERT INTO attendee_search (rowid, first_name, last_name, email, organisation)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.organisation);
END;
CREATE TRIGGER attendee_search_delete AFTER DELETE ON attendees BEGIN
    INSERT INTO attendee_search (attendee_search, rowid, first_name, last_name, email, organisation)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.organisation);
END;
CREATE TRIGGER attendee_search_update AFTER UPDATE OF first_name, last_name, email, organisation
ON attendees BEGIN
    INSERT INTO attendee_search (attendee_search, rowid, first_name, last_name, email, organisation)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.organisation);
    INSERT INTO attendee_search (rowid, first_name, last_name, email, organisation)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.organisation);
END;
INSERT INTO attendee_search (attendee_search) VALUES ('rebuild');
""",
    """
-- "I met you": attendees may keep off the leaderboard.
ALTER TABLE attendees ADD COLUMN leaderboard_opt_out INTEGER NOT NULL DEFAULT 0;
CREATE INDEX connections_by_event ON connections (event_id, at);
""",
    """
-- Mail: attendees may opt out of an event's mail (List-Unsubscribe, one click).
ALTER TABLE attendees ADD COLUMN mail_opt_out_at TEXT;
ALTER TABLE outbox ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_by_status ON outbox (event_id, kind, status);
""",
    """
-- Privacy: every consent choice as it was made (the trigger keeps it whole), and what an
-- event keeps after its personal data is purged.
CREATE TABLE consent_log (
    id INTEGER PRIMARY KEY,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    share_email INTEGER NOT NULL,
    share_linkedin INTEGER NOT NULL,
    allow_scan INTEGER NOT NULL
);
CREATE INDEX consent_log_by_attendee ON consent_log (attendee_id);
INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan)
    SELECT id, consent_at, consent_source, share_email, share_linkedin, allow_scan FROM attendees;
CREATE TRIGGER consent_log_insert AFTER INSERT ON attendees BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan);
END;
CREATE TRIGGER consent_log_update AFTER UPDATE OF share_email, share_linkedin, allow_scan ON attendees
WHEN old.share_email != new.share_email OR old.share_linkedin != new.share_linkedin
     OR old.allow_scan != new.allow_scan BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan);
END;

CREATE TABLE event_summaries (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    attendees INTEGER NOT NULL,
    checked_in INTEGER NOT NULL,
    connections INTEGER NOT NULL,
    people_connected INTEGER NOT NULL,
    purged_at TEXT NOT NULL
);
""",
    """
-- Stored answers belong to the kiosk that asked (a nonce is unique per kiosk, not across
-- the service): another event's kiosk replaying a nonce gets none of its names.
CREATE TABLE api_replies_per_kiosk (
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO api_replies_per_kiosk (kiosk_id, nonce, status, body, at)
    SELECT kiosk_id, nonce, status, body, at FROM api_replies;
DROP TABLE api_replies;
ALTER TABLE api_replies_per_kiosk RENAME TO api_replies;
CREATE UNIQUE INDEX api_replies_once ON api_replies (coalesce(kiosk_id, 0), nonce);
""",
    """
-- Phones an attendee's identity is open on. The phone's cookie holds a random id; only its
-- hash is kept, with a short description of the device, so the owner can see and end them.
CREATE TABLE attendee_sessions (
    id INTEGER PRIMARY KEY,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    device TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX attendee_sessions_by_attendee ON attendee_sessions (attendee_id);

-- The kiosk's "scan to open on your phone" QR: a one-time, short-lived token (hashed),
-- issued right after a badge-scan check-in at that kiosk; never the private key.
CREATE TABLE activations (
    token_hash TEXT PRIMARY KEY,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Organiser and staff logins: the session cookie carries this number; logging out and a
-- new password raise it, which ends every session signed with the old one.
ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
""",
    """
-- Check-ins made from a self-service name search: the person showed no badge, so the badge
-- printed for them never brings up the kiosk's phone QR (that would let anyone who can
-- type a name become that person).
ALTER TABLE checkins ADD COLUMN by_search INTEGER NOT NULL DEFAULT 0;
""",
    """
-- Promises kept (issue 11).
-- A separate consent: may this attendee be suggested to people they have not met?
-- Off for everyone until they opt in; the consent history records it like the others.
ALTER TABLE attendees ADD COLUMN allow_suggest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE consent_log ADD COLUMN allow_suggest INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER consent_log_insert;
DROP TRIGGER consent_log_update;
CREATE TRIGGER consent_log_insert AFTER INSERT ON attendees BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan, allow_suggest)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan,
            new.allow_suggest);
END;
CREATE TRIGGER consent_log_update AFTER UPDATE OF share_email, share_linkedin, allow_scan, allow_suggest
ON attendees
WHEN old.share_email != new.share_email OR old.share_linkedin != new.share_linkedin
     OR old.allow_scan != new.allow_scan OR old.allow_suggest != new.allow_suggest BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan, allow_suggest)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan,
            new.allow_suggest);
END;

-- Removing someone who saved you takes them out of your own list only: their record stays theirs.
ALTER TABLE connections ADD COLUMN hidden_by_scanned INTEGER NOT NULL DEFAULT 0;

-- Follow-up digests ("2 more people you met"): several per attendee, so the outbox is
-- rebuilt with a `followup` kind and a batch number (0 for invites and first digests).
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('invite', 'digest', 'followup')),
    batch INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'retry', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    message_id TEXT NOT NULL UNIQUE,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT,
    recipient TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, attendee_id, kind, batch)
);
INSERT INTO outbox_new (id, event_id, attendee_id, kind, status, attempts, next_try_at, message_id,
                        last_error, created_at, sent_at, recipient)
    SELECT id, event_id, attendee_id, kind, status, attempts, next_try_at, message_id,
           last_error, created_at, sent_at, recipient FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_by_status ON outbox (event_id, kind, status);

-- Who each digest or follow-up tells its recipient about, fixed when it is queued, so a
-- retry or a run after a kill sends the same people and nobody is mailed about twice.
CREATE TABLE outbox_contacts (
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    PRIMARY KEY (outbox_id, contact_id)
);
-- Digests sent before this version told their recipients about everyone they had met by
-- then; one not sent yet tells about everyone met, as it would have.
INSERT INTO outbox_contacts (outbox_id, contact_id)
    SELECT o.id, c.scanned_id FROM outbox o JOIN connections c ON c.scanner_id = o.attendee_id
    WHERE o.kind = 'digest' AND (o.status != 'sent' OR c.at <= coalesce(o.sent_at, o.created_at))
    UNION
    SELECT o.id, c.scanner_id FROM outbox o JOIN connections c ON c.scanned_id = o.attendee_id
    JOIN events e ON e.id = o.event_id
    WHERE o.kind = 'digest' AND e.exchange_mode = 'mutual'
      AND (o.status != 'sent' OR c.at <= coalesce(o.sent_at, o.created_at));
""",
    """
-- Organiser essentials: check-ins made and undone by hand, with who did it and when
-- (an undo deletes the check-in; this log keeps that it happened), and the column
-- mapping an organiser chose for an event's imports.
CREATE TABLE checkin_log (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    action TEXT NOT NULL CHECK (action IN ('check_in', 'undo')),
    checked_in_at TEXT,
    workshops TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX checkin_log_by_attendee ON checkin_log (attendee_id);
ALTER TABLE events ADD COLUMN import_mapping TEXT NOT NULL DEFAULT '{}';

-- The organiser's attendee list filters and counts 10,000 people on every page view. A
-- photo makes its row span overflow pages, and every column after it (revoked_at,
-- badge_printed_at...) is read through them; this index holds what the filters, counts
-- and name sort need, so they never touch the rows.
-- (A plain column kept by triggers: SQLite reads a generated column from the row even
-- when an index holds it.)
ALTER TABLE attendees ADD COLUMN has_photo INTEGER NOT NULL DEFAULT 0;
UPDATE attendees SET has_photo = 1 WHERE photo IS NOT NULL;
CREATE TRIGGER attendees_has_photo_insert AFTER INSERT ON attendees WHEN new.photo IS NOT NULL BEGIN
    UPDATE attendees SET has_photo = 1 WHERE id = new.id;
END;
CREATE TRIGGER attendees_has_photo_update AFTER UPDATE OF photo ON attendees BEGIN
    UPDATE attendees SET has_photo = new.photo IS NOT NULL WHERE id = new.id;
END;
CREATE INDEX attendees_listing ON attendees (event_id, last_name COLLATE NOCASE,
    first_name COLLATE NOCASE, revoked_at, badge_printed_at, has_photo, organisation);
""",
    """
-- The fellowship programme (issue 12): events grouped in a programme share their people.
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE events ADD COLUMN programme_id INTEGER REFERENCES programmes(id);
CREATE INDEX events_by_programme ON events (programme_id, starts_at);

-- A person: one per attendee of a standalone event, one per email across a programme's
-- events. Their badge code and private key are unique here; every attendee row of the
-- person (one per event, a registration) carries copies, kept equal by the trigger below,
-- so the per-event queries keep reading one row.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER REFERENCES programmes(id),
    email TEXT NOT NULL COLLATE NOCASE,
    code TEXT NOT NULL UNIQUE,
    private_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX people_in_programme ON people (programme_id, email) WHERE programme_id IS NOT NULL;
INSERT INTO people (id, programme_id, email, code, private_key, created_at)
    SELECT id, NULL, email, code, private_key, created_at FROM attendees;

-- Codes and keys a person held before their events were joined in a programme: an old
-- badge still checks in and an old link still opens, as the person they now are. A
-- 'retired' code (a lost badge) checks nobody in; it only names them in mail already sent.
CREATE TABLE person_aliases (
    kind TEXT NOT NULL CHECK (kind IN ('code', 'key', 'retired')),
    value TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
);
CREATE INDEX person_aliases_by_person ON person_aliases (person_id);

-- Attendees, rebuilt (the 12-step way; foreign keys are off during migrations): a code
-- and a key are now unique within an event (a person's rows share them), each row names
-- its person, a new consent share_photo, and the photo is the last column, so a row's
-- other columns never sit behind its overflow pages.
CREATE TABLE attendees_new (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL COLLATE NOCASE,
    organisation TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    pronouns TEXT NOT NULL DEFAULT '',
    linkedin_url TEXT NOT NULL DEFAULT '',
    share_email INTEGER NOT NULL,
    share_linkedin INTEGER NOT NULL,
    allow_scan INTEGER NOT NULL,
    allow_suggest INTEGER NOT NULL DEFAULT 0,
    share_photo INTEGER NOT NULL DEFAULT 0,
    consent_at TEXT NOT NULL,
    consent_source TEXT NOT NULL,
    code TEXT NOT NULL,
    private_key TEXT NOT NULL,
    revoked_at TEXT,
    badge_printed_at TEXT,
    print_count INTEGER NOT NULL DEFAULT 0,
    leaderboard_opt_out INTEGER NOT NULL DEFAULT 0,
    mail_opt_out_at TEXT,
    has_photo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    photo BLOB,
    UNIQUE (event_id, email),
    UNIQUE (event_id, code),
    UNIQUE (person_id, event_id)
);
INSERT INTO attendees_new (id, event_id, person_id, first_name, last_name, email, organisation, role,
        pronouns, linkedin_url, share_email, share_linkedin, allow_scan, allow_suggest, consent_at,
        consent_source, code, private_key, revoked_at, badge_printed_at, print_count,
        leaderboard_opt_out, mail_opt_out_at, has_photo, created_at, updated_at, photo)
    SELECT id, event_id, id, first_name, last_name, email, organisation, role,
        pronouns, linkedin_url, share_email, share_linkedin, allow_scan, allow_suggest, consent_at,
        consent_source, code, private_key, revoked_at, badge_printed_at, print_count,
        leaderboard_opt_out, mail_opt_out_at, has_photo, created_at, updated_at, photo
    FROM attendees;
DROP TABLE attendees;
ALTER TABLE attendees_new RENAME TO attendees;
CREATE INDEX attendees_by_name ON attendees (event_id, last_name, first_name);
CREATE INDEX attendees_by_code ON attendees (code);
CREATE INDEX attendees_listing ON attendees (event_id, last_name COLLATE NOCASE,
    first_name COLLATE NOCASE, revoked_at, badge_printed_at, has_photo, organisation);

CREATE TRIGGER attendee_search_insert AFTER INSERT ON attendees BEGIN
    INSERT INTO attendee_search (rowid, first_name, last_name, email, organisation)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.organisation);
END;
CREATE TRIGGER attendee_search_delete AFTER DELETE ON attendees BEGIN
    INSERT INTO attendee_search (attendee_search, rowid, first_name, last_name, email, organisation)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.organisation);
END;
CREATE TRIGGER attendee_search_update AFTER UPDATE OF first_name, last_name, email, organisation
ON attendees BEGIN
    INSERT INTO attendee_search (attendee_search, rowid, first_name, last_name, email, organisation)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.organisation);
    INSERT INTO attendee_search (rowid, first_name, last_name, email, organisation)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.organisation);
END;
CREATE TRIGGER attendees_has_photo_insert AFTER INSERT ON attendees WHEN new.photo IS NOT NULL BEGIN
    UPDATE attendees SET has_photo = 1 WHERE id = new.id;
END;
CREATE TRIGGER attendees_has_photo_update AFTER UPDATE OF photo ON attendees BEGIN
    UPDATE attendees SET has_photo = new.photo IS NOT NULL WHERE id = new.id;
END;

ALTER TABLE consent_log ADD COLUMN share_photo INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER consent_log_insert AFTER INSERT ON attendees BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan, allow_suggest,
                             share_photo)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan,
            new.allow_suggest, new.share_photo);
END;
CREATE TRIGGER consent_log_update AFTER UPDATE OF share_email, share_linkedin, allow_scan, allow_suggest,
    share_photo ON attendees
WHEN old.share_email != new.share_email OR old.share_linkedin != new.share_linkedin
     OR old.allow_scan != new.allow_scan OR old.allow_suggest != new.allow_suggest
     OR old.share_photo != new.share_photo BEGIN
    INSERT INTO consent_log (attendee_id, at, source, share_email, share_linkedin, allow_scan, allow_suggest,
                             share_photo)
    VALUES (new.id, new.consent_at, new.consent_source, new.share_email, new.share_linkedin, new.allow_scan,
            new.allow_suggest, new.share_photo);
END;

-- One person, one set of details and choices, one badge: a change to any of a person's rows
-- (an organiser's edit at one event, a consent choice on /me, a lost badge revoked, the
-- badge printed) is made to all of them and to the person. (Recursive triggers are off: the copies do not re-fire this.)
CREATE TRIGGER attendees_person_sync AFTER UPDATE ON attendees
WHEN new.first_name IS NOT old.first_name OR new.last_name IS NOT old.last_name
  OR new.email IS NOT old.email OR new.organisation IS NOT old.organisation OR new.role IS NOT old.role
  OR new.pronouns IS NOT old.pronouns OR new.linkedin_url IS NOT old.linkedin_url
  OR new.share_email IS NOT old.share_email OR new.share_linkedin IS NOT old.share_linkedin
  OR new.allow_scan IS NOT old.allow_scan OR new.allow_suggest IS NOT old.allow_suggest
  OR new.share_photo IS NOT old.share_photo OR new.consent_at IS NOT old.consent_at
  OR new.consent_source IS NOT old.consent_source OR new.code IS NOT old.code
  OR new.private_key IS NOT old.private_key OR new.revoked_at IS NOT old.revoked_at
  OR new.leaderboard_opt_out IS NOT old.leaderboard_opt_out OR new.mail_opt_out_at IS NOT old.mail_opt_out_at
  OR new.badge_printed_at IS NOT old.badge_printed_at OR new.print_count IS NOT old.print_count
BEGIN
    UPDATE people SET email = new.email, code = new.code, private_key = new.private_key
    WHERE id = new.person_id;
    UPDATE attendees SET first_name = new.first_name, last_name = new.last_name, email = new.email,
        organisation = new.organisation, role = new.role, pronouns = new.pronouns,
        linkedin_url = new.linkedin_url, share_email = new.share_email,
        share_linkedin = new.share_linkedin, allow_scan = new.allow_scan,
        allow_suggest = new.allow_suggest, share_photo = new.share_photo, consent_at = new.consent_at,
        consent_source = new.consent_source, code = new.code, private_key = new.private_key,
        revoked_at = new.revoked_at, leaderboard_opt_out = new.leaderboard_opt_out,
        mail_opt_out_at = new.mail_opt_out_at, badge_printed_at = new.badge_printed_at,
        print_count = new.print_count, updated_at = new.updated_at
    WHERE person_id = new.person_id AND id != new.id;
END;
-- A new registration of a person already registered elsewhere brings what it brings (a
-- new organisation) to the person's other rows, and takes the person's photo.
CREATE TRIGGER attendees_person_join AFTER INSERT ON attendees
WHEN EXISTS (SELECT 1 FROM attendees WHERE person_id = new.person_id AND id != new.id) BEGIN
    UPDATE people SET email = new.email WHERE id = new.person_id;
    UPDATE attendees SET first_name = new.first_name, last_name = new.last_name, email = new.email,
        organisation = new.organisation, role = new.role, pronouns = new.pronouns,
        linkedin_url = new.linkedin_url, share_email = new.share_email,
        share_linkedin = new.share_linkedin, allow_scan = new.allow_scan,
        allow_suggest = new.allow_suggest, share_photo = new.share_photo, consent_at = new.consent_at,
        consent_source = new.consent_source, updated_at = new.updated_at
    WHERE person_id = new.person_id AND id != new.id;
    UPDATE attendees SET photo = (SELECT photo FROM attendees WHERE person_id = new.person_id
                                  AND id != new.id AND photo IS NOT NULL LIMIT 1)
    WHERE id = new.id AND new.photo IS NULL;
END;
CREATE TRIGGER attendees_person_photo_sync AFTER UPDATE OF photo ON attendees
WHEN new.photo IS NOT old.photo BEGIN
    UPDATE attendees SET photo = new.photo WHERE person_id = new.person_id AND id != new.id;
END;
-- A person goes with their last registration (an event deleted, a record erased).
CREATE TRIGGER attendees_person_gone AFTER DELETE ON attendees
WHEN NOT EXISTS (SELECT 1 FROM attendees WHERE person_id = old.person_id) BEGIN
    DELETE FROM people WHERE id = old.person_id;
END;

-- Introductions (paying it forward): a person introduces two of their contacts, each
-- answers through their own link (only its hash is kept); both yes makes them contacts.
CREATE TABLE introductions (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER REFERENCES programmes(id),
    introducer_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    first_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    second_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    first_token_hash TEXT NOT NULL UNIQUE,
    second_token_hash TEXT NOT NULL UNIQUE,
    first_answer TEXT CHECK (first_answer IN ('accepted', 'declined')),
    second_answer TEXT CHECK (second_answer IN ('accepted', 'declined')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CHECK (first_id < second_id),
    CHECK (introducer_id NOT IN (first_id, second_id))
);
CREATE INDEX introductions_by_pair ON introductions (first_id, second_id);
CREATE INDEX introductions_by_introducer ON introductions (introducer_id);
""",
    """
-- Headshots (issue 12): a person's photo as they uploaded it (or a kiosk took it), for
-- them to download at full size. attendees.photo keeps the badge-size copy every view
-- reads; this is read only by its owner's download. GPS tags are removed before it is
-- stored; the pixels are the upload's own.
CREATE TABLE headshots (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    format TEXT NOT NULL CHECK (format IN ('JPEG', 'PNG')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    original BLOB NOT NULL
);
""",
    """
-- Request overhead (issue 15): every check-in and pair scan writes fewer B-tree pages.
-- checkins.nonce and connections.nonce came with the first schema and were never written
-- by any release (answers to nonces live in api_replies): the tables are rebuilt without
-- them, and without the unique index each kept of their NULLs, one page a write. Every
-- row keeps its id. (The 12-step way: foreign keys are off while migrating, and nothing
-- refers to these two tables.)
CREATE TABLE checkins_rebuilt (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE CASCADE,
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE SET NULL,
    at TEXT NOT NULL,
    by_search INTEGER NOT NULL DEFAULT 0
);
INSERT INTO checkins_rebuilt (id, event_id, attendee_id, workshop_id, kiosk_id, at, by_search)
    SELECT id, event_id, attendee_id, workshop_id, kiosk_id, at, by_search FROM checkins;
DROP TABLE checkins;
ALTER TABLE checkins_rebuilt RENAME TO checkins;
CREATE UNIQUE INDEX checkins_once ON checkins (attendee_id, coalesce(workshop_id, 0));
CREATE INDEX checkins_by_event ON checkins (event_id, at);

CREATE TABLE connections_rebuilt (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    scanner_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    scanned_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE SET NULL,
    via TEXT NOT NULL CHECK (via IN ('phone', 'kiosk')),
    note TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    hidden_by_scanned INTEGER NOT NULL DEFAULT 0,
    UNIQUE (event_id, scanner_id, scanned_id),
    CHECK (scanner_id != scanned_id)
);
INSERT INTO connections_rebuilt (id, event_id, scanner_id, scanned_id, workshop_id, via, note, tags, at,
                                 hidden_by_scanned)
    SELECT id, event_id, scanner_id, scanned_id, workshop_id, via, note, tags, at, hidden_by_scanned
    FROM connections;
DROP TABLE connections;
ALTER TABLE connections_rebuilt RENAME TO connections;
CREATE INDEX connections_by_scanned ON connections (scanned_id);
-- No (event_id, at) index again: the unique (event_id, scanner_id, scanned_id) finds an
-- event's connections, and only the organiser's over-time chart wants them by time (a
-- sort of one event's rows); every pair scan wrote a page of it.

-- Stored answers keyed by (who asked, nonce) in the table's own B-tree (WITHOUT ROWID),
-- instead of a rowid table plus a unique index: one page a write, not two. asked_by is
-- the kiosk's id, 0 for a request from no kiosk (a phone, the command line).
CREATE TABLE api_replies_keyed (
    asked_by INTEGER NOT NULL,
    nonce TEXT NOT NULL,
    kiosk_id INTEGER REFERENCES kiosks(id) ON DELETE CASCADE,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (asked_by, nonce)
) WITHOUT ROWID;
INSERT INTO api_replies_keyed (asked_by, nonce, kiosk_id, status, body, at)
    SELECT coalesce(kiosk_id, 0), nonce, kiosk_id, status, body, at FROM api_replies;
DROP TABLE api_replies;
ALTER TABLE api_replies_keyed RENAME TO api_replies;
""",
]
