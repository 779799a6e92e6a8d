"""The contact's perceived similarity to the PM: a new construct, and a new version of the
relationship-quality template with one 1–7 item measuring it.

As `editing.template_revise` does for a template in use: the current version is superseded and
the next one carries its questions, copied, plus the new item; the old version keeps its
questions for the responses already given to it. What the migration needs is frozen here (the
item, the fields copied), so later changes to the catalogue or the editing code do not alter it.
A family whose current version already has the item (a fresh install, where the catalogue
includes it) is left alone.
"""

from django.db import migrations, models
from django.utils import timezone

FAMILY = "relationship"
ITEM = {
    "text": "Our project manager and I are alike in how we think and work.",
    "construct": "similarity",
    "scale_min": 1,
    "scale_max": 7,
    "low_label": "Strongly disagree",
    "high_label": "Strongly agree",
    "required": True,
    "reverse_keyed": False,
    "role": "",
}
QUESTION_FIELDS = [
    "position",
    "text",
    "construct",
    "scale_min",
    "scale_max",
    "low_label",
    "high_label",
    "required",
    "reverse_keyed",
    "role",
]
HEADER_FIELDS = ["family", "kind", "name", "language", "introduction"]


def add_similarity_item(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    Question = apps.get_model("surveys", "Question")
    current = (
        SurveyTemplate.objects.select_for_update()
        .filter(family=FAMILY, superseded_at__isnull=True)
        .first()
    )
    if current is None:
        return
    questions = list(Question.objects.filter(template=current).order_by("position"))
    if any(q.construct == ITEM["construct"] for q in questions):
        return
    now = timezone.now()
    current.superseded_at = now
    current.save(update_fields=["superseded_at"])
    template = SurveyTemplate.objects.create(
        version=current.version + 1,
        created_at=now,
        created_by=None,
        **{name: getattr(current, name) for name in HEADER_FIELDS},
    )
    for question in questions:
        Question.objects.create(
            template=template, **{name: getattr(question, name) for name in QUESTION_FIELDS}
        )
    last = max((q.position for q in questions), default=0)
    Question.objects.create(template=template, position=last + 1, **ITEM)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_ready_made_templates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="question",
            name="construct",
            field=models.CharField(
                choices=[
                    ("recommend", "Likelihood to recommend"),
                    ("reason", "Reason"),
                    ("satisfaction", "Satisfaction"),
                    ("cognitive_trust", "Cognitive trust in the PM"),
                    ("affective_trust", "Affective trust in the PM"),
                    ("firm_trust", "Trust in the firm"),
                    ("commitment", "Commitment to continue"),
                    ("similarity", "Perceived similarity to the PM"),
                    ("role", "A role of the PM"),
                    ("pm_rating", "Rating of the PM"),
                    ("firm_rating", "Rating of the firm"),
                    ("comment", "Comment"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(add_similarity_item, migrations.RunPython.noop),
    ]
