"""The profile pages: my own (consent, latest flag, answers kept on error), a staff member's for
their director and admins only, a contact's for those who see the client, working styles,
perceived similarity, erasure with its record, nothing on the client's survey page, and query
budgets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.matching.instruments import TRAITS
from twohats.matching.models import (
    Erasure,
    PerceivedSimilarity,
    PersonalityProfile,
    ProfileAnswer,
    WorkingStyle,
)
from twohats.matching.services import (
    profile_record_contact,
    profile_record_self,
    working_style_set,
)
from twohats.matching.tests.test_instruments import IPIP_SHEET, MINI_SHEET
from twohats.people.models import User
from twohats.surveys.catalogue import install
from twohats.surveys.models import Question, SurveyTemplate
from twohats.surveys.services import invitation_create
from twohats.test import Cast, ContactFactory

# The hand-scored results of the two sheets (see test_instruments).
IPIP_SCORES = {"extraversion": 62.5, "agreeableness": 82.5, "conscientiousness": 80.0}
MINI_SCORES = {"extraversion": 87.5, "agreeableness": 81.25, "conscientiousness": 37.5}


def browser(user: User) -> Browser:
    b = Browser()
    b.force_login(user)
    return b


def form_of(sheet: dict[int, int], **extra: str) -> dict[str, str]:
    return {f"item_{n}": str(v) for n, v in sheet.items()} | extra


def me_url() -> str:
    return reverse("matching:me")


def person_url(user: User) -> str:
    return reverse("matching:person", args=[user.pk])


def contact_url(cast: Cast) -> str:
    return reverse("matching:contact", args=[cast.contact.pk])


def history_of(obj: models.Model) -> LogEntry:
    """A history row as auditlog writes it, for a model that may be registered one day."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_pk=str(obj.pk),
        object_id=obj.pk,
        object_repr=str(obj),
        action=LogEntry.Action.CREATE,
        changes={"extraversion": ["None", "62.5"]},
    )


# ---------------------------------------------------------------------------------------------
# My profile


def test_it_keeps_nothing_without_consent_and_keeps_the_answers(cast: Cast) -> None:
    response = browser(cast.owner).post(me_url(), form_of(IPIP_SHEET))
    assert response.status_code == 400
    assert not PersonalityProfile.objects.exists() and not ProfileAnswer.objects.exists()
    html = response.content.decode()
    assert "kept only with your consent" in html
    # The answers come back checked, so nothing has to be answered twice.
    assert 'id="item_1_4" value="4" required checked' in html
    assert 'id="item_50_5" value="5" required checked' in html
    with pytest.raises(ValidationError, match="consent"):
        profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=False)


