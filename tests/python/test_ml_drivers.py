"""Global drivers: importance intervals, supported directions, per-level effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from people_ml.ml import MLError
from people_ml.ml._drivers import (
    DIRECTIONS,
    EFFECT_COLUMNS,
    IMPORTANCE_COLUMNS,
    IMPORTANCE_FLOOR_SHARE,
    MAX_EFFECT_LEVELS,
    OTHER_LEVEL,
    explain_drivers,
)
from people_ml.ml._features import MISSING_LEVEL, render_values

N = 3000
# The truth: ratings 1-2 and 5 raise the log-odds, 3-4 lower it (a U-shape).
U_SHAPE = {1.0: 1.2, 2.0: 0.8, 3.0: -0.3, 4.0: -0.3, 5.0: 0.7}


def _linear_shap(
    design: pd.DataFrame, background: pd.DataFrame, coef: np.ndarray, groups: dict
) -> pd.DataFrame:
    """Exact SHAP values of a linear model: coef * (x - background mean), summed."""
    centred = design.to_numpy(float) - background.to_numpy(float).mean(axis=0)
    contributions = centred * coef
    columns = list(design.columns)
    return pd.DataFrame(
        {
            name: contributions[:, [columns.index(c) for c in cols]].sum(axis=1)
            for name, cols in groups.items()
        }
    )


KINDS = {
    "last_rating": "numeric",
    "compa_ratio": "numeric",
    "noise": "numeric",
    "department": "categorical",
}


def _linear_problem(rng: np.random.Generator):
    """Feature values and a function fitting the logistic regression on rows.

    The function returns the fitted model's exact SHAP values of every row.
    """
    rating = rng.choice(
        [1.0, 2.0, 3.0, 4.0, 5.0], size=N, p=[0.06, 0.14, 0.45, 0.25, 0.10]
    )
    rating[rng.random(N) < 0.05] = np.nan
    values = pd.DataFrame(
        {
            "last_rating": rating,
            "compa_ratio": rng.normal(1.0, 0.1, size=N),
            "noise": rng.normal(size=N),
            "department": rng.choice(["Finance", "Sales", "Tech"], size=N),
        }
    )
    logit = (
        -1.5
        + pd.Series(rating).map(U_SHAPE).fillna(0.0).to_numpy()
        - 8.0 * (values["compa_ratio"].to_numpy() - 1.0)
    )
    y = rng.random(N) < 1 / (1 + np.exp(-logit))
    onehot = {
        f"r{level}": (np.isnan(rating) if level == "na" else rating == level)
        for level in [*U_SHAPE, "na"]
    }
    depts = {f"d_{d}": values["department"] == d for d in ("Finance", "Sales", "Tech")}
    design = pd.DataFrame(
        {
            **onehot,
            "compa_ratio": values["compa_ratio"],
            "noise": values["noise"],
            **depts,
        }
    ).astype(float)
    groups = {
        "last_rating": list(onehot),
        "compa_ratio": ["compa_ratio"],
        "noise": ["noise"],
        "department": list(depts),
    }

    def fit(rows: np.ndarray) -> pd.DataFrame:
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(design.iloc[rows], y[rows])
        return _linear_shap(design, design.iloc[rows], model.coef_[0], groups)

    return values, fit


@pytest.fixture(scope="module")
def linear():
    """A logistic regression of a U-shaped rating, a slope, noise and a category.

    With eight refits on bootstrap resamples of its training rows, as a run
    has (people_ml.ml._refits), explaining the same rows.
    """
    rng = np.random.default_rng(3)
    values, fit = _linear_problem(rng)
    shap = fit(np.arange(N))
    refits = [fit(rng.integers(0, N, size=N)) for _ in range(8)]
    drivers = explain_drivers(
        values, shap, refit_shap_values=refits, kinds=KINDS, random_state=1
    )
    return values, shap, refits, drivers


def test_frames_have_the_documented_columns(linear):
    *_, drivers = linear
    assert tuple(drivers.importance.columns) == IMPORTANCE_COLUMNS
    assert tuple(drivers.effects.columns) == EFFECT_COLUMNS
    assert set(drivers.importance["direction"]) <= set(DIRECTIONS)
    ordered = drivers.importance["mean_abs_shap_value"].tolist()
    assert ordered == sorted(ordered, reverse=True)


def test_a_u_shaped_rating_shows_per_level_effects_with_the_right_signs(linear):
    *_, drivers = linear
    rating = drivers.effects[drivers.effects["feature"] == "last_rating"]
    assert rating["level_label"].tolist() == ["1", "2", "3", "4", "5", MISSING_LEVEL]
    assert rating["level_order"].tolist() == [1, 2, 3, 4, 5, 6]
    effect = rating.set_index("level_label")["mean_shap_value"]
    assert effect["1"] > 0 and effect["2"] > 0 and effect["5"] > 0
    assert effect["3"] < 0 and effect["4"] < 0
    assert rating["is_missing_level"].tolist() == [False] * 5 + [True]
    row = drivers.importance.set_index("feature").loc["last_rating"]
    assert row["driver_kind"] == "ordinal"
    # Not "higher lowers": the effect both falls (1 -> 3) and rises (3 -> 5).
    assert row["direction"] == "mixed"
    assert "rises" in row["direction_reason"] and "falls" in row["direction_reason"]


def test_a_slope_gets_its_direction_and_weak_features_are_unclear(linear):
    *_, drivers = linear
    rows = drivers.importance.set_index("feature")
    assert rows.loc["compa_ratio", "driver_kind"] == "continuous"
    assert rows.loc["compa_ratio", "direction"] == "higher lowers"
    assert rows.loc["compa_ratio", "correlation_upper"] < 0
    for feature in ("noise", "department"):
        assert rows.loc[feature, "direction"] == "unclear"


def test_refits_keep_a_linear_noise_coefficient_from_a_direction(linear):
    values, shap, _, drivers = linear
    # A linear model's SHAP value is coef * (x - mean): resampling the rows
    # alone finds any coefficient's sign certain, however small.
    rows_only = explain_drivers(values, shap, kinds=KINDS, floor_share=0.0)
    assert rows_only.importance.set_index("feature").loc["noise", "direction"] in (
        "higher raises",
        "higher lowers",
    )
    # The refits disagree on its sign: the correlation's interval spans zero.
    row = drivers.importance.set_index("feature").loc["noise"]
    assert row["correlation_lower"] < 0 < row["correlation_upper"]
    refitted = explain_drivers(
        values, shap, refit_shap_values=linear[2], kinds=KINDS, floor_share=0.0
    ).importance.set_index("feature")
    assert refitted.loc["noise", "direction"] == "unclear"
    assert "spans zero" in refitted.loc["noise", "direction_reason"]
    assert refitted.loc["compa_ratio", "direction"] == "higher lowers"


def test_intervals_cover_the_point_estimates(linear):
    *_, drivers = linear
    imp = drivers.importance
    assert (imp["importance_lower"] <= imp["mean_abs_shap_value"]).all()
    assert (imp["mean_abs_shap_value"] <= imp["importance_upper"]).all()
    assert (imp["importance_lower"] < imp["importance_upper"]).all()
    eff = drivers.effects
    assert (eff["mean_shap_lower"] <= eff["mean_shap_value"] + 1e-12).all()
    assert (eff["mean_shap_value"] <= eff["mean_shap_upper"] + 1e-12).all()


def test_level_counts_sum_to_the_rows_explained(linear):
    values, *_, drivers = linear
    counts = drivers.effects.groupby("feature")["entity_count"].sum()
    assert counts.to_dict() == {"department": N, "last_rating": N}
    assert (drivers.importance["entity_count"] == N).all()
    departments = drivers.effects[drivers.effects["feature"] == "department"]
    assert departments["level_label"].tolist() == ["Finance", "Sales", "Tech"]
    expected = values["department"].value_counts().sort_index().tolist()
    assert departments["entity_count"].tolist() == expected


def test_level_labels_are_the_values_as_the_shap_table_renders_them(linear):
    values, *_, drivers = linear
    rendered = set(render_values(values["last_rating"])) - {None}
    labels = drivers.effects.loc[
        drivers.effects["feature"] == "last_rating", "level_label"
    ]
    assert rendered == set(labels) - {MISSING_LEVEL}


def test_pure_noise_above_the_floor_is_unclear():
    rng = np.random.default_rng(5)
    n = 2000
    values = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "region": rng.choice(["East", "North", "West"], size=n),
        }
    )
    # SHAP values unrelated to the value, as a tree model's noise splits give.
    shap = pd.DataFrame(
        {
            "signal": 0.5 * values["signal"],
            "noise": rng.normal(scale=0.2, size=n),
            "region": rng.normal(scale=0.2, size=n),
        }
    )
    rows = explain_drivers(values, shap).importance.set_index("feature")
    assert rows.loc["signal", "direction"] == "higher raises"
    for feature in ("noise", "region"):
        assert rows.loc[feature, "importance_share"] > IMPORTANCE_FLOOR_SHARE
        assert rows.loc[feature, "direction"] == "unclear"
    lower, upper = rows.loc["noise", ["correlation_lower", "correlation_upper"]]
    assert lower < 0 < upper
    assert "spans zero" in rows.loc["noise", "direction_reason"] or (
        "weaker" in rows.loc["noise", "direction_reason"]
    )


def test_the_floor_is_a_parameter():
    rng = np.random.default_rng(6)
    x = rng.normal(size=500)
    values = pd.DataFrame({"big": x, "small": rng.normal(size=500)})
    shap = pd.DataFrame({"big": x, "small": 0.005 * values["small"]})
    default = explain_drivers(values, shap).importance.set_index("feature")
    assert default.loc["small", "direction"] == "unclear"
    assert default.loc["small", "importance_floor_share"] == IMPORTANCE_FLOOR_SHARE
    lowered = explain_drivers(values, shap, floor_share=0.001).importance
    assert lowered.set_index("feature").loc["small", "direction"] == "higher raises"


def test_monotone_ordinal_and_boolean_directions():
    rng = np.random.default_rng(8)
    n = 1500
    level = rng.integers(1, 6, size=n)
    flag = rng.random(n) < 0.4
    values = pd.DataFrame({"job_level": level, "is_remote": flag})
    shap = pd.DataFrame(
        {
            "job_level": -0.2 * (level - level.mean()) + rng.normal(0, 0.05, n),
            "is_remote": np.where(flag, 0.3, -0.2),
        }
    )
    drivers = explain_drivers(values, shap)
    rows = drivers.importance.set_index("feature")
    assert rows.loc["job_level", "direction"] == "higher lowers"
    assert rows.loc["is_remote", "driver_kind"] == "ordinal"
    assert rows.loc["is_remote", "direction"] == "higher raises"
    remote = drivers.effects[drivers.effects["feature"] == "is_remote"]
    assert remote["level_label"].tolist() == ["False", "True"]


def test_rare_categories_are_pooled():
    n = 2000
    labels = [f"team_{i:03d}" for i in range(MAX_EFFECT_LEVELS + 20)]
    team = np.array(labels * (n // len(labels) + 1), dtype=object)[:n]
    team[:5] = None
    values = pd.DataFrame({"team": team})
    shap = pd.DataFrame({"team": np.random.default_rng(0).normal(size=n)})
    effects = explain_drivers(values, shap).effects
    assert len(effects) == MAX_EFFECT_LEVELS + 2  # kept, (other), (missing)
    assert effects["level_label"].tolist()[-2:] == [OTHER_LEVEL, MISSING_LEVEL]
    assert effects["is_other_level"].tolist()[-2:] == [True, False]
    assert effects["entity_count"].sum() == n


def test_the_same_seed_gives_the_same_drivers(linear):
    values, shap, refits, drivers = linear
    again = explain_drivers(
        values, shap, refit_shap_values=refits, kinds=KINDS, random_state=1
    )
    pd.testing.assert_frame_equal(again.importance, drivers.importance)
    pd.testing.assert_frame_equal(again.effects, drivers.effects)


def test_no_rows_gives_unclear_drivers_without_effects():
    drivers = explain_drivers(
        pd.DataFrame({"a": pd.Series(dtype=float)}),
        pd.DataFrame({"a": pd.Series(dtype=float)}),
    )
    assert drivers.importance["direction"].tolist() == ["unclear"]
    assert drivers.effects.empty


def test_mismatched_frames_are_refused():
    with pytest.raises(MLError, match="same rows and features"):
        explain_drivers(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [0.1]}))


def _widths(drivers) -> np.ndarray:
    """Interval widths: importance of each feature, then each level's effect."""
    imp = drivers.importance.set_index("feature")
    effects = drivers.effects
    return np.concatenate(
        [
            (imp["importance_upper"] - imp["importance_lower"]).to_numpy(float),
            (effects["mean_shap_upper"] - effects["mean_shap_lower"]).to_numpy(float),
        ]
    )


