"""Organiser and staff accounts."""

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from .attendees import clean_text, normalised_email
from .db import now, query, write
from .errors import Invalid

ROLES = ("organiser", "staff")
MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash():
    """Compared against when the email is unknown, so a wrong email costs as long as a
    wrong password and the login form does not reveal which accounts exist. Made on
    first use: hashing at import cost every CLI command 65 ms."""
    return generate_password_hash("not a real password")


def create_user(db, email, password, role="organiser"):
    """Create an account, or set a new password and role for an existing one (which
    ends the account's sessions everywhere)."""
    try:
        email = normalised_email(clean_text(email))
    except ValueError as exc:
        raise Invalid(str(exc))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    with write(db):
        db.execute(
            """INSERT INTO users (email, password_hash, role, created_at)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (email) DO UPDATE
               SET password_hash = excluded.password_hash, role = excluded.role,
                   session_version = session_version + 1""",
            [email, generate_password_hash(password), role, now()],
        )
    return get_user_by_email(db, email)


def get_user_by_email(db, email):
    rows = query(db, "SELECT * FROM users WHERE email = ?", [clean_text(email)])
    return rows[0] if rows else None


def get_user(db, user_id):
    rows = query(db, "SELECT * FROM users WHERE id = ?", [user_id])
    return rows[0] if rows else None


def authenticate(db, email, password):
    """The user for these credentials, or None."""
    user = get_user_by_email(db, email)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user["password_hash"], password or ""):
        return None
    return user


def end_sessions(db, user_id):
    """Log the account out everywhere: sessions signed with the old version stop working."""
    with write(db):
        db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", [user_id])
