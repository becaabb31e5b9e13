"""The status board in a real browser: headless Chromium (Debian's chromium + chromium-driver) through Selenium.

At a phone's viewport: a liaison signs in through WeCom web OAuth (the emulator), opens the overview, a unit,
an item and downloads the 台账 and a piece of evidence; a leader taps the digest link with JavaScript off.
Every page: no console errors, no script, nothing wider than the screen. Screenshots go to
tests/artifacts/screenshots/ (gitignored; $DUBAN_TEST_ARTIFACTS overrides).

Without chromium/chromedriver the tests are skipped loudly; under CI=true they fail instead (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from store.clock import clock
from store.contacts import add_leader_group
from store.evidence import record_evidence, relative_path
from store.models import Assignment, Task, Unit
from tests.board_support import CORP_ID, SECRET, make_board
from tests.conftest import IN_CI
from wecom.callback import RunningCallback
from wecom.emulator import WeComEmulator

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("DUBAN_TEST_ARTIFACTS", ROOT / "tests" / "artifacts")) / "screenshots"
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
WECOM_UA = ("Mozilla/5.0 (Linux; Android 13; Phone) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
            "Safari/537.36 wxwork/4.1.20 MicroMessenger/7.0.1 Language/zh")


def _browser_paths() -> tuple[str | None, str | None]:
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


@pytest.fixture
def chrome_factory(tmp_path):
    chromium, driver_path = _browser_paths()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if not chromium or not driver_path:
        message = "chromium / chromium-driver / selenium missing (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message + " — CI=true requires the browser tests")
        pytest.skip("SKIPPED BROWSER TESTS: " + message)
    drivers = []

    def make(javascript: bool = True, downloads: Path | None = None):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-extensions", "--lang=zh-CN"):
            options.add_argument(arg)
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE, "userAgent": WECOM_UA})
        prefs = {"download.prompt_for_download": False, "intl.accept_languages": "zh-CN"}
        if downloads is not None:
            prefs["download.default_directory"] = str(downloads)
        if not javascript:
            prefs["profile.managed_default_content_settings.javascript"] = 2
        options.add_experimental_option("prefs", prefs)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


@pytest.fixture
def served_board(db_url, tmp_path):
    emulator = WeComEmulator(corp_id=CORP_ID, corp_secret=SECRET).start()
    board = make_board(emulator, tmp_path)
    running = RunningCallback(board.app, "127.0.0.1", 0).start()
    board.config["web"]["public_url"] = running.url
    yield board, running
    running.stop()
    emulator.stop()


def _wait_for(check, seconds: float = 20.0):
    """Poll until check() is truthy: waiting for the browser to finish a download, not timing anything."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


def _page_ok(driver, name: str, status: int | None = None) -> str:
    """Screenshot, then: no console errors (but the refusal itself when `status` is expected), no script, nothing
    wider than the phone; returns the page text."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    refusal = f"{driver.current_url} - Failed to load resource: the server responded with a status of {status}"
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")
              and not (status and e["message"].startswith(refusal))]
    assert not errors, f"{name}: console errors {errors}"
    assert "<script" not in driver.page_source.lower()
    if driver.execute_script("return true"):
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: the page is {width}px wide on a {PHONE['width']}px screen"
    return driver.find_element("tag name", "body").text


def _evidence_for(unit_name: str, seq: int, root: Path) -> str:
    assignment = (Assignment.select().join(Task).switch(Assignment).join(Unit)
                  .where((Unit.name == unit_name) & (Task.seq == seq)).get())
    data = "会议纪要：已完成初稿。".encode()
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    path = relative_path(sha, "纪要.txt")
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(data)
    record_evidence(assignment.id, None, "czj", "纪要.txt", "file", "text/plain", len(data), sha, path, None,
                    clock.utcnow(), clock.utcnow())
    return path


def test_liaison_signs_in_and_reads_every_page_on_a_phone(served_board, chrome_factory, tmp_path):
    board, running = served_board
    seq = Task.select(Task.seq).join(Assignment).join(Unit).where(Unit.name == "区财政局").order_by(Task.seq).scalar()
    _evidence_for("区财政局", seq, Path(board.config["evidence"]["dir"]))
    board.emulator.set_browser_user("czj")  # the WeCom client on this phone belongs to 区财政局's liaison
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chrome_factory(downloads=downloads)

    driver.get(running.url + "/board/")  # → /board/login → WeCom authorize → /board/oauth → /board/
    assert driver.current_url.startswith(running.url + "/board/")
    text = _page_ok(driver, "1-overview-liaison")
    assert "落后最多的单位" in text and "各单位完成情况" in text
    assert "区审计局" not in text  # a liaison sees their own unit only

    driver.find_element("link text", "单位").click()
    text = _page_ok(driver, "2-units")
    assert "按期完成率" in text and "区财政局" in text and "区审计局" not in text

    driver.find_element("css selector", "table.grid tbody a").click()
    text = _page_ok(driver, "3-unit")
    assert driver.find_element("tag name", "h2").text.startswith("区财政局")

    driver.get(f"{running.url}/board/item/{Task.get(Task.seq == seq).plan.code}/{seq}")
    text = _page_ok(driver, "4-item")
    assert "具体要求" in text and "全部记录" in text and "纪要.txt" in text

    driver.find_element("link text", "纪要.txt").click()
    evidence = _wait_for(lambda: [p for p in downloads.iterdir() if p.name == "纪要.txt"])
    assert evidence and evidence[0].read_text(encoding="utf-8").startswith("会议纪要")

    driver.find_element("link text", "下载台账").click()
    ledger = _wait_for(lambda: [p for p in downloads.iterdir() if p.suffix == ".xlsx"])
    assert ledger, "the 台账 did not download"
    sheet = load_workbook(ledger[0]).worksheets[0]
    cells = "\n".join(str(c or "") for r in sheet.iter_rows(min_row=3, values_only=True) for c in r)
    assert "区财政局：" in cells and "区审计局：" not in cells

    driver.find_element("link text", "查找").click()
    driver.find_element("name", "q").send_keys(str(seq))
    driver.find_element("css selector", "form.search button").click()
    text = _page_ok(driver, "5-search")
    assert "共" in text and f"{seq}" in text


def test_leader_taps_the_digest_link_without_javascript(served_board, chrome_factory):
    from jobs.calendar import WorkCalendar
    from jobs.digest import build_digest

    board, running = served_board
    group = add_leader_group("区政府领导群", webhook_key="0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99")
    digest = build_digest(group, clock.today(), clock.utcnow(), board.config, WorkCalendar())
    link = re.search(r"\[打开督办看板[^]]*\]\((http[^)]+)\)", digest.markdown).group(1)  # what the leader taps
    params = parse_qs(urlsplit(link).query)
    driver = chrome_factory(javascript=False)
    driver.get(link)
    text = _page_ok(driver, "6-digest-link-nojs")
    assert "只读" in text and "区审计局" in text and "区财政局" in text  # the whole plan
    assert driver.find_elements("css selector", "table.chart a") == []  # read-only: no way into details
    driver.get(f"{running.url}/board/link?g={params['g'][0]}&e={params['e'][0]}&s={'0' * 40}")
    text = _page_ok(driver, "7-tampered-link", status=403)
    assert "链接无效" in text
