"""Admins edit survey templates: in place while no one has answered a version, as a new version
once someone has (or holds an open invitation); the old version, its answers and its open links
stay as they were; bad input changes nothing; only admins reach the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.people.services import api_token_create
from twohats.surveys.catalogue import install
from twohats.surveys.editing import QuestionEdit, Revision, template_revise
from twohats.surveys.models import Construct, Question, Response, SurveyTemplate
from twohats.surveys.selectors import template_versions, voice_stats
from twohats.surveys.services import invitation_create
from twohats.surveys.tests.factories import nps_response, template_of
from twohats.test import Cast, ContactFactory

NEW_WORDING = "Would you recommend [firm] to a friend in your industry?"


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    """The ready-made templates come with a migration; a transactional test run earlier in the
    same process flushes them, so put them back."""
    install(SurveyTemplate, Question)


def edits_of(template: SurveyTemplate) -> list[QuestionEdit]:
    """The template's questions as they are, for a revision to change."""
    return [
        QuestionEdit(
            id=q.pk,
            position=q.position,
            text=q.text,
            required=q.required,
            low_label=q.low_label,
            high_label=q.high_label,
        )
        for q in Question.objects.filter(template=template).order_by("position")
    ]


def reworded(template: SurveyTemplate, text: str = NEW_WORDING) -> list[QuestionEdit]:
    recommend = Question.objects.get(template=template, construct=Construct.RECOMMEND)
    return [
        dataclasses.replace(edit, text=text) if edit.id == recommend.pk else edit
        for edit in edits_of(template)
    ]


def revise(template: SurveyTemplate, by: Any, questions: list[QuestionEdit], **kw: Any) -> Revision:
    header = {
        "name": template.name,
        "language": template.language,
        "introduction": template.introduction,
    }
    return template_revise(template=template, by=by, questions=questions, **(header | kw))


def snapshot() -> tuple[list[Any], list[Any]]:
    """Every template and question as stored, to prove a refusal wrote nothing."""
    return (
        list(SurveyTemplate.objects.order_by("pk").values()),
        list(Question.objects.order_by("pk").values()),
    )


def contact_with_email(cast: Cast) -> Any:
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    return cast.contact


# ---------------------------------------------------------------------------------------------
# The service


def test_it_edits_in_place_a_template_no_one_has_answered(cast: Cast) -> None:
    nps = template_of("nps")
    revision = revise(nps, cast.admin, reworded(nps), name="NPS (short)", language="fr")
    assert revision.changed and not revision.new_version
    assert revision.template.pk == nps.pk and revision.template.version == 1
    nps.refresh_from_db()
    assert (nps.name, nps.language) == ("NPS (short)", "fr")
    assert Question.objects.filter(template=nps, text=NEW_WORDING).exists()
    assert SurveyTemplate.objects.filter(family="nps").count() == 1
    assert "Version 1 saved" in revision.message()


def test_it_makes_a_new_version_of_an_answered_template(cast: Cast) -> None:
    nps = template_of("nps")
    old_texts = list(Question.objects.filter(template=nps).values_list("text", flat=True))
    nps_response(cast.project, cast.contact, 9, reason="Reliable")
    revision = revise(nps, cast.admin, reworded(nps))
    new = revision.template
    assert revision.new_version and new.pk != nps.pk
    assert (new.family, new.version, new.kind, new.created_by) == ("nps", 2, "nps", cast.admin)
    assert new.superseded_at is None
    nps.refresh_from_db()
    assert nps.superseded_at is not None
    assert SurveyTemplate.objects.current().get(family="nps") == new
    assert list(Question.objects.filter(template=nps).values_list("text", flat=True)) == old_texts
    assert Question.objects.filter(template=new, text=NEW_WORDING).count() == 1
    assert Question.objects.filter(template=new).count() == 2
    assert revision.message() == "Version 2 made: version 1 has 1 response and stays as it was."


