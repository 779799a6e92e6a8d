"""The fit policy's schema: the weights of the fit model's parts, the norms traits are
standardised against, and the thresholds staffing and continuity use. The evidence that
measured personality similarity matters is mixed, so the default weights of the personality
parts are modest; `twohats fit calibrate` proposes weights from the firm's own outcomes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twohats.matching.instruments import TRAITS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Norm(Strict):
    mean: float = Field(50, ge=0, le=100)
    sd: float = Field(15, gt=0, le=50)


# The parts of the fit score, in the order they are explained.
PARTS = (
    "trait_similarity",
    "profile_distance",
    "profile_correlation",
    "perceived_similarity",
    "pm_levels",
    "client_experience",
    "industry_experience",
    "prior_outcomes",
    "workload",
)
PERSONALITY_PARTS = (
    "trait_similarity",
    "profile_distance",
    "profile_correlation",
    "perceived_similarity",
    "pm_levels",
)


class FitConfig(Strict):
    weights: dict[str, float] = Field(
        default={
            "trait_similarity": 6,
            "profile_distance": 4,
            "profile_correlation": 4,
            "perceived_similarity": 8,
            "pm_levels": 6,
            "client_experience": 16,
            "industry_experience": 14,
            "prior_outcomes": 22,
            "workload": 20,
        },
        description="the weight of each part; the score is a weighted mean of the parts",
    )
    trait_weights: dict[str, float] = Field(
        default=dict.fromkeys(TRAITS, 1.0),
        description="how much each trait counts within trait similarity",
    )
    norms: dict[str, Norm] = Field(
        default={trait: Norm() for trait in TRAITS},
        description="population mean and spread of each trait on 0–100, to standardise",
    )
    similar_within: float = Field(
        25, gt=0, le=100, description="a trait difference (0–100) at which similarity is neutral"
    )
    experience_cap_client: int = Field(3, gt=0, description="past projects with the client")
    experience_cap_industry: int = Field(5, gt=0, description="past projects in the industry")
    busy_from: float = Field(
        0.8, gt=0, le=1, description="utilisation where workload starts to cost"
    )
    continuity_threshold: float = Field(
        45, ge=0, le=100, description="a new representative's fit below this raises an alert"
    )

    @model_validator(mode="after")
    def complete(self) -> FitConfig:
        if set(self.weights) != set(PARTS):
            raise ValueError(f"the weights name each of {', '.join(PARTS)} once")
        if min(self.weights.values()) < 0 or sum(self.weights.values()) <= 0:
            raise ValueError("weights are not negative and at least one is above 0")
        if set(self.trait_weights) != set(TRAITS) or set(self.norms) != set(TRAITS):
            raise ValueError(f"trait weights and norms name each of {', '.join(TRAITS)} once")
        if min(self.trait_weights.values()) < 0 or sum(self.trait_weights.values()) <= 0:
            raise ValueError("trait weights are not negative and at least one is above 0")
        return self


DEFAULT_FIT_CONFIG: dict[str, Any] = FitConfig().model_dump()


def parse(config: dict[str, Any]) -> FitConfig:
    return FitConfig.model_validate(config)
