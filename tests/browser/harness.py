"""Drive Debian's chromium through chromedriver and read what a page did, from the page itself.

`chrome()` starts headless Chrome as the browser tests need it: Debian's binaries only (Selenium
Manager is never asked, so nothing is downloaded), a 1400×900 window, the console and network
logs on. The helpers log in to the admin and report, for the assertions, what a user would
notice: console errors, requests that left 127.0.0.1, elements that scroll sideways, the
favicon's answer; `screenshot()` keeps a picture of the page in tests/artifacts/.

Chrome hands out each log once; the helpers keep every entry since the browser started, so
each of them sees the whole session whichever asked first. Waits are explicit (WebDriverWait
on a condition of the page), never sleeps.
"""

from __future__ import annotations

import base64
import json
import os
import re
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1400, 900)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# How long a page may take to show what a wait looks for: a bound that catches a hang.
WAIT_SECONDS = 30.0
LOCAL_HOST = "127.0.0.1"
INERT_SCHEMES = ("data", "blob")  # never leave the browser

# What every browser test module sets as `pytestmark`: slow, and one xdist group, so a single
# worker runs them in turn (one Chrome at a time) and each module's server serves all its tests.
BROWSER_TESTS = [
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.timeout(400),  # the module's first test waits for its server's migrate, seed and refresh
]

_LOGS: weakref.WeakKeyDictionary[WebDriver, dict[str, list[dict[str, Any]]]] = weakref.WeakKeyDictionary()


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (chromium or chromedriver missing), or None."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not found: the browser tests drive Debian's chromium "
        "(`sudo apt-get install chromium chromium-driver`, or `make test` as root)"
    )


def chrome() -> WebDriver:
    """Headless Chrome, 1400×900, console and network logging on (SE_AVOID_STATS must be set)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--disable-dev-shm-usage",  # small /dev/shm in containers
        "--disable-background-networking",  # no update, sync or field-trial calls home
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_window_size(*WINDOW)
    _LOGS[browser] = {"browser": [], "performance": []}
    return browser


def _log(browser: WebDriver, kind: str) -> list[dict[str, Any]]:
    """Every entry of Chrome's `kind` log since the browser started."""
    kept = _LOGS.setdefault(browser, {"browser": [], "performance": []})[kind]
    kept.extend(browser.get_log(kind))
    return kept


def _network_events(browser: WebDriver) -> list[dict[str, Any]]:
    """The DevTools Network.* events of the session, each as {"method": ..., "params": ...}."""
    events = (json.loads(entry["message"])["message"] for entry in _log(browser, "performance"))
    return [event for event in events if event.get("method", "").startswith("Network.")]


def wait_for(browser: WebDriver, css: str, timeout: float = WAIT_SECONDS) -> None:
    """Wait until an element matching `css` is on the page."""
    WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def open_page(browser: WebDriver, url: str, css: str = "#content", timeout: float = WAIT_SECONDS) -> None:
    """Go to `url` and wait until `css` (by default the admin's content) is on the page."""
    browser.get(url)
    wait_for(browser, css, timeout)


def admin_login(browser: WebDriver, base_url: str, username: str, password: str) -> None:
    """Log in through the admin's login form, as a user would; fail with the page's error if refused."""
    browser.get(f"{base_url}/admin/login/?next=/admin/")
    wait_for(browser, "#id_username")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(browser, WAIT_SECONDS).until(
        expected_conditions.any_of(
            expected_conditions.presence_of_element_located((By.ID, "user-tools")),
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".errornote")),
        )
    )
    refused = browser.find_elements(By.CSS_SELECTOR, ".errornote")
    assert not refused, f"admin login refused: {refused[0].text}"


_API_GET = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin', headers: {Accept: 'application/json'}})
  .then(async (r) => done({status: r.status, body: r.ok ? await r.json() : await r.text()}))
  .catch((error) => done({status: 0, body: String(error)}));