def test_it_requires_every_statement(cast: Cast) -> None:
    sheet = {n: v for n, v in IPIP_SHEET.items() if n not in (7, 33)}
    response = browser(cast.owner).post(me_url(), form_of(sheet, consent="on"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "2 statements still need an answer" in html
    assert 'id="item_7_error"' in html and 'id="item_33_error"' in html
    assert 'id="item_8_1" value="1" required checked' in html
    assert not PersonalityProfile.objects.exists()


def test_it_scores_and_keeps_my_profile_with_consent(cast: Cast) -> None:
    response = browser(cast.owner).post(me_url(), form_of(IPIP_SHEET, consent="on"))
    assert response.status_code == 302 and response["Location"] == me_url()
    profile = PersonalityProfile.objects.get(user=cast.owner)
    assert (profile.source, profile.instrument, profile.rated_by) == ("self", "ipip50", cast.owner)
    assert profile.consent_at is not None and profile.is_latest
    assert {t: profile.traits[t] for t in IPIP_SCORES} == IPIP_SCORES
    assert profile.answers.count() == 50
    page = browser(cast.owner).get(me_url()).content.decode()
    assert "self-report" in page and "Your own answers to the IPIP" in page
    assert 'aria-valuenow="62"' in page or 'aria-valuenow="63"' in page  # 62.5, rounded
    assert "<strong>82</strong> / 100" in page or "<strong>83</strong> / 100" in page
    assert "your practice director and administrators; not by executives" in page


def test_the_latest_flag_moves_to_the_new_profile(cast: Cast) -> None:
    first = profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    second = profile_record_self(
        user=cast.owner, answers=dict.fromkeys(range(1, 51), 5), consent=True
    )
    first.refresh_from_db()
    assert not first.is_latest and second.is_latest
    assert list(PersonalityProfile.objects.current().filter(user=cast.owner)) == [second]
    # A contact's ratings have their own latest.
    a = profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    b = profile_record_contact(contact=cast.contact, by=cast.director, answers=MINI_SHEET)
    a.refresh_from_db()
    assert not a.is_latest and b.is_latest and second.is_latest


def test_my_page_works_without_javascript(cast: Cast) -> None:
    html = browser(cast.owner).get(me_url()).content.decode()
    assert html.count('type="radio"') == 250 and html.count("<fieldset") >= 50
    assert "<legend" in html and "1. Am the life of the party." in html
    assert 'method="post" action="/matching/me/profile/"' in html and 'type="submit"' in html
    assert "Very inaccurate" in html and "Neither accurate nor inaccurate" in html
    assert 'name="consent"' in html
    assert "hx-post" not in html and "hx-get" not in html


def test_the_menu_links_to_my_profile(cast: Cast) -> None:
    html = browser(cast.teammate).get(reverse("home")).content.decode()
    assert f'href="{me_url()}">Personality and working style' in html


def test_i_set_my_working_style(cast: Cast) -> None:
    b = browser(cast.owner)
    b.post(reverse("matching:me_style"), {"tags": ["written", "detail"]})
    assert WorkingStyle.objects.get(user=cast.owner).tags == ["detail", "written"]
    assert b.get(me_url()).content.decode().count("checked") == 2
    b.post(reverse("matching:me_style"), {"tags": ["nonsense"]})
    assert WorkingStyle.objects.get(user=cast.owner).tags == ["detail", "written"]


# ---------------------------------------------------------------------------------------------
# A staff member's profile


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("executive", 404),
        ("teammate", 404),
        ("outsider", 404),
    ],
)
def test_a_staff_profile_is_for_the_person_their_director_and_admins(
    cast: Cast, who: str, status: int
) -> None:
    profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    viewer = cast.everyone()[who]
    response = browser(viewer).get(person_url(cast.owner))
    assert response.status_code == status
    seen = PersonalityProfile.objects.visible_to(viewer).filter(user=cast.owner).exists()
    assert seen == (status == 200)
    if status == 200:
        html = response.content.decode()
        assert "self-report" in html and "kept with their consent" in html
        assert "<strong>62</strong>" in html or "<strong>63</strong>" in html


def test_the_person_is_sent_to_their_own_page(cast: Cast) -> None:
    response = browser(cast.owner).get(person_url(cast.owner))
    assert response.status_code == 302 and response["Location"] == me_url()


def test_only_an_admin_erases_a_staff_profile(cast: Cast) -> None:
    profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    erase = reverse("matching:person_erase", args=[cast.owner.pk])
    assert "Erase" not in browser(cast.director).get(person_url(cast.owner)).content.decode()
    assert browser(cast.director).post(erase, {"confirm": "on"}).status_code == 403
    assert browser(cast.executive).post(erase, {"confirm": "on"}).status_code == 404
    response = browser(cast.admin).post(erase, {"confirm": "on"})
    assert response.status_code == 302
    assert not PersonalityProfile.objects.exists()
    erasure = Erasure.objects.get()
    assert (erasure.subject, erasure.erased_by) == (f"user:{cast.owner.pk}", cast.admin)


# ---------------------------------------------------------------------------------------------
# A contact's profile


@pytest.mark.parametrize(
    ("who", "status", "rates"),
    [
        ("owner", 200, True),
        ("director", 200, True),
        ("admin", 200, True),
        ("teammate", 200, False),
        ("executive", 200, False),
        ("outsider", 404, False),
        ("other_director", 404, False),
    ],
)
def test_a_contact_profile_is_for_staff_who_see_the_client(
    cast: Cast, who: str, status: int, rates: bool
) -> None:
    profile_record_contact(
        contact=cast.contact, by=cast.owner, answers=MINI_SHEET, rated_on=dt.date(2026, 3, 2)
    )
    response = browser(cast.everyone()[who]).get(contact_url(cast))
    assert response.status_code == status
    if status == 404:
        return
    html = response.content.decode()
    assert f"The rating of {cast.owner} on 2026-03-02" in html
    assert "a judgement, not the contact’s own answers" in html
    assert "<strong>88</strong> / 100" in html  # extraversion 87.5
    assert ('name="item_20"' in html) == rates
    assert ("Erase Marie Curie’s profile" in html) == rates


