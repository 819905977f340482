"""The console in a real browser: headless Chromium against a running app on its own database."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from PIL import Image
from sqlalchemy import create_engine
from sqlmodel import Session

from api.app import create_app
from api.console import browser
from api.console.formatting import num, pct
from models import migrate
from models.settings import Settings
from tests.console.conftest import Market, market_in, today
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


@dataclass
class Live:
    url: str
    market: Market

    def api(self, username: str, path: str, **params: Any) -> Any:
        """What the API answers the same user, through the same running server."""
        token = httpx.post(
            f"{self.url}/v1/auth/token", data={"username": username, "password": PASSWORD}
        ).json()["access_token"]
        answer = httpx.get(
            self.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(
    make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """uvicorn serving the app on a loopback port, over a committed market in its own database."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path_factory.mktemp("console-live"),
        secret_key="browser-test-signing-key-0123456789",
    )
    with Session(engine, expire_on_commit=False) as session:
        market = market_in(session)
        session.commit()
    photo = market.photos["north"]
    shelf = Image.new("RGB", (640, 480), (200, 180, 140))
    data = io.BytesIO()
    shelf.save(data, "JPEG")
    (settings.data_dir / "photos" / photo.storage_key).parent.mkdir(parents=True)
    (settings.data_dir / "photos" / photo.storage_key).write_bytes(data.getvalue())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    yield Live(f"http://127.0.0.1:{port}", market)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    chromium = browser.chromium()
    chromium.implicitly_wait(5)
    yield chromium
    chromium.quit()


def text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text).strip()


def test_a_manager_finds_the_share_drop_and_the_photo_behind_it(live: Live, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    m = live.market
    browser.sign_in(driver, live.url, "manager-console", PASSWORD)
    assert driver.current_url.endswith("/console/shelf-share")
    rows = live.api("manager-console", "/v1/reports/shelf-share")["rows"]
    north = next(r for r in rows if (r["group"], r["brand"]) == (str(m.north.id), "Ours"))
    row = f'tr[data-territory="{m.north.id}"][data-brand="{m.ours.id}"]'
    assert text(driver, f"{row} td.share") == pct(north["share"])
    assert text(driver, f"{row} td.change").startswith("\u2212")  # the drop, signed
    driver.find_element(By.CSS_SELECTOR, f"{row} a").click()
    assert text(driver, "h1") == "R-N: shelf share by outlet"
    driver.find_element(By.LINK_TEXT, "N-1").click()
    assert text(driver, "h1").startswith("N-1")
    photo = m.photos["north"].id
    driver.find_element(By.CSS_SELECTOR, f'a[href="/console/photos/{photo}"]').click()
    assert "Model test" in driver.page_source
    image = driver.find_element(By.CSS_SELECTOR, "img.evidence")
    assert driver.execute_script("return arguments[0].naturalWidth", image) == 640
    driver.get(f"{live.url}/console/photos")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#cards .card")) == 4
    Select(driver.find_element(By.NAME, "territory_id")).select_by_visible_text("R-S")
    driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(driver, 10).until(lambda d: "territory_id=" in d.current_url)  # pushed by htmx
    assert len(driver.find_elements(By.CSS_SELECTOR, "#cards .card")) == 1
    driver.get(f"{live.url}/console/shelf-share/territories/{m.elsewhere.id}")
    assert text(driver, "h1") == "Not found"
    browser.sign_out(driver)
    assert driver.current_url.endswith("/console/login")


def test_a_planner_reads_coverage_and_the_top_outlet_to_open(live: Live, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    m = live.market
    browser.sign_in(driver, live.url, "planner-console", PASSWORD)
    period = today().strftime("%Y-%m")
    driver.get(f"{live.url}/console/coverage?territory_id={m.region.id}&period={period}")
    api = live.api(
        "planner-console", "/v1/planning/coverage", territory_id=str(m.region.id), period=period
    )
    own = next(r for r in api["rows"] if r["territory_id"] == str(m.region.id))
    assert text(driver, f'tr[data-sku="{own["sku_id"]}"] td.sales') == num(
        float(own["sales_quantity"])
    )
    driver.find_element(By.LINK_TEXT, "R-N").click()
    assert text(driver, "h1").startswith("Coverage × SKU × target: R-N")
    driver.find_element(By.LINK_TEXT, "Outlets to open").click()
    driver.get(f"{live.url}/console/opportunities?territory_id={m.north.id}")
    assert driver.find_elements(By.CSS_SELECTOR, "svg#map polygon")
    top = live.api("planner-console", "/v1/planning/opportunities", territory_id=str(m.north.id))
    assert text(driver, "#prospect-1 strong a") == top[0]["name"]
    assert top[0]["explanation"] in text(driver, "#prospect-1")
    browser.sign_out(driver)


def test_screenshots_are_taken_of_every_main_page(live: Live, driver: Any, tmp_path: Path) -> None:
    accounts = {role: (f"{role}-console", PASSWORD) for role in ("manager", "planner")}
    taken = browser.screenshots(live.url, tmp_path, accounts, driver)
    names = [name for _, _, name in browser.SHOTS]
    assert [p.name for p in taken] == [*names[:3], "photo.png", *names[3:]]
    assert all(Image.open(p).width >= 900 and Image.open(p).height >= 400 for p in taken)
