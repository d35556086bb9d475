"""Discrete-time hazard: monthly model, clocks, horizons, sampling, labels."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from people_ml.ml import DataError, SpecError
from people_ml.ml._hazard import (
    DEFAULT_CLOCKS,
    MONTHS_AHEAD,
    ClockRule,
    FollowUp,
    _add_months,
    _look_ahead,
    _sampling_rates,
    advance_clocks,
    censor_at,
    clocks_from_config,
    fit_hazard,
    horizon_labels,
    resolve_clocks,
)

FAST = {"candidates": ["logistic_regression"], "search_iterations": 1}
MONTH_ENDS = pd.date_range("2024-01-31", periods=24, freq="ME")


def person_months(hazard, n_people=400, seed=0):
    """One row per person and month-end until their event (next month).

    ``hazard(tenure, changes)`` is the true monthly probability; tenure starts
    anywhere in 0-35 months and grows by one a month; a manager change (count
    1) happens at random and stays in a six-month window.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(n_people):
        tenure = int(rng.integers(0, 36))
        change_month = int(rng.integers(-6, 24))
        first = len(rows)
        for m, date in enumerate(MONTH_ENDS):
            changes = int(0 <= m - change_month < 6)
            event = rng.random() < hazard(tenure + m, changes)
            rows.append(
                {
                    "worker_id": f"w{person}",
                    "noise": rng.normal(),
                    "team": f"t{person % 5}",
                    "tenure_months": tenure + m,
                    "manager_changes_last_6_months": changes,
                    "has_exit_next_month": event,
                    # Follow-up to an as-of one month after the last month-end.
                    "exit_type": None,
                    "months_until_exit": np.nan,
                    "months_until_as_of": len(MONTH_ENDS) - m,
                    "sample_date": date,
                }
            )
            if event:
                for i, row in enumerate(rows[first:]):
                    row["exit_type"] = "voluntary"
                    row["months_until_exit"] = m - i + 1
                break
    return pd.DataFrame(rows)


def constant(tenure, changes):
    return 0.03


def clocked(tenure, changes):
    return (0.12 if tenure < 12 else 0.01) * (4.0 if changes else 1.0)


def fit(frame, **kwargs):
    return fit_hazard(
        frame,
        entity_id="worker_id",
        sample_date="sample_date",
        target="has_exit_next_month",
        **{**FAST, **kwargs},
    )


@pytest.fixture(scope="module")
def constant_frame():
    return person_months(constant)


@pytest.fixture(scope="module")
def constant_model(constant_frame):
    return fit(constant_frame, clocks=())


@pytest.fixture(scope="module")
def clocked_frame():
    return person_months(clocked, seed=1)


@pytest.fixture(scope="module")
def clocked_model(clocked_frame):
    return fit(clocked_frame)


def test_constant_hazard_compounds_over_the_horizon(constant_model, constant_frame):
    every = constant_model.monthly_hazard(constant_frame)
    assert every.mean() == pytest.approx(0.03, rel=0.2)
    rows = constant_frame.tail(50)
    h = constant_model.monthly_hazard(rows)
    p = constant_model.probability_within(rows, [1, 3, 12])
    for i, horizon in enumerate([1, 3, 12]):
        np.testing.assert_allclose(p[:, i], 1 - (1 - h) ** horizon, rtol=1e-12)


def test_clocks_advance_the_features_as_declared(clocked_model, clocked_frame):
    rows = clocked_frame.iloc[:40]
    for k in (0, 1, 5):
        moved = rows.assign(tenure_months=rows["tenure_months"] + k)
        dates = _add_months(rows["sample_date"], k)
        direct = clocked_model.model.predict(
            clocked_model.model.prepare(moved, dates)
        ).prediction
        np.testing.assert_allclose(clocked_model.monthly_hazard(rows, k), direct)
    # A new joiner's hazard falls once the first year is over.
    joiner = rows[rows["tenure_months"] == rows["tenure_months"].min()].head(1)
    joiner = joiner.assign(tenure_months=6, manager_changes_last_6_months=0)
    path = [clocked_model.monthly_hazard(joiner, k)[0] for k in range(12)]
    assert (np.diff(path) < 0).all() and path[0] > 1.5 * path[11]