def test_a_pm_rates_a_contact_and_a_viewer_may_not(cast: Cast) -> None:
    assert browser(cast.teammate).post(contact_url(cast), form_of(MINI_SHEET)).status_code == 403
    incomplete = form_of({n: v for n, v in MINI_SHEET.items() if n != 20})
    response = browser(cast.owner).post(contact_url(cast), incomplete)
    assert response.status_code == 400 and "1 statement still needs an answer" in response.text
    assert not PersonalityProfile.objects.exists()
    response = browser(cast.owner).post(contact_url(cast), form_of(MINI_SHEET))
    assert response.status_code == 302
    profile = PersonalityProfile.objects.get(contact=cast.contact)
    assert (profile.source, profile.instrument, profile.rated_by) == (
        "observer",
        "mini_ipip",
        cast.owner,
    )
    assert profile.consent_at is None
    assert {t: profile.traits[t] for t in MINI_SCORES} == MINI_SCORES


def test_the_contact_page_links_to_the_profile(cast: Cast) -> None:
    html = browser(cast.teammate).get(cast.contact.get_absolute_url()).content.decode()
    assert f'href="{contact_url(cast)}"' in html


def test_contact_working_style_needs_edit_rights(cast: Cast) -> None:
    url = reverse("matching:contact_style", args=[cast.contact.pk])
    assert browser(cast.teammate).post(url, {"tags": ["formal"]}).status_code == 403
    assert browser(cast.outsider).post(url, {"tags": ["formal"]}).status_code == 404
    browser(cast.owner).post(url, {"tags": ["formal", "fast"]})
    assert WorkingStyle.objects.get(contact=cast.contact).tags == ["fast", "formal"]
    html = browser(cast.teammate).get(contact_url(cast)).content.decode()
    assert "Decides fast" in html and 'name="tags"' not in html


def test_perceived_similarity_once_the_pair_has_worked_together(cast: Cast) -> None:
    url = reverse("matching:contact_similarity", args=[cast.contact.pk])
    # The owner met the contact in the cast's interaction; the director never did.
    assert "How alike are you?" in browser(cast.owner).get(contact_url(cast)).text
    assert "How alike are you?" not in browser(cast.director).get(contact_url(cast)).text
    assert browser(cast.director).post(url, {"value": "5"}).status_code == 403
    assert browser(cast.teammate).post(url, {"value": "5"}).status_code == 403
    browser(cast.owner).post(url, {"value": "9"})
    assert not PerceivedSimilarity.objects.exists()
    browser(cast.owner).post(url, {"value": "6"})
    seen = PerceivedSimilarity.objects.get()
    assert (seen.pm, seen.contact, seen.rater, seen.value) == (cast.owner, cast.contact, "pm", 6)
    assert (
        "Your last answer: <strong>6</strong> of 7"
        in browser(cast.owner).get(contact_url(cast)).content.decode()
    )


# ---------------------------------------------------------------------------------------------
# Erasure


def test_erasing_my_profile_removes_answers_profiles_style_and_history(cast: Cast) -> None:
    first = profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    second = profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    style = working_style_set(by=cast.owner, user=cast.owner, tags=["fast"])
    for obj in (first, second, style, *second.answers.all()[:2]):
        history_of(obj)
    # Someone else's profile and its history stay.
    other = profile_record_self(user=cast.teammate, answers=IPIP_SHEET, consent=True)
    kept = history_of(other)
    b = browser(cast.owner)
    assert b.get(reverse("matching:me_erase")).status_code == 200
    # Without the confirmation nothing goes.
    assert b.post(reverse("matching:me_erase"), {}).status_code == 400
    assert PersonalityProfile.objects.filter(user=cast.owner).count() == 2
    response = b.post(reverse("matching:me_erase"), {"confirm": "on"})
    assert response.status_code == 302
    assert not PersonalityProfile.objects.filter(user=cast.owner).exists()
    assert ProfileAnswer.objects.filter(profile__user=cast.teammate).count() == 50
    assert ProfileAnswer.objects.count() == 50
    assert not WorkingStyle.objects.filter(user=cast.owner).exists()
    assert list(LogEntry.objects.filter(content_type__app_label="matching")) == [kept]
    erasure = Erasure.objects.get()
    assert (erasure.subject, erasure.erased_by, erasure.profiles, erasure.answers) == (
        f"user:{cast.owner.pk}",
        cast.owner,
        2,
        100,
    )
    assert erasure.erased_at <= timezone.now()


