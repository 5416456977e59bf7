"""App factory, configuration, secret key, migrations, codes."""

import inspect
import os
import sqlite3
import stat
import threading

import pytest

import kiosk
from kiosk import create_app
from kiosk.codes import CODE_LENGTH, CROCKFORD, new_badge_code, new_private_key
from kiosk.db import connect, get_db, migrate, write
from kiosk.schema import MIGRATIONS


def test_test_config_overrides(app):
    assert app.testing
    assert app.config["BASE_URL"] == "https://kiosk.test"


def test_config_from_kiosk_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_BASE_URL", "https://checkin.example.org/")
    monkeypatch.setenv("KIOSK_SMTP_PORT", "2525")
    monkeypatch.setenv("KIOSK_SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "k.db")})
    assert app.config["BASE_URL"] == "https://checkin.example.org"  # trailing slash dropped
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_database_defaults_to_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_DATABASE", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE"] == str(tmp_path / "kiosk.db")
    assert (tmp_path / "kiosk.db").exists()


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "k.db")}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert len(first) >= 64 and first == second
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_two_instances_get_different_secret_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    keys = {
        create_app({"INSTANCE_PATH": str(tmp_path / name), "DATABASE": str(tmp_path / f"{name}.db")})
        .config["SECRET_KEY"]
        for name in ("a", "b")
    }
    assert len(keys) == 2


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": kiosk.__version__}


def test_every_view_and_hook_is_synchronous(app):
    """KioskFlask hands Flask every view, hook and error handler as it is (ensure_sync): an
    async one would return a coroutine, never run. So there is none."""
    hooks = [app.view_functions.values(), app.teardown_appcontext_funcs]
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
                     app.url_value_preprocessors):
        hooks += registry.values()
    hooks += [handlers.values() for codes in app.error_handler_spec.values() for handlers in codes.values()]
    called = [func for group in hooks for func in group]
    assert len(called) > 90  # the views, hooks and handlers are all looked at
    assert not [func for func in called if inspect.iscoroutinefunction(func)]


def test_one_hook_runs_before_every_request(app):
    """Each hook costs every kiosk scan: CSRF and who is asking are checked by one, and
    Flask-WTF's own (which WTF_CSRF_CHECK_DEFAULT = False leaves doing nothing) is gone."""
    assert [getattr(hook, "func", hook).__name__ for hook in app.before_request_funcs[None]] == \
        ["before_every_request"]


def test_who_is_asking_never_carries_over_to_the_next_request(app, organiser):
    """Two requests in one app context (as an embedding or a test may make): the second,
    without cookies, is nobody's."""
    with app.app_context():
        assert organiser.get("/admin/").status_code == 200
        anonymous = app.test_client().get("/admin/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_version_is_shown_to_organisers_and_on_the_command_line(organiser, runner):
    assert f"Event kiosk {kiosk.__version__}" in organiser.get("/admin/").get_data(as_text=True)
    assert runner.invoke(args=["version"]).output.strip() == f"kiosk {kiosk.__version__}"


def test_migrations_run_twice_safely(app):
    db = connect(app.config["DATABASE"])
    assert migrate(db) == len(MIGRATIONS)
    assert migrate(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert {"events", "workshops", "attendees", "checkins", "connections", "outbox", "users",
            "kiosks"} <= set(db.table_names())
    assert db["events"].count == 1  # the fixture's event survived
    db.close()


def test_migrations_from_two_threads_at_once(tmp_path):
    path = tmp_path / "race.db"
    errors = []

    def run():
        try:
            db = connect(path)
            migrate(db)
            db.close()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_writes_of_every_thread_take_turns_on_one_connection(app):
    """Each thread reads on its own connection and writes on the one they share (so the
    writer's page cache is never emptied by another's commit): what it writes, it then reads."""
    seen, errors = {}, []

    def work(name):
        try:
            with app.app_context():
                db = get_db()
                own = db.conn
                with write(db):
                    seen[name] = (own, db.conn)
                    db.execute("INSERT INTO workshops (event_id, slug, title) VALUES (1, ?, ?)", [name, name])
                assert db.conn is own
                assert db.execute("SELECT title FROM workshops WHERE slug = ?", [name]).fetchone()[0] == name
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({writer for _, writer in seen.values()}) == 1
    assert len({own for own, _ in seen.values()}) == 4


def test_a_commit_that_fails_leaves_the_shared_writer_ready(app):
    with app.app_context():
        db = get_db()
        with pytest.raises(sqlite3.IntegrityError):
            with write(db):
                db.execute("PRAGMA defer_foreign_keys = ON")  # the broken reference fails at COMMIT
                db.execute("INSERT INTO workshops (event_id, slug, title) VALUES (999, 'lost', 'Lost')")
        with write(db):  # not left inside the failed transaction
            db.execute("INSERT INTO workshops (event_id, slug, title) VALUES (1, 'kept', 'Kept')")
        assert [r[0] for r in db.execute("SELECT slug FROM workshops WHERE slug IN ('lost', 'kept')")] == ["kept"]


def test_connection_pragmas(app):
    db = connect(app.config["DATABASE"])
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_foreign_keys_are_enforced(app):
    db = connect(app.config["DATABASE"])
    try:
        db.execute("INSERT INTO workshops (event_id, slug, title) VALUES (999, 'x', 'X')")
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("a workshop of a missing event was accepted")
    finally:
        db.close()


def test_badge_codes_are_crockford_and_unique():
    codes = {new_badge_code() for _ in range(20_000)}
    assert len(codes) == 20_000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CROCKFORD) for c in codes)
    assert not set("ILOU") & set("".join(codes))
    assert CODE_LENGTH * 5 >= 60


def test_private_keys_are_long_and_separate():
    key = new_private_key()
    assert len(key) * 6 >= 128
    assert key != new_private_key()


def test_security_headers_on_every_page(client):
    for path in ("/login", "/healthz", "/door", "/b/ZZZZZZZZZZZZZ"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"  # never to other sites


def test_no_inline_scripts_in_any_template():
    from pathlib import Path

    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "onclick=" not in text and "javascript:" not in text, template


def test_page_titles_are_plain_text():
    from pathlib import Path
    import re as regex

    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        for title in regex.findall(r"{% block title %}(.*?){% endblock %}", template.read_text(), regex.S):
            assert "<" not in title, template
