"""A real browser signs in, opens a client and logs an interaction through the HTMX form."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.db import connections

from twohats.interactions.models import Interaction
from twohats.test import PASSWORD, Cast

CHROMIUM = "/usr/bin/chromium"
# Chromium is started with the network features off: the machine has no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    "--metrics-recording-only",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if os.getenv("TWOHATS_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and browser tests are required")
        pytest.skip(f"{CHROMIUM} is not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # The test's own queries ran beside Playwright's event loop, on a connection of
            # their own context; close it so the test database can be dropped.
            connections.close_all()


def test_it_signs_in_opens_a_client_and_logs_an_interaction(
    live_server: object, browser_page: object, cast: Cast
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    base = str(live_server)
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")
    page.get_by_label("Username").fill(cast.owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", exact=False)).to_be_visible()

    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Aerolux").click()
    expect(page.get_by_role("heading", name="Aerolux", level=1)).to_be_visible()

    # Mark the page so that a full reload would be noticed.
    page.evaluate("window.__stillHere = true")
    form = page.locator("#interaction-form")
    form.get_by_label("Kind").select_option(label="Workshop")
    form.get_by_label("Channel").select_option(label="In person")
    form.get_by_label("Location").select_option(label="Client site")
    form.get_by_label("Client people").select_option(label="Marie Curie")
    form.get_by_label("Coach").check()
    form.get_by_label("Summary").fill("Trained the client's testers on the new release process.")
    form.get_by_role("button", name="Log interaction").click()

    expect(page.get_by_text("Interaction logged.")).to_be_visible()
    timeline = page.locator("#timeline-items")
    expect(timeline.locator("li").first).to_contain_text("Trained the client's testers")
    assert page.evaluate("window.__stillHere") is True
    logged = Interaction.objects.get(summary__startswith="Trained the client's testers")
    assert logged.kind == "workshop"
    assert logged.roles == ["implementer", "coach"]
    assert [c.name for c in logged.contacts.all()] == ["Marie Curie"]

    # Bad input stays in the form with its message; nothing is written.
    form.get_by_label("Summary").fill("")
    form.get_by_role("button", name="Log interaction").click()
    expect(form.locator("#id_summary_error")).to_have_text("This field is required.")
    assert Interaction.objects.filter(client=cast.client).count() == 2
