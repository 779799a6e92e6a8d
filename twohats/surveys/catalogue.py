"""The ready-made survey templates, in our own wording (published trust scales are copyrighted).

Installed by a data migration through `install`, which takes the model classes so that the
migration can pass its historical models. Admins edit them afterwards; an edit to a template
that has responses makes a new version."""

from __future__ import annotations

from typing import Any

FIRM = "[firm]"  # replaced by the firm's name when shown

SCALE_10 = {
    "scale_min": 0,
    "scale_max": 10,
    "low_label": "Not at all likely",
    "high_label": "Extremely likely",
}
SCALE_5 = {
    "scale_min": 1,
    "scale_max": 5,
    "low_label": "Very dissatisfied",
    "high_label": "Very satisfied",
}
AGREE_7 = {
    "scale_min": 1,
    "scale_max": 7,
    "low_label": "Strongly disagree",
    "high_label": "Strongly agree",
}
ROLE_5 = {"scale_min": 1, "scale_max": 5, "low_label": "Not at all", "high_label": "Very much"}
RATE_10 = {"scale_min": 0, "scale_max": 10, "low_label": "Very poor", "high_label": "Excellent"}
TEXT: dict[str, Any] = {"required": False}

TEMPLATES: list[dict[str, Any]] = [
    {
        "family": "nps",
        "kind": "nps",
        "name": "Net Promoter Score",
        "questions": [
            {
                "text": f"How likely are you to recommend {FIRM} to a colleague?",
                "construct": "recommend",
                **SCALE_10,
            },
            {"text": "What is the main reason for your score?", "construct": "reason", **TEXT},
        ],
    },
    {
        "family": "csat",
        "kind": "csat",
        "name": "Satisfaction with a milestone or delivery",
        "questions": [
            {
                "text": "How satisfied are you with what was delivered?",
                "construct": "satisfaction",
                **SCALE_5,
            },
            {"text": "What could we have done better?", "construct": "comment", **TEXT},
        ],
    },
    {
        "family": "relationship",
        "kind": "relationship",
        "name": "Relationship quality",
        "questions": [
            {
                "text": "Our project manager does what they say they will do.",
                "construct": "cognitive_trust",
                **AGREE_7,
            },
            {
                "text": "Our project manager knows their field thoroughly.",
                "construct": "cognitive_trust",
                **AGREE_7,
            },
            {
                "text": (
                    "I sometimes have to check our project manager's work before relying on it."
                ),
                "construct": "cognitive_trust",
                "reverse_keyed": True,
                **AGREE_7,
            },
            {
                "text": (
                    "Our project manager cares about what matters to us, not only about the "
                    "contract."
                ),
                "construct": "affective_trust",
                **AGREE_7,
            },
            {
                "text": "I could raise a difficult problem with our project manager openly.",
                "construct": "affective_trust",
                **AGREE_7,
            },
            {
                "text": f"{FIRM} acts in our interest even when no one is checking.",
                "construct": "firm_trust",
                **AGREE_7,
            },
            {
                "text": f"I doubt {FIRM} would put our needs ahead of its own.",
                "construct": "firm_trust",
                "reverse_keyed": True,
                **AGREE_7,
            },
            {
                "text": f"We intend to keep working with {FIRM}.",
                "construct": "commitment",
                **AGREE_7,
            },
            {
                "text": f"Overall, we are satisfied with our relationship with {FIRM}.",
                "construct": "satisfaction",
                **AGREE_7,
            },
            {
                # Last, as migration 0003 appended it to the version then current.
                "text": "Our project manager and I are alike in how we think and work.",
                "construct": "similarity",
                **AGREE_7,
            },
        ],
    },
    {
        "family": "roles",
        "kind": "roles",
        "name": "The project manager's roles as you see them",
        "questions": [
            {
                "text": "Delivers what was agreed, on time and on budget.",
                "role": "implementer",
                "construct": "role",
                **ROLE_5,
            },
            {
                "text": "Helps our people learn and grow while the work gets done.",
                "role": "coach",
                "construct": "role",
                **ROLE_5,
            },
            {
                "text": "Spots opportunities where more could be done for us.",
                "role": "entrepreneur",
                "construct": "role",
                **ROLE_5,
            },
            {
                "text": "Understands who decides what on our side and works with it.",
                "role": "politician",
                "construct": "role",
                **ROLE_5,
            },
            {
                "text": "Is someone we enjoy working with and trust personally.",
                "role": "friend",
                "construct": "role",
                **ROLE_5,
            },
            {
                "text": f"Shows us what else {FIRM} could offer us.",
                "role": "marketer",
                "construct": "role",
                **ROLE_5,
            },
        ],
    },
    {
        "family": "pm_vs_firm",
        "kind": "pm_vs_firm",
        "name": "The project manager and the firm",
        "questions": [
            {
                "text": "How would you rate your project manager?",
                "construct": "pm_rating",
                **RATE_10,
            },
            {
                "text": f"How would you rate {FIRM} as a whole?",
                "construct": "firm_rating",
                **RATE_10,
            },
        ],
    },
]


def install(template_model: Any, question_model: Any) -> None:
    """Create version 1 of each ready-made template that is not there yet."""
    for spec in TEMPLATES:
        if template_model.objects.filter(family=spec["family"]).exists():
            continue
        template = template_model.objects.create(
            family=spec["family"], version=1, kind=spec["kind"], name=spec["name"]
        )
        question_model.objects.bulk_create(
            question_model(template=template, position=n, **question)
            for n, question in enumerate(spec["questions"], start=1)
        )