def test_refits_on_a_quarter_of_the_rows_are_scaled_to_the_models_size():
    """m-out-of-n: refits on N/4 rows, scaled by sqrt(1/4), match refits on N."""
    rng = np.random.default_rng(11)
    values, fit = _linear_problem(rng)
    shap = fit(np.arange(N))
    full = [fit(rng.integers(0, N, size=N)) for _ in range(8)]
    quarter = [fit(rng.integers(0, N, size=N // 4)) for _ in range(8)]

    def drivers(refits, fractions=None):
        return explain_drivers(
            values,
            shap,
            refit_shap_values=refits,
            refit_fractions=fractions,
            kinds=KINDS,
            random_state=1,
        )

    reference = _widths(drivers(full))
    unscaled = _widths(drivers(quarter)) / reference
    scaled = _widths(drivers(quarter, [0.25] * 8)) / reference
    # Unscaled, a model fitted on a quarter of the rows looks about twice as
    # uncertain as the model is; scaled, about as uncertain as refits on all.
    assert np.median(unscaled) > 1.5
    assert 0.7 < np.median(scaled) < 1.4
    # A refit that saw too few of a level's people (fraction x people < 10)
    # keeps that level's spread as it is; the importance is still scaled.
    tiny = drivers(quarter, [0.004] * 8)
    as_is = drivers(quarter)
    np.testing.assert_allclose(
        tiny.effects["mean_shap_upper"], as_is.effects["mean_shap_upper"]
    )
    imp = tiny.importance.set_index("feature")
    wide = as_is.importance.set_index("feature")
    assert (
        (imp["importance_upper"] - imp["importance_lower"])
        < (wide["importance_upper"] - wide["importance_lower"])
    ).all()
    # A fraction of 1 for every refit changes nothing.
    same = drivers(full, [1.0] * 8)
    pd.testing.assert_frame_equal(same.importance, drivers(full).importance)
    with pytest.raises(MLError, match="refit_fractions"):
        drivers(full, [0.0] * 8)
    with pytest.raises(MLError, match="refit_fractions"):
        drivers(full, [0.5])
