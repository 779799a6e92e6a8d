"""The contact's perceived similarity through the relationship survey: the item's construct, the
migration that adds it as a new version, and the answer reaching the fit."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.test import Client as Browser
from django.urls import reverse

from twohats.matching.models import FitPolicy, PerceivedSimilarity
from twohats.matching.selectors import explain_pair
from twohats.surveys.catalogue import TEMPLATES, install
from twohats.surveys.models import Construct, Question, Response, SurveyTemplate
from twohats.surveys.selectors import voice_stats
from twohats.surveys.services import invitation_create
from twohats.test import Cast

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
migration = importlib.import_module("twohats.surveys.migrations.0003_similarity_item")


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    install(SurveyTemplate, Question)


def current_relationship() -> SurveyTemplate:
    return SurveyTemplate.objects.current().get(family="relationship")


def answer_relationship(browser: Browser, cast: Cast, similarity: int) -> Response:
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    invitation, token = invitation_create(
        project=cast.project,
        contact=cast.contact,
        template_family="relationship",
        actor=None,
        now=NOW,
    )
    data = {}
    for q in Question.objects.filter(template=invitation.template):
        value = similarity if q.construct == Construct.SIMILARITY else 6
        data[f"q{q.pk}"] = str(value)
    with time_machine.travel(NOW, tick=False):
        page = browser.post(reverse("survey_public:answer", args=[token]), data)
    assert page.status_code == 302, page.content.decode()[:2000]
    return Response.objects.get(invitation=invitation)


def test_the_catalogue_asks_the_contact_about_similarity_on_a_1_to_7_scale() -> None:
    [spec] = [t for t in TEMPLATES if t["family"] == "relationship"]
    [item] = [q for q in spec["questions"] if q["construct"] == Construct.SIMILARITY]
    assert (item["scale_min"], item["scale_max"]) == (1, 7)
    assert item["text"] == migration.ITEM["text"]  # fresh installs match migrated ones
    assert spec["questions"][-1] is item


def test_submitting_the_public_page_records_the_contacts_perceived_similarity(
    client: Browser, cast: Cast
) -> None:
    response = answer_relationship(client, cast, similarity=6)
    [row] = PerceivedSimilarity.objects.all()
    assert (row.pm, row.contact, row.rater, row.value) == (
        cast.owner,
        cast.contact,
        PerceivedSimilarity.Rater.CONTACT,
        6,
    )
    assert row.at == response.submitted_at == NOW
    # The results take the item as a construct of its own, apart from trust.
    stats = voice_stats(Response.objects.all(), min_n=1)
    assert stats.trust.mean is not None and stats.trust.n == 1
    assert stats.constructs[Construct.SIMILARITY].mean == 6
    assert response.nps is None and response.csat is None


def test_the_fit_of_the_pair_then_mentions_perceived_similarity(
    client: Browser, cast: Cast
) -> None:
    policy = FitPolicy.objects.active().rules
    before = explain_pair(cast.owner, cast.contact, policy)
    assert not [p for p in before.parts if p.name == "perceived_similarity"]
    assert any("No perceived similarity" in m for m in before.missing)
    answer_relationship(client, cast, similarity=7)
    after = explain_pair(cast.owner, cast.contact, policy)
    [part] = [p for p in after.parts if p.name == "perceived_similarity"]
    assert part.words == "they see themselves as alike (7.0 of 7)" and part.points > 0
    assert "they see themselves as alike" in after.summary
    assert not any("No perceived similarity" in m for m in after.missing)


def test_a_reverse_keyed_item_on_another_scale_is_turned_round_to_1_to_7(
    client: Browser, cast: Cast
) -> None:
    item = Question.objects.get(template=current_relationship(), construct=Construct.SIMILARITY)
    item.scale_min, item.scale_max, item.reverse_keyed = 1, 5, True
    item.save()
    answer_relationship(client, cast, similarity=2)  # 2 of 5, reversed: 4 of 5 → 5.5 → 6 of 7
    assert PerceivedSimilarity.objects.get().value == 6


def test_the_migration_makes_one_new_current_version_with_the_item() -> None:
    # As on a database installed before the item existed: the current version lacks it.
    old = current_relationship()
    Question.objects.filter(template=old, construct=Construct.SIMILARITY).delete()
    kept = list(Question.objects.filter(template=old).values_list("position", "text", "construct"))
    migration.add_similarity_item(apps, None)
    [current] = SurveyTemplate.objects.current().filter(family="relationship")
    assert current.version == old.version + 1 and current.kind == old.kind
    assert current.name == old.name
    old.refresh_from_db()
    assert old.superseded_at is not None
    # The old version keeps its questions; the new one copies them and adds the item last.
    assert (
        list(Question.objects.filter(template=old).values_list("position", "text", "construct"))
        == kept
    )
    questions = list(Question.objects.filter(template=current).order_by("position"))
    assert [(q.position, q.text, q.construct) for q in questions[:-1]] == kept
    item = questions[-1]
    assert item.construct == Construct.SIMILARITY and item.position == len(kept) + 1
    assert (item.scale_min, item.scale_max, item.required) == (1, 7, True)
    # Run again (or on a fresh install, whose version 1 has it): nothing changes.
    migration.add_similarity_item(apps, None)
    assert SurveyTemplate.objects.filter(family="relationship").count() == 2
    assert (
        Question.objects.filter(
            template__family="relationship",
            template__superseded_at__isnull=True,
            construct=Construct.SIMILARITY,
        ).count()
        == 1
    )
