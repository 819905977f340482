"""Debian's headless Chromium driven by Selenium: the browser tests and the README screenshots.

Selenium comes with the ``dev`` extra and Chromium with Debian's ``chromium`` and
``chromium-driver`` packages; nothing here is imported by the running app.
"""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"
# Tablet width: the narrowest the console is laid out for.
WINDOW = (1024, 900)


def missing() -> str | None:
    """Why no browser can run here, or None when one can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if not any(shutil.which(name) for name in CHROMIUM) or not shutil.which(DRIVER):
        return "Chromium is not installed (apt-get install chromium chromium-driver)"
    return None


def chromium(window: tuple[int, int] = WINDOW) -> WebDriver:
    """A headless Chromium with its driver found on PATH (never downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = next(path for name in CHROMIUM if (path := shutil.which(name)))
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in containers has no user namespaces for the sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={window[0]},{window[1]}",
    ):
        options.add_argument(argument)
    service = Service(executable_path=shutil.which(DRIVER))
    return webdriver.Chrome(options=options, service=service)


def sign_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Fill in and send the sign-in form, as a person would."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/console/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    submit(driver, "form.login button[type=submit]")


def sign_out(driver: WebDriver) -> None:
    submit(driver, "header form button[type=submit]")


def submit(driver: WebDriver, button: str) -> None:
    """Click a form's button and wait for the page it leads to (clicks return before that)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    element = driver.find_element(By.CSS_SELECTOR, button)
    element.click()
    # Mid-navigation Chrome may answer "Node with given id does not belong to the document"
    # (a plain WebDriverException) before the element reads as stale: ask again.
    wait = WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,))
    wait.until(expected_conditions.staleness_of(element))


# (account, page, file): the main pages, as a manager and a planner open them on Monday.
SHOTS = [
    ("manager", "/console/shelf-share?sort=change", "shelf-share.png"),
    ("manager", "/console/alerts", "alerts.png"),
    ("manager", "/console/photos", "photos.png"),
    ("planner", "/console/coverage", "coverage.png"),
    ("planner", "/console/opportunities", "opportunities.png"),
]


def full_page(driver: WebDriver) -> bytes:
    """A PNG of the whole page, below the fold included (Chrome DevTools protocol)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    if not size["width"] or not size["height"]:  # not laid out yet: the visible part will do
        return small(driver.get_screenshot_as_png())
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    return small(base64.b64decode(shot["data"]))


def small(png: bytes) -> bytes:
    """The same picture in 256 colours: a third of the bytes, no visible change for pages."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _first_photo(driver: WebDriver, out: Path) -> list[Path]:
    """The evidence page of the gallery's newest photo, when there is one."""
    from selenium.webdriver.common.by import By

    links = driver.find_elements(By.CSS_SELECTOR, "#cards .card a")
    if not links:
        return []
    driver.get(str(links[0].get_attribute("href")))
    (out / "photo.png").write_bytes(full_page(driver))
    return [out / "photo.png"]


def screenshots(
    base_url: str,
    out: Path,
    accounts: dict[str, tuple[str, str]],
    driver: WebDriver | None = None,
) -> list[Path]:
    """Full-page screenshots of the main pages of a running console into ``out``.

    ``accounts`` gives the username and password to use for "manager" and "planner"; without
    a ``driver``, a Chromium of laptop width is started and closed.
    """
    out.mkdir(parents=True, exist_ok=True)
    own = driver is None
    driver = driver or chromium((1280, 900))
    taken = []
    try:
        for account in dict.fromkeys(a for a, _, _ in SHOTS):
            sign_in(driver, base_url, *accounts[account])
            for _, page, name in (s for s in SHOTS if s[0] == account):
                driver.get(base_url + page)
                (out / name).write_bytes(full_page(driver))
                taken.append(out / name)
                if name == "photos.png":
                    taken += _first_photo(driver, out)
            sign_out(driver)
    finally:
        if own:
            driver.quit()
    return taken


def main() -> None:
    """``scripts/screenshots [URL] [FOLDER]``: screenshots of a running demo console."""
    import sys

    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/console")
    reason = missing()
    if reason:
        raise SystemExit(f"Cannot take screenshots: {reason}.")
    demo = {role: (role, f"{role}-demo") for role in ("manager", "planner")}
    for path in screenshots(base_url.rstrip("/"), out, demo):
        sys.stdout.write(f"{path}\n")


if __name__ == "__main__":
    main()
