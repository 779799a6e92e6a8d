"""The optimiser on arrays: exact against brute force, hard constraints never broken, greedy
never better."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from twohats.matching.staffing import slots_of, solve_greedy, solve_optimal


def brute_force(
    score: np.ndarray, feasible: np.ndarray, free: np.ndarray, loads: np.ndarray, slots: np.ndarray
) -> float:
    """The best total over every assignment (each project to a PM or to nobody) that keeps
    each PM within their slots and free hours and uses feasible pairs only."""
    n_pm, n_proj = score.shape
    best = 0.0
    # Each project's choice: a PM index, or n_pm for "nobody"; the permutations of a padded
    # list of PM slots enumerate the same assignments, but a product is plainer and as small.
    for choice in itertools.product(range(n_pm + 1), repeat=n_proj):
        count = np.zeros(n_pm, dtype=int)
        hours = np.zeros(n_pm)
        total = 0.0
        ok = True
        for j, i in enumerate(choice):
            if i == n_pm:
                continue
            if not feasible[i, j]:
                ok = False
                break
            count[i] += 1
            hours[i] += loads[j]
            total += score[i, j]
        if ok and (count <= slots).all() and (hours <= free + 1e-9).all():
            best = max(best, total)
    return best


def brute_force_permutations(score: np.ndarray, feasible: np.ndarray, slots: np.ndarray) -> float:
    """The same, through permutations of the slot rows (padded with empty ones), as the
    optimiser sees the problem."""
    n_proj = score.shape[1]
    rows = [i for i, k in enumerate(slots) for _ in range(k)] + [-1] * n_proj
    best = 0.0
    for perm in itertools.permutations(range(len(rows)), n_proj):
        total = 0.0
        for j, r in enumerate(perm):
            i = rows[r]
            if i >= 0 and feasible[i, j]:
                total += score[i, j]
        best = max(best, total)
    return best


def random_case(
    rng: np.random.Generator, n_pm: int, n_proj: int, *, equal_loads: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    score = rng.uniform(0, 100, size=(n_pm, n_proj)).round(1)
    feasible = rng.random((n_pm, n_proj)) > 0.25
    free = rng.choice([0.0, 5.0, 10.0, 15.0, 20.0, 30.0], size=n_pm)
    loads = np.full(n_proj, 10.0) if equal_loads else rng.choice([5.0, 10.0, 15.0], size=n_proj)
    return score, feasible, free, loads


def assert_respects(
    solution_pm_of: np.ndarray,
    feasible: np.ndarray,
    free: np.ndarray,
    loads: np.ndarray,
    slots: np.ndarray,
) -> None:
    for j, i in enumerate(solution_pm_of):
        if i >= 0:
            assert feasible[i, j], "an infeasible pair was assigned"
            assert loads[j] <= free[i] + 1e-9
    for i in range(len(free)):
        mine = solution_pm_of == i
        assert mine.sum() <= slots[i], "a PM was given more projects than slots"
        assert loads[mine].sum() <= free[i] + 1e-9, "a PM was given more hours than free"


@pytest.mark.parametrize("seed", range(40))
def test_it_is_optimal_against_brute_force_with_equal_loads(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_pm, n_proj = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    score, feasible, free, loads = random_case(rng, n_pm, n_proj, equal_loads=True)
    solution = solve_optimal(score, feasible, free, loads)
    # With equal loads slots are exactly the hours: brute force over the hours model.
    unlimited = np.full(n_pm, n_proj)
    assert solution.total == pytest.approx(brute_force(score, feasible, free, loads, unlimited))
    assert solution.total == pytest.approx(
        brute_force_permutations(score, feasible & (loads <= free[:, None]), solution.slots)
    )
    assert_respects(solution.pm_of, feasible, free, loads, solution.slots)


@pytest.mark.parametrize("seed", range(40))
def test_it_is_optimal_for_its_slots_with_unequal_loads(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n_pm, n_proj = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    score, feasible, free, loads = random_case(rng, n_pm, n_proj, equal_loads=False)
    solution = solve_optimal(score, feasible, free, loads)
    best = brute_force(score, feasible, free, loads, solution.slots)
    assert solution.total == pytest.approx(best)
    assert_respects(solution.pm_of, feasible, free, loads, solution.slots)


@pytest.mark.parametrize("seed", range(40))
def test_greedy_never_beats_the_optimiser_and_keeps_the_constraints(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    n_pm, n_proj = int(rng.integers(1, 6)), int(rng.integers(1, 9))
    score, feasible, free, loads = random_case(rng, n_pm, n_proj, equal_loads=seed % 2 == 0)
    optimal = solve_optimal(score, feasible, free, loads)
    greedy = solve_greedy(
        score, feasible, free, loads, slots=optimal.slots, slot_hours=optimal.slot_hours
    )
    assert greedy.total <= optimal.total + 1e-9
    assert_respects(greedy.pm_of, feasible, free, loads, optimal.slots)


def test_slots_are_free_hours_over_the_median_load() -> None:
    free = np.array([0.0, 9.9, 10.0, 25.0, 100.0])
    loads = np.array([5.0, 10.0, 20.0])
    feasible = loads[None, :] <= free[:, None]  # as the optimiser passes it: loads within hours
    # 9.9 h is under a slot, but the 5 h project fits: one slot. Never above the projects.
    assert list(slots_of(free, 10.0, feasible)) == [0, 1, 1, 2, 3]
    assert list(slots_of(free, 10.0, np.zeros((5, 3), dtype=bool))) == [0, 0, 0, 0, 0]


def test_a_pm_with_fewer_free_hours_than_a_slot_takes_a_small_project() -> None:
    # Slot 20 h (the median), 10 h free: the 5 h project is theirs, not left open.
    score = np.array([[80.0, 80.0, 80.0]])
    solution = solve_optimal(
        score, np.ones((1, 3), dtype=bool), np.array([10.0]), np.array([5.0, 20.0, 20.0])
    )
    assert list(solution.pm_of) == [0, -1, -1]
    assert list(solution.slots) == [1]


def test_when_the_rounds_run_out_no_pm_is_over_their_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twohats.matching import staffing

    monkeypatch.setattr(staffing, "MAX_ROUNDS", 1)
    score = np.array([[90.0, 80.0, 10.0, 5.0, 5.0]])
    loads = np.array([15.0, 15.0, 5.0, 5.0, 10.0])
    solution = solve_optimal(score, np.ones((1, 5), dtype=bool), np.array([20.0]), loads)
    assert solution.rounds == 1
    assert loads[solution.pm_of >= 0].sum() <= 20.0
    assert solution.pm_of[0] == 0  # the best-fitting project that fits is kept
    assert solution.total == pytest.approx(float(score[0, solution.pm_of >= 0].sum()))


def test_a_project_nobody_may_take_stays_unassigned() -> None:
    score = np.array([[90.0, 80.0]])
    feasible = np.array([[True, False]])
    solution = solve_optimal(score, feasible, np.array([40.0]), np.array([10.0, 10.0]))
    assert list(solution.pm_of) == [0, -1]
    assert solution.total == 90.0


def test_the_greedy_order_can_lose() -> None:
    # Greedy gives A to the first project; the optimiser sees B is only good for the first.
    score = np.array([[60.0, 55.0], [58.0, 0.0]])
    feasible = np.ones((2, 2), dtype=bool)
    free, loads = np.array([10.0, 10.0]), np.array([10.0, 10.0])
    optimal = solve_optimal(score, feasible, free, loads)
    greedy = solve_greedy(score, feasible, free, loads, slots=optimal.slots, slot_hours=10.0)
    assert optimal.total == pytest.approx(113.0)
    assert greedy.total == pytest.approx(60.0)


def test_hours_overflow_costs_a_slot_and_is_solved_again() -> None:
    # Median load 10 gives the PM 2 slots of their 20 free hours; the two best projects take
    # 15 hours each: they fit the slots but not the hours.
    score = np.array([[90.0, 80.0, 10.0, 5.0, 5.0]])
    feasible = np.ones((1, 5), dtype=bool)
    loads = np.array([15.0, 15.0, 5.0, 5.0, 10.0])
    solution = solve_optimal(score, feasible, np.array([20.0]), loads)
    assert solution.slot_hours == 10.0
    assert loads[solution.pm_of >= 0].sum() <= 20.0
    # One slot is left, for the best project (a 5-hour one would have fitted beside it: the
    # price of counting capacity in slots).
    assert list(solution.slots) == [1]
    assert solution.total == pytest.approx(90.0)
    assert solution.rounds == 2
