"""A real headless Chromium: log in, work a case from the queue, approve its reply, log out.

Uses the Debian chromium package (scripts/install-system-deps.sh installs it);
without it the test is skipped, except under CI=true, where it fails.
Screenshots of the queue and of a case page go to tests/artifacts/browser/
(ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.ci import missing

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
STAFF = "anna.staff@clmaster.eu"
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def artifacts_dir() -> Path:
    """tests/artifacts/browser/, kept out of git by tests/artifacts/.gitignore."""
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n!.gitignore\n", encoding="utf-8")
    return folder


def _watch(page: Any) -> list[str]:
    """Console errors and warnings, and uncaught page errors, collected as they come."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login")
    page.fill("#email", STAFF)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (run scripts/install-system-deps.sh)"
        missing(message)
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
    problems = _watch(page)
    _log_in(page, web.base_url)
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


def test_staff_work_a_case_end_to_end_in_the_browser(web, browser) -> None:
    """GIVEN two open cases WHEN a staff member logs in, finds one in the queue, corrects its
    rights, edits and approves its reply, checks the outbox and logs out THEN each step shows
    in the pages, the letter is queued, and the session is gone; screenshots are kept."""
    reference = web.make_case()
    web.make_case(sender="Szabó Éva <szabo.eva@example.hu>", subject="Adatkérés", rights=["access"])
    draft_id = web.drafts(reference)[0].id
    shots = artifacts_dir()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    _log_in(page, web.base_url)
    assert page.locator("tr[data-reference]").count() == 2
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    page.fill("input[name=q]", "kovács")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("tr[data-reference]").count() == 1
    page.click(f"a[href='/cases/{reference}']")
    page.wait_for_url(f"{web.base_url}/cases/{reference}")
    page.uncheck("#classification input[value=erasure]")
    page.check("#classification input[value=objection]")
    page.fill("#rights-reason", "Tiltakozik, nem töröltet.")
    with page.expect_navigation():
        page.click("#classification button[type=submit]")
    assert page.locator("#due time").get_attribute("datetime") == "2026-03-17"

    draft = page.locator(f"#draft-{draft_id}")
    page.fill(f"#draft-{draft_id}-subject", "Kérelmét megkaptuk – " + reference)
    page.fill(f"#draft-{draft_id}-body", "Tisztelt Kovács úr!\n\nKérelmét megkaptuk.\n")
    with page.expect_navigation():
        draft.locator("form.draft-edit button[type=submit]").click()
    assert (
        page.input_value(f"#draft-{draft_id}-body")
        == "Tisztelt Kovács úr!\n\nKérelmét megkaptuk.\n"
    )
    with page.expect_navigation():
        draft.locator("form.draft-approve button[type=submit]").click()
    assert draft.get_attribute("data-state") == "approved"
    assert draft.locator("a.outbox-state.queued").inner_text() == "Küldésre vár"
    page.screenshot(path=str(shots / "case.png"), full_page=True)

    page.click("nav a[href='/outbox']")
    page.wait_for_url(f"{web.base_url}/outbox")
    row = page.locator("tr[data-state=queued]")
    assert row.count() == 1 and reference in row.inner_text()
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    assert page.url.startswith(f"{web.base_url}/login")
    page.goto(f"{web.base_url}/outbox")
    assert page.url.startswith(f"{web.base_url}/login")
    assert web.outbox()[0].subject == "Kérelmét megkaptuk – " + reference
    assert page.locator("script").count() == 0
    assert problems == []
    assert (shots / "queue.png").stat().st_size > 10_000
    assert (shots / "case.png").stat().st_size > 10_000