CHANGES = "manager_changes_last_6_months"


def with_renewal(model, rate):
    clocks = tuple(
        dataclasses.replace(r, renewal_per_month=rate) if r.column == CHANGES else r
        for r in model.clocks
    )
    return dataclasses.replace(model, clocks=clocks)


def both_states(frame):
    return pd.concat(
        [frame.assign(**{CHANGES: 1}), frame.assign(**{CHANGES: 0})],
        ignore_index=True,
    )


def paths(model, rows, steps=12):
    kept = np.column_stack(
        [model.monthly_hazard(rows, k, expired=frozenset()) for k in range(steps)]
    )
    gone = np.column_stack(
        [
            model.monthly_hazard(rows, k, expired=frozenset({CHANGES}))
            for k in range(steps)
        ]
    )
    return kept, gone


def test_the_change_rate_is_measured_on_the_panel(clocked_model, clocked_frame):
    rule = next(r for r in clocked_model.clocks if r.column == CHANGES)
    # One change per person in 30 possible months, seen in about 24 of them.
    assert 0.02 < rule.renewal_per_month < 0.05


def test_an_expiring_count_is_averaged_over_its_age(clocked_model, clocked_frame):
    model = with_renewal(clocked_model, 0.0)
    rows = both_states(clocked_frame.iloc[:200])
    kept, gone = paths(model, rows)
    # Age a (months since the change): counted for 6 - a more month-ends.
    expected = np.mean(
        [
            1 - np.prod(1 - np.where(np.arange(12) + a >= 6, gone, kept), axis=1)
            for a in range(6)
        ],
        axis=0,
    )
    p12 = model.probability_within(rows, [12])[:, 0]
    none = (rows[CHANGES] == 0).to_numpy()
    np.testing.assert_allclose(p12[~none], expected[~none])
    # Without a change (and none foreseen) nothing moves: the plain product.
    np.testing.assert_allclose(p12[none], 1 - np.prod(1 - gone[none], axis=1))
    # The change raises the risk, less than if it lasted all year.
    assert (p12[~none] > p12[none]).all()
    assert (p12[~none] < 1 - np.prod(1 - kept[~none], axis=1)).all()


def test_new_changes_arrive_at_the_renewal_rate(clocked_model, clocked_frame):
    rate = 0.08
    model = with_renewal(clocked_model, rate)
    rows = both_states(clocked_frame.iloc[:3])
    steps = 8
    kept, gone = paths(model, rows, steps)
    # Brute force: every start age and every sequence of new changes.
    expected = np.zeros(len(rows))
    held = (rows[CHANGES] > 0).to_numpy()
    for i in range(len(rows)):
        ages = range(6) if held[i] else [6]
        for age, news in itertools.product(
            ages, itertools.product((0, 1), repeat=steps)
        ):
            weight = (1 / len(ages)) * np.prod([rate if e else 1 - rate for e in news])
            survive, a = 1.0, age
            for k in range(steps):
                on = a < 6
                survive *= 1 - (kept if on else gone)[i, k]
                a = 0 if news[k] else min(a + 1, 6)
            expected[i] += weight * survive
    p = model.probability_within(rows, [steps])[:, 0]
    np.testing.assert_allclose(p, 1 - expected)
    assert (
        p > with_renewal(clocked_model, 0.0).probability_within(rows, [8])[:, 0]
    ).all()


