"""A client answers a survey in a real browser with JavaScript off, as on a locked-down phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from twohats.clients.tests.test_browser import browser_page  # noqa: F401 (a fixture)
from twohats.surveys.catalogue import install
from twohats.surveys.models import Question, Response, SurveyTemplate
from twohats.surveys.services import invitation_create
from twohats.test import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def token(cast: Cast) -> Iterator[str]:
    install(SurveyTemplate, Question)
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    _, token = invitation_create(
        project=cast.project,
        contact=cast.contact,
        template_family="nps",
        actor=None,
        now=timezone.now(),
    )
    yield token


def test_a_client_answers_without_javascript(
    live_server: object,
    browser_page: object,  # noqa: F811 (the fixture imported above)
    token: str,
    cast: Cast,
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    # The same browser, with scripts off: a new context of it.
    context = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}/s/{token}/")
        expect(phone.get_by_text(cast.project.name)).to_be_visible()
        # Sending nothing keeps the client on the form with the message, and writes nothing.
        phone.get_by_role("button", name="Send my answers").click()
        expect(phone.get_by_role("button", name="Send my answers")).to_be_visible()
        assert Response.objects.count() == 0
        phone.get_by_label("9", exact=True).check()
        phone.get_by_label("What is the main reason for your score?").fill("Straight answers.")
        phone.get_by_role("button", name="Send my answers").click()
        expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
        response = Response.objects.get()
        assert response.nps == 9 and response.contact_id == cast.contact.pk
    finally:
        context.close()
