"""The operations CLI against a real database."""

from __future__ import annotations

from sqlalchemy import Engine, text

from models.cluster import free_port
from tests.cli.conftest import fieldsales


def test_users_create_adds_a_user_who_can_sign_in(database_url: str, engine: Engine) -> None:
    env = {"DATABASE_URL": database_url}

    created = fieldsales(
        "users", "create", "--username", "cli-rep", "--password", "pw-123456", "--role", "rep",
        env=env,
    )  # fmt: skip
    again = fieldsales(
        "users", "create", "--username", "cli-rep", "--password", "other", "--role", "admin",
        env=env,
    )  # fmt: skip

    assert created.returncode == 0, created.stderr
    assert "Created rep 'cli-rep'" in created.stdout
    assert again.returncode == 1
    assert "already exists" in again.stderr
    with engine.begin() as conn:
        roles = conn.execute(text("SELECT role FROM app_user WHERE username = 'cli-rep'")).all()
        conn.execute(text("DELETE FROM app_user WHERE username = 'cli-rep'"))
    assert [row.role for row in roles] == ["rep"]


def test_unknown_territory_is_refused(database_url: str) -> None:
    result = fieldsales(
        "users", "create", "--username", "x", "--password", "y", "--role", "rep",
        "--territory", "00000000-0000-0000-0000-000000000000",
        env={"DATABASE_URL": database_url},
    )  # fmt: skip

    assert result.returncode == 1
    assert "Unknown territory" in result.stderr


def test_unreachable_database_is_one_clear_line() -> None:
    url = f"postgresql://fieldsales:secret@127.0.0.1:{free_port()}/fieldsales"

    result = fieldsales("db", "migrate", env={"DATABASE_URL": url})

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Cannot connect to the database" in result.stderr
    assert "secret" not in result.stderr  # the password is masked
    assert "Check DATABASE_URL" in " ".join(result.stderr.split())


def test_openapi_check_passes_on_the_committed_spec() -> None:
    result = fieldsales("openapi", "--check", env={})

    assert result.returncode == 0, result.stdout + result.stderr