def test_erasing_a_contact_profile(cast: Cast) -> None:
    profile = profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    working_style_set(by=cast.owner, contact=cast.contact, tags=["formal"])
    history_of(profile)
    url = reverse("matching:contact_erase", args=[cast.contact.pk])
    assert browser(cast.teammate).post(url, {"confirm": "on"}).status_code == 403
    assert browser(cast.outsider).post(url, {"confirm": "on"}).status_code == 404
    assert browser(cast.executive).post(url, {"confirm": "on"}).status_code == 403
    assert browser(cast.owner).post(url, {"confirm": "on"}).status_code == 302
    assert not PersonalityProfile.objects.exists() and not ProfileAnswer.objects.exists()
    assert not WorkingStyle.objects.exists()
    assert not LogEntry.objects.filter(content_type__app_label="matching").exists()
    erasure = Erasure.objects.get()
    assert (erasure.subject, erasure.profiles, erasure.answers) == (
        f"contact:{cast.contact.pk}",
        1,
        20,
    )
    assert "No profile yet." in browser(cast.owner).get(contact_url(cast)).text


def test_the_erasure_list_is_for_admins(cast: Cast) -> None:
    profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    browser(cast.owner).post(
        reverse("matching:contact_erase", args=[cast.contact.pk]), {"confirm": "on"}
    )
    url = reverse("matching:erasures")
    for who in ("owner", "director", "executive"):
        assert browser(cast.everyone()[who]).get(url).status_code == 404
    html = browser(cast.admin).get(url).content.decode()
    assert "Marie Curie (Aerolux)" in html and str(cast.owner) in html


# ---------------------------------------------------------------------------------------------
# Nothing on the client's side


def test_no_profile_data_on_the_public_survey_page(cast: Cast) -> None:
    install(SurveyTemplate, Question)
    profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    working_style_set(by=cast.owner, contact=cast.contact, tags=["formal", "early_warning"])
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    _, token = invitation_create(
        project=cast.project,
        contact=cast.contact,
        template_family="relationship",
        actor=cast.owner,
        now=timezone.now(),
    )
    response = Browser().get(reverse("survey_public:answer", args=[token]))
    assert response.status_code == 200
    html = response.content.decode().lower()
    for word in (*TRAITS, "emotional stability", "personality", "mini-ipip", "judgement"):
        assert word not in html, word
    assert "wants bad news early" not in html and "working style" not in html
    assert "matching" not in html


# ---------------------------------------------------------------------------------------------
# Query budgets: the same with one profile and with many


def _fill(cast: Cast, n: int) -> None:
    for _ in range(n):
        profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
        profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    working_style_set(by=cast.owner, user=cast.owner, tags=["fast", "formal"])
    working_style_set(by=cast.owner, contact=cast.contact, tags=["fast"])
    for _ in range(n):
        ContactFactory.create(client=cast.client)


@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize(
    ("page", "who", "budget"),
    [("me", "owner", 6), ("person", "director", 6), ("contact", "owner", 11)],
)
def test_profile_pages_keep_their_query_budget(
    cast: Cast, django_assert_max_num_queries: Any, n: int, page: str, who: str, budget: int
) -> None:
    _fill(cast, n)
    url = {"me": me_url(), "person": person_url(cast.owner), "contact": contact_url(cast)}[page]
    b = browser(cast.everyone()[who])
    b.get(url)  # warm the content-type and session caches
    with django_assert_max_num_queries(budget):
        assert b.get(url).status_code == 200