def test_a_seasonal_drift_is_measured_and_applied():
    dates = pd.Series(pd.date_range("2023-10-31", periods=16, freq="ME"))
    panel = pd.DataFrame(
        {
            "worker_id": "w1",
            "sample_date": dates,
            # Down 3 % at each January month-end, up 2 % at April's.
            "compa_ratio": 1.0
            * np.cumprod(
                np.where(dates.dt.month == 1, 0.97, 1.0)
                * np.where(dates.dt.month == 4, 1.02, 1.0)
            ),
        }
    )
    (rule,) = resolve_clocks(
        panel,
        [ClockRule("compa_ratio", "seasonal")],
        entity_id="worker_id",
        sample_date="sample_date",
    )
    assert rule.factors[0] == pytest.approx(0.97)
    assert rule.factors[3] == pytest.approx(1.02)
    assert rule.factors[6] == pytest.approx(1.0)
    october = panel.iloc[[0]]
    for months, factor in ((2, 1.0), (3, 0.97), (6, 0.97 * 1.02)):
        moved = advance_clocks(october, months, [rule], sample_date="sample_date")
        assert moved["compa_ratio"].iloc[0] == pytest.approx(factor)


def test_the_horizon_curve_is_monotone(clocked_model, clocked_frame):
    out = clocked_model.predict_horizons(clocked_frame.iloc[:300])
    assert list(out.columns) == [
        "worker_id",
        "sample_date",
        "horizon_months",
        "probability",
    ]
    wide = out.pivot_table(
        index=out.groupby("horizon_months").cumcount(),
        columns="horizon_months",
        values="probability",
    )
    assert list(wide.columns) == [3, 6, 12]
    assert ((wide[3] <= wide[6]) & (wide[6] <= wide[12])).all()
    assert wide.to_numpy().min() > 0 and wide.to_numpy().max() < 1


def test_sampled_non_events_are_corrected_exactly(constant_frame):
    model = fit(constant_frame, clocks=(), non_event_rate=0.25, random_state=3)
    events = int(constant_frame["has_exit_next_month"].sum())
    assert model.n_events == events
    assert model.n_rows_available == len(constant_frame)
    assert model.n_train_rows < 0.35 * len(constant_frame)
    h = model.monthly_hazard(constant_frame)
    # Without the correction the model would say about 0.03 / 0.27 = 0.11.
    assert h.mean() == pytest.approx(0.03, rel=0.25)


def test_training_is_limited_to_the_latest_months(constant_frame):
    frame = constant_frame.astype({"has_exit_next_month": object})
    # The latest month-end is the predict set: no label yet.
    frame.loc[frame["sample_date"] == MONTH_ENDS[-1], "has_exit_next_month"] = None
    model = fit(frame, clocks=(), max_train_months=6)
    assert model.train_end == MONTH_ENDS[-2]
    assert model.train_start == MONTH_ENDS[-7]
    assert model.n_train_rows == int(
        frame["sample_date"].between(MONTH_ENDS[-7], MONTH_ENDS[-2]).sum()
    )


def test_bad_settings_are_refused(constant_frame):
    with pytest.raises(SpecError, match="non_event_rate"):
        fit(constant_frame, non_event_rate=0)
    with pytest.raises(SpecError, match="max_train_months"):
        fit(constant_frame, max_train_months=0)
    with pytest.raises(DataError, match="no labelled"):
        fit(constant_frame.assign(has_exit_next_month=None))
    with pytest.raises(DataError, match="lacks"):
        fit(constant_frame.drop(columns="sample_date"))


def test_clocks_are_data():
    config = [rule.to_dict() for rule in DEFAULT_CLOCKS]
    assert clocks_from_config(config) == DEFAULT_CLOCKS
    assert config[2] == {
        "column": "manager_changes_last_6_months",
        "rule": "expires",
        "window_months": 6,
        "expired_value": 0.0,
        "renewed_value": 1.0,
    }
    resolved = ClockRule("x", "seasonal", factors=[1.0] * 11 + [1.1])
    assert clocks_from_config([resolved.to_dict()]) == (resolved,)
    with pytest.raises(SpecError, match="12 positive"):
        ClockRule("x", "seasonal", factors=[1.0] * 11)
    with pytest.raises(SpecError, match="unknown key"):
        clocks_from_config([{"column": "x", "rule": "grows", "window_months": 6}])
    with pytest.raises(SpecError, match="window_months"):
        clocks_from_config([{"column": "x", "rule": "expires"}])
    with pytest.raises(SpecError, match="allowed"):
        clocks_from_config([{"column": "x", "rule": "shrinks"}])
    with pytest.raises(SpecError, match="more than once"):
        clocks_from_config([{"column": "x", "rule": "grows"}] * 2)
    with pytest.raises(SpecError, match="unknown key"):
        clocks_from_config([{"column": "x", "rule": "grows", "step": 2}])