def test_old_answers_are_still_scored_and_results_name_their_versions(cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 10)
    nps_response(cast.project, ContactFactory.create(client=cast.client), 3)
    revise(template_of("nps"), cast.admin, reworded(template_of("nps")))
    nps_response(cast.project, ContactFactory.create(client=cast.client), 9)
    responses = Response.objects.filter(client=cast.client)
    stats = voice_stats(responses, min_n=1)
    assert (stats.nps.n, stats.nps.promoters, stats.nps.detractors) == (3, 2, 1)
    assert template_versions(responses) == [
        "Net Promoter Score v1 (2 responses)",
        "Net Promoter Score v2 (1 response)",
    ]


def test_an_open_invitation_keeps_the_wording_it_was_issued_with(
    client: Browser, cast: Cast
) -> None:
    nps = template_of("nps")
    old_text = Question.objects.get(template=nps, construct=Construct.RECOMMEND).text
    invitation, token = invitation_create(
        project=cast.project,
        contact=contact_with_email(cast),
        template_family="nps",
        actor=None,
        now=timezone.now(),
    )
    revision = revise(nps, cast.admin, reworded(nps))
    assert revision.new_version and revision.previous_open_invitations == 1
    assert "1 open invitation" in revision.message()
    page = client.get(reverse("survey_public:answer", args=[token]))
    body = page.content.decode()
    assert page.status_code == 200
    assert old_text.split("[firm]")[0] in body
    assert "friend in your industry" not in body
    invitation.refresh_from_db()
    assert invitation.template_id == nps.pk


def test_it_reorders_removes_and_adds_questions_in_place(cast: Cast) -> None:
    nps = template_of("nps")
    recommend, reason = edits_of(nps)
    added = QuestionEdit(
        id=None,
        position=3,
        text="Anything else?",
        required=False,
        construct=Construct.COMMENT,
        free_text=True,
    )
    revise(
        nps,
        cast.admin,
        [
            dataclasses.replace(recommend, position=2),
            dataclasses.replace(reason, position=1),
            added,
        ],
    )
    rows = list(
        Question.objects.filter(template=nps).order_by("position").values_list("construct", "text")
    )
    assert [construct for construct, _ in rows] == ["reason", "recommend", "comment"]
    revise(nps, cast.admin, [dataclasses.replace(recommend, position=1)])
    assert Question.objects.filter(template=nps).count() == 1


def test_an_unchanged_revision_changes_nothing(cast: Cast) -> None:
    nps = template_of("nps")
    nps_response(cast.project, cast.contact, 9)
    before = snapshot()
    revision = revise(nps, cast.admin, edits_of(nps))
    assert not revision.changed and revision.message() == "Nothing was changed."
    assert snapshot() == before


def _answered_nps(cast: Cast) -> SurveyTemplate:
    nps_response(cast.project, cast.contact, 9, reason="Good")
    return template_of("nps")


def _recommend(template: SurveyTemplate) -> Question:
    return Question.objects.get(template=template, construct=Construct.RECOMMEND)


BAD_INPUTS: dict[str, Any] = {
    "no questions": lambda t: ([], {}),
    "duplicate positions": lambda t: (
        [dataclasses.replace(e, position=1) for e in edits_of(t)],
        {},
    ),
    "the recommend item removed": lambda t: (
        [e for e in edits_of(t) if e.id != _recommend(t).pk],
        {},
    ),
    "the recommend item optional": lambda t: (
        [dataclasses.replace(e, required=False) for e in edits_of(t)],
        {},
    ),
    "a rescaled answered item": lambda t: (
        [
            dataclasses.replace(e, scale_min=1, scale_max=5) if e.id == _recommend(t).pk else e
            for e in edits_of(t)
        ],
        {},
    ),
    "a reconstrued answered item": lambda t: (
        [
            dataclasses.replace(e, construct=Construct.COMMENT) if e.id != _recommend(t).pk else e
            for e in edits_of(t)
        ],
        {},
    ),
    "a second recommend item": lambda t: (
        [
            *edits_of(t),
            QuestionEdit(
                id=None, position=9, text="Again?", construct="recommend", scale_min=0, scale_max=10
            ),
        ],
        {},
    ),
    "a question of another template": lambda t: (
        [
            *edits_of(t),
            dataclasses.replace(edits_of(template_of("csat"))[0], position=9),
        ],
        {},
    ),
    "a blank question": lambda t: ([dataclasses.replace(e, text=" ") for e in edits_of(t)], {}),
    "a new question without a construct": lambda t: (
        [*edits_of(t), QuestionEdit(id=None, position=9, text="Why?", free_text=True)],
        {},
    ),
    "a free-text trust question": lambda t: (
        [
            *edits_of(t),
            QuestionEdit(
                id=None, position=9, text="Trust?", construct="firm_trust", free_text=True
            ),
        ],
        {},
    ),
    "a backwards scale": lambda t: (
        [
            *edits_of(t),
            QuestionEdit(
                id=None, position=9, text="Trust?", construct="firm_trust", scale_min=7, scale_max=1
            ),
        ],
        {},
    ),
    "a role question without a role": lambda t: (
        [
            *edits_of(t),
            QuestionEdit(
                id=None, position=9, text="Coach?", construct="role", scale_min=1, scale_max=5
            ),
        ],
        {},
    ),
    "no name": lambda t: (edits_of(t), {"name": "  "}),
    "a made-up language": lambda t: (edits_of(t), {"language": "english!"}),
}

