"""``fieldsales import`` commits a good file and lists a bad file's problems, changing nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from api.cli import app
from models import migrate

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def fresh_url(make_database: Callable[[], str]) -> str:
    """A database of its own: the command commits, and other tests must not see it."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def fresh(fresh_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_url)
    yield engine
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE outlet, territory CASCADE"))
    engine.dispose()


def fieldsales(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_import_commits_and_prints_the_summary(fresh_url: str, fresh: Engine) -> None:
    territories = fieldsales(fresh_url, "import", "territories", str(DATA / "territories.geojson"))
    code, out, err = fieldsales(fresh_url, "import", "outlets", str(DATA / "outlets.csv"))

    assert territories[0] == 0, territories
    assert code == 0, err
    assert "Imported outlets:" in out
    assert "│ inserted  │ 5 │" in out
    assert "│ assigned  │ 4 │" in out
    with fresh.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outlet")).scalar_one() == 5


def test_a_bad_file_lists_its_problems_and_changes_nothing(
    fresh_url: str, fresh: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "outlets.csv"
    bad.write_text("code,name,channel,lon,lat\nA,Shop,convenience,2,48\nB,Shop,kiosk,2,48\n")

    code, _, err = fieldsales(fresh_url, "import", "outlets", str(bad))

    assert code == 1
    assert "kiosk" not in err  # the reason lists the channels, not the value
    assert "│ 3    │ channel │ not one of: hypermarket" in err
    assert "rejected: 1 problem(s) in the file. Nothing was imported." in err
    with fresh.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outlet")).scalar_one() == 0
