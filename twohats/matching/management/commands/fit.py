"""`twohats fit calibrate [--propose]`: fit the fit model's weights to past pairs' outcomes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from twohats.matching.calibration import Calibration, calibrate, proposed_config
from twohats.matching.models import FitPolicy
from twohats.matching.services import fit_policy_propose


class Command(BaseCommand):
    help = "The fit model: calibrate its weights against past pairs' outcomes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        calibrate_ = sub.add_parser(
            "calibrate",
            help="how much fit explains of past outcomes, with and without personality, "
            "and the weights the data support",
        )
        calibrate_.add_argument(
            "--propose",
            action="store_true",
            help="offer the weights as a new, inactive policy version for an admin to accept",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        active = FitPolicy.objects.active()
        result = calibrate(policy=active.rules)
        self.report(result, active.version)
        if not options["propose"]:
            if result.proposed is not None:
                self.stdout.write("Run again with --propose to offer these weights to an admin.")
            return
        if result.proposed is None:
            self.stdout.write("Nothing to propose: the policy stays as it is.")
            return
        version = fit_policy_propose(
            config=proposed_config(result, active.rules), by=None, note=result.note()
        )
        self.stdout.write(
            f"Proposed as fit policy version {version.version} (not active). An administrator "
            "accepts it on the fit policy page, /matching/policy/."
        )

    def report(self, result: Calibration, version: int) -> None:
        out = self.stdout.write
        out(
            f"Past pairs with an outcome: {result.n} ({result.without_profile} without a "
            f"personality profile, counted as neutral; {result.without_outcome} left out "
            "without snapshots, NPS or interactions)."
        )
        if result.with_personality and result.without_personality and result.gain:
            out(f"Out-of-fold R², with personality:    {result.with_personality}")
            out(f"Out-of-fold R², without personality: {result.without_personality}")
            out(f"Gain from personality:               {result.gain}")
        out(result.verdict)
        out("")
        out(f"{'part':<30} {'v' + str(version):>8} {'proposed':>9} {'std. coef.':>11}")
        for part, label, current, proposed in result.rows():
            coefficient = result.coefficients.get(part)
            out(
                f"{label:<30} {current:>8.1f} "
                f"{'—' if proposed is None else f'{proposed:.1f}':>9} "
                f"{_coefficient(result, coefficient):>11}"
            )
        out("")
        header = f"{'v' + str(version):>8} {'proposed':>9} {'std. coef.':>11}"
        out(f"{'within trait similarity':<30} {header}")
        for _trait, label, current, proposed, coefficient in result.trait_rows():
            out(
                f"{label:<30} {current:>8.2f} "
                f"{'—' if proposed is None else f'{proposed:.2f}':>9} "
                f"{_coefficient(result, coefficient):>11}"
            )


def _coefficient(result: Calibration, value: float | None) -> str:
    if not result.coefficients:
        return "—"
    return "not estimated" if value is None else f"{value:+.3f}"
