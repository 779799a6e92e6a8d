"""A real browser: a PM answers the IPIP-50 about themselves (JavaScript on), and sees their
profile scored; leaving one statement out keeps every other answer and says which."""

from __future__ import annotations

import pytest

from twohats.clients.tests.test_browser import browser_page  # noqa: F401 (a fixture)
from twohats.matching.instruments import IPIP_50
from twohats.matching.models import PersonalityProfile
from twohats.test import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pm_fills_in_the_ipip_50_and_sees_their_profile(
    live_server: object,
    browser_page: object,  # noqa: F811 (the fixture imported above)
    cast: Cast,
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    base = str(live_server)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(cast.owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/matching/me/profile/")

    # "Very accurate" (5) to every statement keyed up, "very inaccurate" (1) to every one keyed
    # down: each trait at the top of the scale, 100. Statement 50 is left out at first.
    for item in IPIP_50.items[:-1]:
        page.locator(f"#item_{item.number}_{1 if item.reverse else 5}").check()
    page.get_by_label("I agree", exact=False).check()
    page.get_by_role("button", name="Score and save my profile").click()
    expect(page.get_by_text("1 statement", exact=False).first).to_be_visible()
    assert not PersonalityProfile.objects.exists()
    assert page.locator("#item_49_1").is_checked()  # the answers given are kept

    page.locator("#item_50_5").check()
    if not page.get_by_label("I agree", exact=False).is_checked():
        page.get_by_label("I agree", exact=False).check()
    page.get_by_role("button", name="Score and save my profile").click()
    expect(page.locator("#profile-provenance")).to_contain_text("self-report")
    profile = PersonalityProfile.objects.get(user=cast.owner)
    assert profile.traits == dict.fromkeys(profile.traits, 100.0)
    assert profile.consent_at is not None