REFUSALS = {
    "no questions": "at least one question",
    "duplicate positions": "cannot share a position",
    "the recommend item removed": "needs the 0–10 likelihood to recommend",
    "the recommend item optional": "must stay required",
    "a rescaled answered item": "cannot change",
    "a reconstrued answered item": "cannot change",
    "a second recommend item": "likelihood to recommend, once",
    "a question of another template": "not a question of this version",
    "a blank question": "has no text",
    "a new question without a construct": "choose what the new question measures",
    "a free-text trust question": "needs a scale",
    "a backwards scale": "from a lower to a higher number",
    "a role question without a role": "which of the project manager's roles",
    "no name": "Give the survey a name",
    "a made-up language": "language as a code",
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_changes_nothing(cast: Cast, case: str) -> None:
    nps = _answered_nps(cast)
    questions, header = BAD_INPUTS[case](nps)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        revise(nps, cast.admin, questions, **header)
    assert refused.value.messages and all(m.strip() for m in refused.value.messages)
    assert REFUSALS[case] in " ".join(refused.value.messages)
    assert snapshot() == before


def test_an_unanswered_item_may_change_what_it_measures_in_place(cast: Cast) -> None:
    relationship = template_of("relationship")
    first = edits_of(relationship)
    first[0] = dataclasses.replace(first[0], construct=Construct.COMMITMENT)
    revise(relationship, cast.admin, first)
    assert Question.objects.get(pk=first[0].id).construct == Construct.COMMITMENT


def test_constructs_keep_one_scale(cast: Cast) -> None:
    relationship = template_of("relationship")
    odd = QuestionEdit(
        id=None, position=99, text="Trust?", construct="firm_trust", scale_min=1, scale_max=5
    )
    with pytest.raises(ValidationError, match="share one scale"):
        revise(relationship, cast.admin, [*edits_of(relationship), odd])


def test_a_replaced_version_cannot_be_revised(cast: Cast) -> None:
    nps = _answered_nps(cast)
    revise(nps, cast.admin, reworded(nps))
    nps.refresh_from_db()
    before = snapshot()
    with pytest.raises(ValidationError, match="replaced by version 2"):
        revise(nps, cast.admin, reworded(nps, "Something else?"))
    assert snapshot() == before


def test_a_third_version_follows_the_second(cast: Cast) -> None:
    nps = _answered_nps(cast)
    second = revise(nps, cast.admin, reworded(nps)).template
    nps_response(cast.project, ContactFactory.create(client=cast.client), 7)
    third = revise(second, cast.admin, reworded(second, "How likely, really?")).template
    assert third.version == 3
    assert SurveyTemplate.objects.current().filter(family="nps").get() == third


# ---------------------------------------------------------------------------------------------
# The pages


def page_data(browser: Browser, template: SurveyTemplate) -> dict[str, Any]:
    """The edit form's fields as the page fills them in."""
    page = browser.get(reverse("surveys:template_edit", args=[template.pk]))
    form, formset = page.context["form"], page.context["formset"]
    data: dict[str, Any] = {name: form.initial.get(name, "") for name in form.fields}
    management = formset.management_form
    for name in management.fields:
        data[f"{formset.prefix}-{name}"] = management.initial.get(name, "")
    for qform in formset.forms:
        for name in qform.fields:
            value = qform.initial.get(name)
            if value is None or value is False:
                continue
            data[f"{qform.prefix}-{name}"] = "on" if value is True else value
    return data


def test_an_admin_edits_through_the_page_and_gets_a_new_version(
    client: Browser, cast: Cast
) -> None:
    nps = _answered_nps(cast)
    client.force_login(cast.admin)
    data = page_data(client, nps)
    data["questions-0-text"] = NEW_WORDING
    data |= {"questions-2-text": "Anything else?", "questions-2-position": "3"}
    data |= {"questions-2-construct": "comment", "questions-2-scale": "text"}
    response = client.post(reverse("surveys:template_edit", args=[nps.pk]), data, follow=True)
    new = SurveyTemplate.objects.current().get(family="nps")
    assert new.version == 2
    assert response.redirect_chain[-1][0] == reverse("surveys:template_detail", args=[new.pk])
    body = response.content.decode()
    assert "Version 2 made: version 1 has 1 response and stays as it was." in body
    assert list(Question.objects.filter(template=new).values_list("construct", flat=True)) == [
        "recommend",
        "reason",
        "comment",
    ]
    old_page = client.get(reverse("surveys:template_detail", args=[nps.pk])).content.decode()
    assert (
        "read-only" in old_page and reverse("surveys:template_edit", args=[nps.pk]) not in old_page
    )


def test_the_page_removes_a_question(client: Browser, cast: Cast) -> None:
    nps = template_of("nps")
    client.force_login(cast.admin)
    data = page_data(client, nps) | {"questions-1-remove": "on"}
    response = client.post(reverse("surveys:template_edit", args=[nps.pk]), data)
    assert response.status_code == 302
    assert list(Question.objects.filter(template=nps).values_list("construct", flat=True)) == [
        "recommend"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"questions-1-position": "1"}, "cannot share a position"),
        ({"questions-0-remove": "on"}, "likelihood to recommend, once"),
        ({"questions-2-text": "New?", "questions-2-position": "5"}, "Say what the new question"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_the_page_shows_bad_input_and_saves_nothing(
    client: Browser, cast: Cast, change: dict[str, str], message: str
) -> None:
    nps = _answered_nps(cast)
    client.force_login(cast.admin)
    data = page_data(client, nps) | change
    before = snapshot()
    response = client.post(reverse("surveys:template_edit", args=[nps.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_edit_page_of_a_replaced_version_leads_to_the_current_one(
    client: Browser, cast: Cast
) -> None:
    nps = _answered_nps(cast)
    new = revise(nps, cast.admin, reworded(nps)).template
    client.force_login(cast.admin)
    response = client.get(reverse("surveys:template_edit", args=[nps.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:template_edit", args=[new.pk])


def test_the_list_shows_versions_and_their_responses(client: Browser, cast: Cast) -> None:
    nps = _answered_nps(cast)
    revise(nps, cast.admin, reworded(nps))
    client.force_login(cast.admin)
    body = client.get(reverse("surveys:template_list")).content.decode()
    assert "version 1</a>: 1 response" in body
    assert reverse("surveys:template_detail", args=[nps.pk]) in body
    assert reverse("surveys:template_list") in client.get(reverse("home")).content.decode()


def _urls(template: SurveyTemplate) -> list[str]:
    return [
        reverse("surveys:template_list"),
        reverse("surveys:template_detail", args=[template.pk]),
        reverse("surveys:template_edit", args=[template.pk]),
    ]


def test_only_admins_reach_the_template_pages(client: Browser, cast: Cast) -> None:
    nps = template_of("nps")
    for who, user in cast.everyone().items():
        client.force_login(user)
        for url in _urls(nps):
            expected = 200 if who == "admin" else 403
            assert client.get(url).status_code == expected, (who, url)
        post = client.post(_urls(nps)[2], {"name": "Hacked"})
        assert post.status_code == (400 if who == "admin" else 403), who
    assert SurveyTemplate.objects.get(pk=nps.pk).name == "Net Promoter Score"
    client.logout()
    for url in _urls(nps):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_an_unknown_template_is_a_404(client: Browser, cast: Cast) -> None:
    client.force_login(cast.admin)
    for url in (
        reverse("surveys:template_detail", args=[999999]),
        reverse("surveys:template_edit", args=[999999]),
    ):
        assert client.get(url).status_code == 404


def test_the_list_page_queries_do_not_grow_with_templates(
    client: Browser, cast: Cast, django_assert_max_num_queries: Any
) -> None:
    client.force_login(cast.admin)
    client.get(reverse("surveys:template_list"))  # warm the session and content types
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("surveys:template_list"))
    for n in range(3):
        nps = template_of("nps")
        nps_response(cast.project, ContactFactory.create(client=cast.client), 9)
        revise(nps, cast.admin, reworded(nps, f"Wording {n}?"))
    for n in range(10):
        SurveyTemplate.objects.create(family=f"extra{n}", kind="nps", name=f"Extra {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("surveys:template_list"))
    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# Results say which version


def test_the_results_page_and_api_name_the_versions_behind_the_results(
    client: Browser, cast: Cast
) -> None:
    nps_response(cast.project, cast.contact, 9, at=timezone.now() - dt.timedelta(days=2))
    revise(template_of("nps"), cast.admin, reworded(template_of("nps")))
    nps_response(cast.project, ContactFactory.create(client=cast.client), 10)
    expected = [
        "Net Promoter Score v1 (1 response)",
        "Net Promoter Score v2 (1 response)",
    ]
    client.force_login(cast.owner)
    page = client.get(reverse("surveys:client_results", args=[cast.client.pk]))
    assert ", ".join(expected) in page.content.decode()
    _, raw = api_token_create(user=cast.owner, name="test")
    api = client.get(
        f"/api/v1/clients/{cast.client.pk}/survey-results",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert api.status_code == 200 and api.json()["versions"] == expected


# ---------------------------------------------------------------------------------------------
# The API


def put(client: Browser, user: Any, template: SurveyTemplate, body: dict[str, Any]) -> Any:
    _, raw = api_token_create(user=user, name="test")
    return client.put(
        f"/api/v1/surveys/templates/{template.pk}",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )


def api_body(template: SurveyTemplate, questions: list[QuestionEdit]) -> dict[str, Any]:
    return {
        "name": template.name,
        "language": template.language,
        "introduction": template.introduction,
        "questions": [
            {"id": q.id, "position": q.position, "text": q.text, "required": q.required}
            for q in questions
        ],
    }


def test_an_admin_revises_a_template_over_the_api(client: Browser, cast: Cast) -> None:
    nps = _answered_nps(cast)
    body = api_body(nps, reworded(nps))
    body["questions"].append(
        {"position": 3, "text": "Anything else?", "measures": "comment", "free_text": True}
    )
    response = put(client, cast.admin, nps, body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["new_version"] is True and data["template"]["version"] == 2
    assert data["message"].startswith("Version 2 made")
    assert [q["measures"] for q in data["template"]["questions"]] == [
        "recommend",
        "reason",
        "comment",
    ]


def test_the_api_refuses_others_and_bad_revisions(client: Browser, cast: Cast) -> None:
    nps = _answered_nps(cast)
    before = snapshot()
    for who in ("owner", "director", "executive"):
        response = put(client, cast.everyone()[who], nps, api_body(nps, reworded(nps)))
        assert response.status_code == 403, who
    refused = put(client, cast.admin, nps, api_body(nps, []))
    assert refused.status_code == 422
    assert "at least one question" in str(refused.json())
    assert snapshot() == before
    unknown = put(client, cast.admin, SurveyTemplate(pk=999999), api_body(nps, reworded(nps)))
    assert unknown.status_code == 404