def test_advance_clocks():
    frame = pd.DataFrame(
        {"tenure_months": [0, 30], "changes": [2, None], "team": ["a", "b"]}
    )
    rules = (
        ClockRule("tenure_months", "grows"),
        ClockRule("changes", "expires", window_months=6),
    )
    moved = advance_clocks(frame, 3, (*rules, ClockRule("absent", "grows")))
    assert moved["tenure_months"].tolist() == [3, 33]
    # Held: the count stays; where there was none, a new change counts 1.
    assert moved["changes"].tolist() == [2, 1] and frame["team"].equals(moved["team"])
    gone = advance_clocks(frame, 3, rules, expired=frozenset({"changes"}))
    assert gone["changes"].tolist()[0] == 0 and np.isnan(gone["changes"].iloc[1])


def test_month_ends_map_to_month_ends():
    dates = pd.Series(pd.to_datetime(["2024-02-29", "2024-01-31", "2024-01-15"]))
    assert _add_months(dates, 1).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-31",
        "2024-02-29",
        "2024-02-15",
    ]


def test_horizon_labels_know_when_the_outcome_is_known():
    frame = pd.DataFrame(
        {
            # resigns in month 2; dismissed in month 2; open, followed 4 months;
            # resigns in month 5 (followed 5); open, followed 12 months.
            "exit_type": ["voluntary", "involuntary", None, "voluntary", None],
            "months_until_exit": [2, 2, None, 5, None],
            "months_until_as_of": [10, 10, 4, 5, 12],
        }
    )
    labels = horizon_labels(frame, [3, 12])
    assert labels["within_3_months"].tolist() == [True, False, False, False, False]
    assert labels["within_12_months"].tolist() == [True, False, pd.NA, True, False]


def test_a_look_ahead_takes_every_resolved_month_at_risk():
    frame = pd.DataFrame(
        {
            # resigns in month 3; open, followed 2 months; dismissed in month 1;
            # the predict set (followed 0); open, followed for years.
            "exit_type": ["voluntary", None, "involuntary", None, None],
            "months_until_exit": [3, None, 1, None, None],
            "months_until_as_of": [10, 2, 5, 0, 40],
        }
    )
    rng = np.random.default_rng(0)
    rows, ahead, y, event_rate, non_event_rate = _look_ahead(
        frame, 12, FollowUp(), 1.0, rng
    )
    assert (event_rate, non_event_rate) == (1.0, 1.0)
    months = pd.DataFrame({"row": rows, "k": ahead, "y": y})
    by_row = months.groupby("row")["k"].apply(list).to_dict()
    assert by_row == {
        0: [0, 1, 2],  # A: at risk in months 1-3, leaves in month 3
        1: [0, 1],  # B: two months resolved
        2: [0],  # C: only the month it left
        4: list(range(12)),  # E: up to the look-ahead; D has nothing yet
    }
    assert months.loc[months["y"] == 1, ["row", "k"]].values.tolist() == [[0, 2]]
    # Sampled non-events: every event stays.
    rows, ahead, y, *_ = _look_ahead(frame, 12, FollowUp(), 0.2, rng)
    assert y.sum() == 1 and len(y) < 18


def test_sampling_rates_keep_the_events_first():
    # Under the budget: every event, non-events at the default rate.
    assert _sampling_rates(100, 10_000, 0.5, None) == (1.0, 0.5)
    assert _sampling_rates(100, 10_000, 0.5, 6_000) == (1.0, 0.5)
    # Over it: non-events thinned to fill the budget beside every event.
    assert _sampling_rates(1_000, 10_000, 0.5, 3_000) == (1.0, 0.2)
    # Events alone past half the budget: half each.
    event_rate, non_event_rate = _sampling_rates(4_000, 10_000, 0.5, 4_000)
    assert (event_rate, non_event_rate) == (0.5, 0.2)
    # Never more non-events than the default rate would keep.
    assert _sampling_rates(4_000, 1_000, 0.5, 4_000) == (0.5, 0.5)


