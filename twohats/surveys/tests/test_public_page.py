"""The public survey page: no login, one neutral page for every refused link, the form kept on
a validation error, free text escaped, oversize input refused, unsubscribe honoured."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client as Browser
from django.test import override_settings
from django.urls import reverse

from twohats.surveys.catalogue import install
from twohats.surveys.models import (
    Construct,
    Invitation,
    Question,
    Response,
    SurveyOptOut,
    SurveyTemplate,
)
from twohats.surveys.services import invitation_create, invitation_revoke
from twohats.test import Cast

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    """The ready-made templates come with a migration; a transactional test run earlier in the
    same process flushes them, so put them back."""
    install(SurveyTemplate, Question)


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def invite(cast: Cast, family: str = "nps") -> tuple[Invitation, str]:
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    return invitation_create(
        project=cast.project, contact=cast.contact, template_family=family, actor=None, now=NOW
    )


def url(token: str) -> str:
    return reverse("survey_public:answer", args=[token])


def form_data(invitation: Invitation, score: int | None = 9, reason: str = "Reliable") -> dict:
    data: dict[str, str] = {}
    for q in Question.objects.filter(template=invitation.template):
        if q.construct == Construct.RECOMMEND:
            if score is not None:
                data[f"q{q.pk}"] = str(score)
        elif q.is_scale:
            data[f"q{q.pk}"] = str(q.scale_max)
        else:
            data[f"q{q.pk}"] = reason
    return data


@override_settings(FIRM_NAME="Northwind Consulting")
def test_the_page_shows_the_firm_the_project_and_the_survey_only(
    client: Browser, cast: Cast, frozen: object
) -> None:
    invitation, token = invite(cast)
    response = client.get(url(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Northwind Consulting" in body and "Cabin software" in body
    assert "[firm]" not in body
    assert cast.client.name not in body and cast.owner.username not in body
    assert "<script" not in body  # works without JavaScript
    # Each scale is a group of radio buttons with a legend; each text box has a label.
    recommend = Question.objects.get(template=invitation.template, construct=Construct.RECOMMEND)
    assert "<fieldset" in body and "<legend" in body
    assert f'type="radio" name="q{recommend.pk}"' in body
    assert 'name="viewport"' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_a_submission_is_saved_and_thanked(client: Browser, cast: Cast, frozen: object) -> None:
    invitation, token = invite(cast)
    response = client.post(url(token), form_data(invitation, 10))
    assert response.status_code == 302 and response["Location"] == reverse("survey_public:thanks")
    assert client.get(response["Location"]).status_code == 200
    saved = Response.objects.get()
    assert saved.nps == 10 and saved.invitation == invitation


def test_every_refused_link_gets_the_same_page(client: Browser, cast: Cast, frozen: object) -> None:
    revoked, revoked_token = invite(cast, "csat")
    invitation_revoke(revoked, actor=None, now=NOW)
    used, used_token = invite(cast)
    client.post(url(used_token), form_data(used))
    pages = [client.get(url(used_token)), client.post(url(used_token), form_data(used))]
    pages.append(client.get(url(secrets.token_urlsafe(32))))  # a guess
    pages.append(client.get(url("x")))
    pages.append(client.get(url(revoked_token)))
    Invitation.objects.filter(pk=used.pk).update(used_at=None)
    Response.objects.all().delete()
    with time_machine.travel(NOW + 31 * DAY, tick=False):
        pages.append(client.get(url(used_token)))  # expired
    assert {page.status_code for page in pages} == {404}
    assert len({page.content for page in pages}) == 1
    assert Response.objects.count() == 0


def test_a_validation_error_keeps_what_was_filled_in_escaped(
    client: Browser, cast: Cast, frozen: object
) -> None:
    invitation, token = invite(cast)
    script = "<script>alert('x')</script> & more"
    response = client.post(url(token), form_data(invitation, score=None, reason=script))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please answer this question." in body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in body
    assert not Response.objects.exists()
    # A chosen radio button stays chosen.
    response = client.post(url(token), form_data(invitation, score=7, reason="x" * 4001))
    recommend = Question.objects.get(template=invitation.template, construct=Construct.RECOMMEND)
    assert re.search(
        rf'<input type="radio" name="q{recommend.pk}" value="7"[^>]*checked',
        response.content.decode(),
    )


def test_saved_free_text_is_kept_as_written(client: Browser, cast: Cast, frozen: object) -> None:
    invitation, token = invite(cast)
    client.post(url(token), form_data(invitation, reason="<b>great</b>"))
    assert Response.objects.get().answers.filter(text="<b>great</b>").exists()


def test_oversize_input_is_refused_clearly(client: Browser, cast: Cast, frozen: object) -> None:
    invitation, token = invite(cast)
    response = client.post(url(token), form_data(invitation, reason="x" * 4001))
    assert response.status_code == 400
    assert b"under 4000 characters (it has 4001)" in response.content
    data = form_data(invitation)
    data.update({f"extra{n}": "1" for n in range(20)})
    response = client.post(url(token), data)
    assert response.status_code == 400 and b"too many fields" in response.content
    assert not Response.objects.exists()


def test_an_answer_off_the_scale_is_refused(client: Browser, cast: Cast, frozen: object) -> None:
    invitation, token = invite(cast)
    response = client.post(url(token), form_data(invitation, score=11))
    assert response.status_code == 400 and not Response.objects.exists()


def test_the_page_needs_no_login_but_a_csrf_token(cast: Cast, frozen: object) -> None:
    invitation, token = invite(cast)
    strict = Browser(enforce_csrf_checks=True)
    assert strict.get(url(token)).status_code == 200
    assert strict.post(url(token), form_data(invitation)).status_code == 403
    assert not Response.objects.exists()
    csrf = strict.cookies["csrftoken"].value
    data = {**form_data(invitation), "csrfmiddlewaretoken": csrf}
    assert strict.post(url(token), data).status_code == 302
    assert Response.objects.count() == 1


def test_unsubscribe_asks_then_records_and_is_honoured(
    client: Browser, cast: Cast, frozen: object
) -> None:
    _, token = invite(cast)
    unsubscribe = reverse("survey_public:unsubscribe", args=[token])
    assert client.get(unsubscribe).status_code == 200
    assert not SurveyOptOut.objects.exists()  # a GET (a mail scanner) changes nothing
    assert client.post(unsubscribe).status_code == 200
    assert SurveyOptOut.objects.get().contact == cast.contact
    assert client.post(unsubscribe).status_code == 200  # twice is fine
    with pytest.raises(ValidationError, match="opted out"):
        invitation_create(
            project=cast.project,
            contact=cast.contact,
            template_family="csat",
            actor=None,
            now=NOW + 200 * DAY,
        )
    guessed = reverse("survey_public:unsubscribe", args=[secrets.token_urlsafe(32)])
    assert client.post(guessed).status_code == 404
    assert SurveyOptOut.objects.count() == 1