"""


def api_get(browser: WebDriver, path: str) -> Any:
    """GET an API path with the browser's session, as the page's own user; its JSON (a 200 asserted)."""
    answer = browser.execute_async_script(_API_GET, path)
    assert answer["status"] == 200, f"GET {path}: {answer['status']} {answer['body']}"
    return answer["body"]


def console_errors(browser: WebDriver) -> list[str]:
    """Console messages at SEVERE since the browser started (script errors, failed loads such as a 404)."""
    return [entry["message"] for entry in _log(browser, "browser") if entry["level"] == "SEVERE"]


def requested_urls(browser: WebDriver) -> list[str]:
    """Every URL the pages asked for since the browser started (redirects and WebSockets included)."""
    urls = []
    for event in _network_events(browser):
        if event["method"] == "Network.requestWillBeSent":
            urls.append(event["params"]["request"]["url"])
        elif event["method"] == "Network.webSocketCreated":
            urls.append(event["params"]["url"])
    return urls


def off_host_requests(browser: WebDriver) -> list[str]:
    """The requested URLs not on 127.0.0.1 (data: and blob: URLs stay in the browser: not counted)."""
    off = []
    for url in requested_urls(browser):
        parts = urlsplit(url)
        if parts.scheme not in INERT_SCHEMES and parts.hostname != LOCAL_HOST:
            off.append(url)
    return off


def _favicon_urls(browser: WebDriver) -> set[str]:
    linked = browser.execute_script(
        "return [...document.querySelectorAll('link[rel~=\"icon\"]')].map(link => link.href);"
    )
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(browser.current_url))
    return {*linked, f"{origin}/favicon.ico"}


def _favicon_status(browser: WebDriver) -> int | None:
    """The HTTP status (after redirects) of the latest answered fetch of the page's icon, else None.

    A fetch cancelled by leaving the page is no answer; one that failed otherwise answers 0.
    """
    urls = _favicon_urls(browser)
    asked: set[str] = set()
    statuses: dict[str, int] = {}
    for event in _network_events(browser):
        method, params = event["method"], event["params"]
        if method == "Network.requestWillBeSent" and params["request"]["url"] in urls:
            asked.add(params["requestId"])
        elif method == "Network.responseReceived" and params["requestId"] in asked:
            statuses[params["requestId"]] = int(params["response"]["status"])
        elif method == "Network.loadingFailed" and params["requestId"] in asked:
            if params.get("canceled"):
                statuses.pop(params["requestId"], None)
            else:
                statuses.setdefault(params["requestId"], 0)
    return list(statuses.values())[-1] if statuses else None


def wait_for_favicon(browser: WebDriver, timeout: float = WAIT_SECONDS) -> int:
    """Wait until Chrome has fetched the page's icon (it does so after the page loads); its status.

    0 when the fetch failed without an answer. Chrome fetches an icon once per session: a later
    page with the same icon reports that answer.
    """

    def answered(b: WebDriver) -> tuple[int] | None:
        status = _favicon_status(b)
        return None if status is None else (status,)  # a 0 status is an answer too

    (status,) = WebDriverWait(browser, timeout).until(answered)
    return status


# What a user can scroll sideways: the document, and every visible element that scrolls its
# overflow (overflow-x auto or scroll, as Django's `div.results`) with content wider than its box.
# Content spilling out of a box that does not scroll (Django's own `.actions` bar, the index's
# floated sidebar) scrolls nothing unless it widens the document, which counts; boxes that clip
# (overflow hidden: the 1×1 px `.visually-hidden` labels) scroll nothing either.
_SIDEWAYS_SCROLLERS = """
const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + [...el.classList].slice(0, 3).map((name) => '.' + name).join('');
const wider = (el) => el.scrollWidth > el.clientWidth + 1;
const found = [];
const root = document.scrollingElement || document.documentElement;
if (wider(root)) {
  found.push(`document (scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth})`);
}
for (const el of document.body.querySelectorAll('*')) {
  const style = getComputedStyle(el);
  if (!el.getClientRects().length || style.visibility === 'hidden') continue;
  if (['auto', 'scroll'].includes(style.overflowX) && wider(el)) {
    found.push(`${describe(el)} (scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth})`);
  }
}
return found;
"""


def sideways_scrollers(browser: WebDriver) -> list[str]:
    """The document and the visible elements that scroll sideways, each with its widths.

    Django's `div.results` counts: it scrolls its table sideways when the columns do not fit.
    """
    found: list[str] = browser.execute_script(_SIDEWAYS_SCROLLERS)
    return found


def screenshot(browser: WebDriver, name: str) -> Path:
    """Save the whole page (not only the window) as tests/artifacts/<name>.png; return the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    width, height = browser.execute_script(
        "const root = document.documentElement; return [root.scrollWidth, root.scrollHeight];"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