def test_a_row_budget_thins_the_look_ahead_and_keeps_the_hazard(constant_frame):
    full = fit(constant_frame, clocks=(), look_ahead_months=12)
    budget = 3_000
    model = fit(constant_frame, clocks=(), look_ahead_months=12, max_train_rows=budget)
    assert full.n_train_rows > 2 * budget
    # The events alone overrun half the budget: both classes are thinned.
    assert full.n_events > budget / 2
    assert model.event_rate < 1.0 and model.non_event_rate < full.non_event_rate
    assert model.n_train_rows == pytest.approx(budget, rel=0.1)
    # The odds are corrected by the ratio of the rates: the same hazard.
    rows = constant_frame.tail(200)
    assert model.monthly_hazard(rows).mean() == pytest.approx(0.03, rel=0.25)
    np.testing.assert_allclose(
        model.probability_within(rows, [12]).mean(),
        full.probability_within(rows, [12]).mean(),
        rtol=0.15,
    )
    with pytest.raises(SpecError, match="max_train_rows"):
        fit(constant_frame, look_ahead_months=12, max_train_rows=0)


@pytest.fixture(scope="module")
def look_ahead_model(constant_frame):
    return fit(constant_frame, clocks=(), look_ahead_months=12)


def test_a_look_ahead_of_a_constant_hazard_stays_constant(
    look_ahead_model, constant_frame
):
    model = look_ahead_model
    # Each exit is the event of every month-end up to 12 months before it.
    assert model.n_events > 5 * constant_frame["has_exit_next_month"].sum()
    assert model.non_event_rate == pytest.approx(1 / 12)
    rows = constant_frame.tail(50)
    hazards = np.column_stack([model.monthly_hazard(rows, k) for k in range(12)])
    assert hazards[:, 0].mean() == pytest.approx(0.03, rel=0.25)
    assert hazards[:, 11].mean() == pytest.approx(0.03, rel=0.25)
    p = model.probability_within(rows, [1, 3, 12])
    for i, horizon in enumerate([1, 3, 12]):
        expected = 1 - np.prod(1 - hazards[:, :horizon], axis=1)
        np.testing.assert_allclose(p[:, i], expected)
    # Beyond the look-ahead the last month ahead is reused.
    np.testing.assert_allclose(model.monthly_hazard(rows, 15), hazards[:, 11])


def test_a_look_ahead_moves_the_clocks_with_the_month(clocked_frame):
    model = fit(clocked_frame, look_ahead_months=12)
    rows = clocked_frame.iloc[:40]
    for k in (0, 4, 8):
        moved = rows.assign(
            tenure_months=rows["tenure_months"] + k,
            manager_changes_last_6_months=rows[CHANGES] * max(0, 1 - k / 6),
            **{MONTHS_AHEAD: k},
        )
        direct = model.model.predict(
            model.model.prepare(moved, _add_months(rows["sample_date"], k))
        ).prediction
        # Non-events were kept at 1/12: the odds scale back exactly.
        odds = direct / (1 - direct) / 12
        np.testing.assert_allclose(model.monthly_hazard(rows, k), odds / (1 + odds))
    p = model.probability_within(rows)
    assert (np.diff(p, axis=1) >= 0).all()


def test_censoring_hides_what_happened_after_the_date():
    frame = pd.DataFrame(
        {
            "sample_date": pd.to_datetime(
                ["2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30"]
            ),
            "exit_type": ["voluntary", "voluntary", None, "involuntary"],
            "months_until_exit": [1, 3, None, 1],
            "months_until_as_of": [14, 13, 12, 11],
        }
    )
    out = censor_at(frame, "2025-10-31")
    assert len(out) == 3
    assert out["months_until_as_of"].tolist() == [2, 1, 0]
    # The September row's exit (December) is after the date: not yet seen.
    assert out["exit_type"].notna().tolist() == [True, False, False]
    assert out["months_until_exit"].isna().tolist() == [False, True, True]
