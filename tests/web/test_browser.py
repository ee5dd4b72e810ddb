"""A real headless Chromium: log in, open a case from the queue, correct its rights.

Uses the Debian chromium package (scripts/install-system-deps.sh installs it);
without it the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
STAFF = "anna.staff@clmaster.eu"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (run scripts/install-system-deps.sh)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def test_staff_correct_rights_in_the_browser(web, browser) -> None:
    """GIVEN an erasure case due 1 April WHEN a staff member logs in, opens it from the
    queue and corrects it to an objection THEN the page shows the new deadline, 17 March."""
    reference = web.make_case()
    page = browser.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{web.base_url}/")
    assert page.url.startswith(f"{web.base_url}/login")
    page.fill("#email", STAFF)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{web.base_url}/")
    assert page.locator("h1").inner_text() == "Nyitott ügyek"

    page.click(f"text={reference}")
    page.wait_for_url(f"{web.base_url}/cases/{reference}")
    assert page.locator("#due time").get_attribute("datetime") == "2026-04-01"
    page.uncheck("#classification input[value=erasure]")
    page.check("#classification input[value=objection]")
    page.fill("#rights-reason", "Tiltakozik az adatkezelés ellen, nem töröltet.")
    page.click("#classification button[type=submit]")
    page.wait_for_url(f"{web.base_url}/cases/{reference}")

    due = page.locator("#due time")
    assert due.get_attribute("datetime") == "2026-03-17"
    assert due.inner_text() == "2026. 03. 17."
    assert page.locator("#classification input[value=objection]").is_checked()
    assert page.locator("#timeline li[data-kind=rights_corrected]").count() == 1
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)", "the stylesheet did not load under the CSP"
    assert problems == []
