"""people_ml.review.fairness: group metrics, disparities, intervals, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import precision_score, roc_auc_score

from people_ml.ledger.contract import STORE_TABLES, conform
from people_ml.review.fairness import (
    MISSING_GROUP,
    OVERALL_ATTRIBUTE,
    group_metrics,
)

TABLE = STORE_TABLES["group_metrics"]
CLASSIFICATION = "binary_classification"


def _cells(group: str, cells: list[tuple[int, int, float, int]]) -> pd.DataFrame:
    """Rows of one group from (count, actual, prediction, flagged) cells."""
    rows = [
        {
            "group": group,
            "actual": float(actual),
            "prediction": prediction,
            "predicted_class": flagged,
            "is_high_band": prediction >= 0.8,
        }
        for count, actual, prediction, flagged in cells
        for _ in range(count)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def hand_frame() -> pd.DataFrame:
    """Two groups with a known confusion matrix.

    A (16 rows): TP 4 at 0.9, FP 3 at 0.7, FN 2 at 0.3, TN 7 at 0.1.
    B (14 rows): TP 2 at 0.8, FP 1 at 0.6, FN 3 at 0.4, TN 8 at 0.2.
    """
    a = _cells("A", [(4, 1, 0.9, 1), (3, 0, 0.7, 1), (2, 1, 0.3, 0), (7, 0, 0.1, 0)])
    b = _cells("B", [(2, 1, 0.8, 1), (1, 0, 0.6, 1), (3, 1, 0.4, 0), (8, 0, 0.2, 0)])
    return pd.concat([a, b], ignore_index=True)


def _random_frame(
    n: int, *, seed: int = 0, shares: tuple[float, ...] = (0.5, 0.3, 0.2)
) -> pd.DataFrame:
    """A classification frame with a real disparity between the groups."""
    rng = np.random.default_rng(seed)
    labels = np.array(["a", "b", "c", "d", "e"][: len(shares)])
    group = rng.choice(labels, size=n, p=shares)
    lift = pd.Series(group).map({"a": 0.0, "b": 0.15, "c": -0.1, "d": 0.05, "e": 0.1})
    prediction = np.clip(rng.beta(2, 5, n) + lift.to_numpy(), 0.01, 0.99)
    actual = (rng.random(n) < prediction).astype(float)
    return pd.DataFrame(
        {
            "group": group,
            "level": rng.choice(["L1", "L2"], size=n),
            "actual": actual,
            "prediction": prediction,
            "predicted_class": (prediction > 0.35).astype(int),
            "is_high_band": prediction > 0.5,
        }
    )


def _value(
    out: pd.DataFrame,
    metric: str,
    group: str | None,
    attribute: str = "group",
    column: str = "value",
) -> object:
    rows = out[
        (out["attribute"] == attribute)
        & (out["metric"] == metric)
        & (out["group_value"].isna() if group is None else out["group_value"] == group)
    ]
    assert len(rows) == 1, (metric, group, attribute, rows)
    return rows[column].iloc[0]


def _metrics(out: pd.DataFrame, attribute: str = "group") -> set[str]:
    return set(out.loc[out["attribute"] == attribute, "metric"])


# --------------------------------------------------------------------------
# 1. Hand computation


def test_metrics_and_disparities_equal_a_hand_computation(hand_frame):
    out = group_metrics(
        hand_frame,
        run_id="r1",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=0,
    )
    expected = {
        "A": {
            "selection_rate": 7 / 16,
            "high_band_rate": 4 / 16,
            "true_positive_rate": 4 / 6,
            "false_positive_rate": 3 / 10,
            "precision": 4 / 7,
            # positives 0.9 x4 beat all 10 negatives, 0.3 x2 beat the 7 at 0.1
            "roc_auc": (4 * 10 + 2 * 7) / (6 * 10),
            "mean_predicted": (4 * 0.9 + 3 * 0.7 + 2 * 0.3 + 7 * 0.1) / 16,
            "observed_rate": 6 / 16,
        },
        "B": {
            "selection_rate": 3 / 14,
            "high_band_rate": 2 / 14,
            "true_positive_rate": 2 / 5,
            "false_positive_rate": 1 / 9,
            "precision": 2 / 3,
            "roc_auc": (2 * 9 + 3 * 8) / (5 * 9),
            "mean_predicted": (2 * 0.8 + 1 * 0.6 + 3 * 0.4 + 8 * 0.2) / 14,
            "observed_rate": 5 / 14,
        },
    }
    for group, metrics in expected.items():
        for metric, value in metrics.items():
            assert _value(out, metric, group) == pytest.approx(value, rel=1e-12), (
                group,
                metric,
            )
    # A is the larger group: the reference, with no disparity rows of its own.
    a_rows = out[(out["attribute"] == "group") & (out["group_value"] == "A")]
    assert a_rows["is_reference_group"].all()
    assert not out.loc[out["group_value"] == "B", "is_reference_group"].any()
    assert "selection_rate_ratio" not in set(a_rows["metric"])
    ratio = (3 / 14) / (7 / 16)
    eod = max(abs(2 / 5 - 4 / 6), abs(1 / 9 - 3 / 10))
    assert _value(out, "selection_rate_ratio", "B") == pytest.approx(ratio)
    assert _value(out, "equalized_odds_difference", "B") == pytest.approx(eod)
    # Summaries: the per-group ratio folded below 1, the largest difference.
    assert _value(out, "selection_rate_ratio", None) == pytest.approx(ratio)
    assert _value(out, "equalized_odds_difference", None) == pytest.approx(eod)
    assert _value(out, "selection_rate_ratio", None, column="n_rows") == 30
    assert _value(out, "selection_rate", "A", column="n_rows") == 16
    # The overall rows.
    assert _value(out, "selection_rate", None, OVERALL_ATTRIBUTE) == pytest.approx(
        10 / 30
    )
    assert _value(out, "true_positive_rate", None, OVERALL_ATTRIBUTE) == pytest.approx(
        6 / 11
    )
    overall = out[out["attribute"] == OVERALL_ATTRIBUTE]
    assert set(overall["attribute_kind"]) == {"overall"}
    assert overall["group_value"].isna().all()
    assert (overall["n_rows"] == 30).all()
    assert not overall["is_reference_group"].any()
    # n_boot=0: no intervals.
    assert out["ci_low"].isna().all() and out["ci_high"].isna().all()


def test_summary_folds_the_ratio_and_takes_the_largest_difference():
    # Reference a (largest) selects 0.5; b selects 0.25 (ratio 0.5); c selects
    # 0.75 (ratio 1.5, folded 2/3). The summary is the smaller folded ratio.
    def rows(group: str, n: int, flagged: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "group": group,
                "prediction": np.linspace(0.1, 0.9, n),
                "predicted_class": [1] * flagged + [0] * (n - flagged),
                "is_high_band": False,
            }
        )

    frame = pd.concat([rows("a", 40, 20), rows("b", 20, 5), rows("c", 20, 15)])
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "slice"},
        problem_type=CLASSIFICATION,
        actual=None,
        n_boot=0,
    )
    assert _value(out, "selection_rate_ratio", "b") == pytest.approx(0.5)
    assert _value(out, "selection_rate_ratio", "c") == pytest.approx(1.5)
    assert _value(out, "selection_rate_ratio", None) == pytest.approx(0.5)
    assert set(out.loc[out["attribute"] == "group", "attribute_kind"]) == {"slice"}


def test_undefined_metrics_are_null(hand_frame):
    # Group B without positives: no TPR, no ROC AUC, no equalized odds.
    frame = hand_frame.copy()
    frame.loc[frame["group"] == "B", "actual"] = 0.0
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=20,
    )
    for metric in ("true_positive_rate", "roc_auc", "equalized_odds_difference"):
        assert pd.isna(_value(out, metric, "B")), metric
        assert pd.isna(_value(out, metric, "B", column="ci_low")), metric
    assert _value(out, "false_positive_rate", "B") == pytest.approx(3 / 14)


# --------------------------------------------------------------------------
# 2. Suppression


def _with_small_group(n_small: int = 9) -> pd.DataFrame:
    frame = _random_frame(400, seed=3, shares=(0.6, 0.4))
    small = _random_frame(n_small, seed=4, shares=(1.0,))
    small["group"] = "small"
    return pd.concat([frame, small], ignore_index=True)


def test_a_group_below_the_minimum_is_suppressed_not_dropped():
    frame = _with_small_group(9)
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        min_group_size=10,
        n_boot=30,
    )
    small = out[out["group_value"] == "small"]
    expected = {
        "selection_rate",
        "high_band_rate",
        "true_positive_rate",
        "false_positive_rate",
        "precision",
        "roc_auc",
        "mean_predicted",
        "observed_rate",
        "selection_rate_ratio",
        "equalized_odds_difference",
    }
    assert set(small["metric"]) == expected
    assert small["is_suppressed"].all()
    assert not small["is_reference_group"].any()
    for column in ("value", "ci_low", "ci_high", "n_rows"):
        assert small[column].isna().all(), column
    # The summary compares only the two shown groups.
    rate_a = _value(out, "selection_rate", "a")
    rate_b = _value(out, "selection_rate", "b")
    assert _value(out, "selection_rate_ratio", None) == pytest.approx(
        min(rate_a, rate_b) / max(rate_a, rate_b)
    )
    assert _value(out, "equalized_odds_difference", None) == pytest.approx(
        _value(out, "equalized_odds_difference", "b")
    )
    assert _value(out, "selection_rate_ratio", None, column="n_rows") == 400
    # ...and the same summary as without the small group at all.
    without = group_metrics(
        frame[frame["group"] != "small"],
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=0,
    )
    for metric in ("selection_rate_ratio", "equalized_odds_difference"):
        assert _value(out, metric, None) == pytest.approx(_value(without, metric, None))
    shown = out[~out["is_suppressed"]]
    assert shown["value"].notna().all()


def test_the_minimum_is_configurable():
    frame = _with_small_group(9)
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        min_group_size=9,
        n_boot=0,
    )
    small = out[out["group_value"] == "small"]
    assert not small["is_suppressed"].any()
    assert (small["n_rows"] == 9).all()
    assert small["value"].notna().any()


def test_a_suppressed_group_is_never_the_reference():
    # The big group is below an (extreme) minimum; the reference is the
    # largest group that is shown.
    frame = pd.concat(
        [
            _random_frame(30, seed=1, shares=(1.0,)).assign(group="big"),
            _random_frame(25, seed=2, shares=(1.0,)).assign(group="mid"),
            _random_frame(20, seed=3, shares=(1.0,)).assign(group="low"),
        ],
        ignore_index=True,
    )
    frame.loc[:4, "group"] = "tiny"  # 5 rows
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        actual=None,
        min_group_size=26,
        n_boot=0,
    )
    # big has 25 rows left (below 26) like everyone: no reference, no summary.
    assert not out["is_reference_group"].any()
    assert pd.isna(_value(out, "selection_rate_ratio", None))
    assert pd.isna(_value(out, "selection_rate_ratio", None, column="n_rows"))
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        actual=None,
        min_group_size=21,
        n_boot=0,
    )
    reference = out.loc[out["is_reference_group"], "group_value"].unique()
    assert list(reference) == ["big"]  # 25 rows, tied with mid: first in order
    assert out.loc[out["group_value"] == "low", "is_suppressed"].all()


def test_missing_values_form_their_own_group():
    frame = _random_frame(300, seed=5)
    frame["group"] = frame["group"].astype(object)
    frame.loc[frame.index[:40], "group"] = None
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=0,
    )
    assert _value(out, "selection_rate", MISSING_GROUP, column="n_rows") == 40
    assert list(out.loc[out["metric"] == "selection_rate", "group_value"])[-1] == (
        MISSING_GROUP
    )


# --------------------------------------------------------------------------
# 3. Intervals


def test_every_shown_figure_lies_within_its_interval():
    out = group_metrics(
        _random_frame(3000, seed=11),
        run_id="r",
        split="test",
        attributes={"group": "protected", "level": "slice"},
        problem_type=CLASSIFICATION,
        n_boot=200,
    )
    shown = out[~out["is_suppressed"] & out["value"].notna()]
    assert len(shown) > 50
    assert shown["ci_low"].notna().all() and shown["ci_high"].notna().all()
    assert (shown["ci_low"] <= shown["value"]).all(), shown[
        shown["ci_low"] > shown["value"]
    ]
    assert (shown["value"] <= shown["ci_high"]).all(), shown[
        shown["value"] > shown["ci_high"]
    ]


def test_intervals_narrow_as_the_groups_grow():
    def widths(n: int) -> pd.Series:
        out = group_metrics(
            _random_frame(n, seed=12),
            run_id="r",
            split="test",
            attributes={"group": "protected"},
            problem_type=CLASSIFICATION,
            n_boot=100,
        )
        out = out.set_index(["attribute", "group_value", "metric"], drop=True)
        return out["ci_high"] - out["ci_low"]

    small, large = widths(400), widths(10_000)
    assert len(small) == len(large) > 20
    assert (large < small).all(), pd.DataFrame({"small": small, "large": large})
    assert (large < 0.5 * small).mean() > 0.9


def test_ci_level_sets_the_coverage():
    frame = _random_frame(1000, seed=13)
    kwargs = dict(
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=100,
    )
    wide = group_metrics(frame, ci_level=0.95, **kwargs)
    narrow = group_metrics(frame, ci_level=0.5, **kwargs)
    assert (
        (narrow["ci_high"] - narrow["ci_low"]) <= (wide["ci_high"] - wide["ci_low"])
    ).all()
    pd.testing.assert_series_equal(wide["value"], narrow["value"])


def _nan_if_undefined(metric):
    def wrapped(y_true, y_pred, **kwargs):
        try:
            return metric(y_true, y_pred, **kwargs)
        except ValueError:
            return np.nan

    return wrapped


def _fairlearn_frame(frame: pd.DataFrame, **bootstrap) -> MetricFrame:
    """MetricFrame with fairlearn's and scikit-learn's own metric functions."""

    def auc(y_true, y_pred, score):
        return _nan_if_undefined(roc_auc_score)(y_true, score)

    return MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "high_band_rate": lambda y_true, y_pred, band: float(np.mean(band)),
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "precision": lambda y_true, y_pred: precision_score(
                y_true, y_pred, zero_division=np.nan
            ),
            "roc_auc": auc,
            "mean_predicted": lambda y_true, y_pred, score: float(np.mean(score)),
            "observed_rate": lambda y_true, y_pred: float(np.mean(y_true)),
        },
        y_true=frame["actual"].to_numpy(),
        y_pred=frame["predicted_class"].to_numpy(),
        sensitive_features=frame["group"].to_numpy(),
        sample_params={
            "high_band_rate": {"band": frame["is_high_band"].to_numpy()},
            "roc_auc": {"score": frame["prediction"].to_numpy()},
            "mean_predicted": {"score": frame["prediction"].to_numpy()},
        },
        **bootstrap,
    )


@pytest.mark.parametrize("ties", [False, True], ids=["distinct-scores", "tied-scores"])
def test_values_and_intervals_equal_fairlearn_metricframe(ties):
    frame = _random_frame(600, seed=21)
    if ties:  # tree models and calibration give many tied probabilities
        frame["prediction"] = frame["prediction"].round(1)
    n_boot, level = 25, 0.9
    ours = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=n_boot,
        ci_level=level,
        random_state=7,
    )
    theirs = _fairlearn_frame(
        frame, n_boot=n_boot, ci_quantiles=[0.05, 0.95], random_state=7
    )
    low, high = theirs.by_group_ci
    overall_low, overall_high = theirs.overall_ci
    for metric in theirs.by_group.columns:
        for group in theirs.by_group.index:
            for column, expected in (
                ("value", theirs.by_group.loc[group, metric]),
                ("ci_low", low.loc[group, metric]),
                ("ci_high", high.loc[group, metric]),
            ):
                assert _value(ours, metric, group, column=column) == pytest.approx(
                    expected, rel=1e-9
                ), (metric, group, column)
        for column, expected in (
            ("value", theirs.overall[metric]),
            ("ci_low", overall_low[metric]),
            ("ci_high", overall_high[metric]),
        ):
            got = _value(ours, metric, None, OVERALL_ATTRIBUTE, column=column)
            assert got == pytest.approx(expected, rel=1e-9), (metric, column)


def test_disparity_intervals_come_from_the_same_resamples():
    # Recompute each resample the way fairlearn draws it, with MetricFrame on
    # the resampled rows, and the disparities against the data's reference.
    frame = _random_frame(500, seed=22)
    n_boot = 15
    ours = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=n_boot,
        random_state=3,
    )
    seeds = np.random.default_rng(3).integers(
        0, np.iinfo(np.uint32).max, size=n_boot, dtype=np.uint32
    )
    ratio, eod, ratio_summary, eod_summary = [], [], [], []
    for seed in seeds:
        sample = frame.sample(
            frac=1, replace=True, random_state=seed, ignore_index=True
        )
        by_group = _fairlearn_frame(sample).by_group
        rate, tpr, fpr = (
            by_group["selection_rate"],
            by_group["true_positive_rate"],
            by_group["false_positive_rate"],
        )
        r = rate / rate["a"]
        e = np.maximum((tpr - tpr["a"]).abs(), (fpr - fpr["a"]).abs())
        ratio.append(r[["b", "c"]])
        eod.append(e[["b", "c"]])
        ratio_summary.append(min(min(x, 1 / x) for x in r[["b", "c"]]))
        eod_summary.append(e[["b", "c"]].max())
    assert ours.loc[ours["is_reference_group"], "group_value"].unique().tolist() == [
        "a"
    ]
    for name, samples, summaries in (
        ("selection_rate_ratio", ratio, ratio_summary),
        ("equalized_odds_difference", eod, eod_summary),
    ):
        stacked = pd.DataFrame(samples)
        for group in ("b", "c"):
            lo, hi = np.quantile(stacked[group], [0.025, 0.975])
            assert _value(ours, name, group, column="ci_low") == pytest.approx(lo)
            assert _value(ours, name, group, column="ci_high") == pytest.approx(hi)
        lo, hi = np.quantile(summaries, [0.025, 0.975])
        assert _value(ours, name, None, column="ci_low") == pytest.approx(lo)
        assert _value(ours, name, None, column="ci_high") == pytest.approx(hi)


# --------------------------------------------------------------------------
# 4. Predict split, regression


def test_predict_split_needs_no_outcomes():
    frame = _random_frame(500, seed=31).drop(columns="actual")
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        actual=None,
        n_boot=50,
    )
    assert set(out["split"]) == {"predict"}
    assert _metrics(out) == {
        "selection_rate",
        "high_band_rate",
        "mean_predicted",
        "selection_rate_ratio",
    }
    assert _metrics(out, OVERALL_ATTRIBUTE) == {
        "selection_rate",
        "high_band_rate",
        "mean_predicted",
    }
    a = frame[frame["group"] == "a"]
    assert _value(out, "selection_rate", "a") == pytest.approx(
        a["predicted_class"].mean()
    )
    assert _value(out, "mean_predicted", "a") == pytest.approx(a["prediction"].mean())
    assert out["ci_low"].notna().any()
    # An outcome column present on the predict split is ignored.
    with_actual = group_metrics(
        _random_frame(500, seed=31),
        run_id="r",
        split="predict",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        n_boot=50,
    )
    pd.testing.assert_frame_equal(out, with_actual)


def test_predict_split_without_high_band():
    frame = _random_frame(200, seed=32).drop(columns=["actual", "is_high_band"])
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "protected"},
        problem_type=CLASSIFICATION,
        actual=None,
        high_band=None,
        n_boot=0,
    )
    assert "high_band_rate" not in _metrics(out)


def _regression_frame(n: int, seed: int = 41) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.6, 0.4])
    prediction = rng.normal(50, 10, n)
    # The model under-predicts group b by 3 on average.
    actual = prediction + rng.normal(0, 5, n) + np.where(group == "b", 3.0, 0.0)
    return pd.DataFrame({"group": group, "actual": actual, "prediction": prediction})


def test_regression_mean_residual_with_interval():
    frame = _regression_frame(800)
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"group": "slice"},
        problem_type="regression",
        n_boot=200,
    )
    assert _metrics(out) == {"mean_residual", "mean_predicted", "mean_actual", "mae"}
    for group in ("a", "b"):
        rows = frame[frame["group"] == group]
        residual = rows["actual"] - rows["prediction"]
        assert _value(out, "mean_residual", group) == pytest.approx(residual.mean())
        assert _value(out, "mae", group) == pytest.approx(residual.abs().mean())
        assert _value(out, "mean_actual", group) == pytest.approx(rows["actual"].mean())
        low = _value(out, "mean_residual", group, column="ci_low")
        high = _value(out, "mean_residual", group, column="ci_high")
        assert low < residual.mean() < high
        # About +-1.96 standard errors.
        se = residual.std() / np.sqrt(len(rows))
        assert high - low == pytest.approx(2 * 1.96 * se, rel=0.25)
    assert _value(out, "mean_residual", "b", column="ci_low") > 1.5
    assert out["is_reference_group"].any()  # a is the largest group


def test_regression_predict_split_has_only_mean_predicted():
    frame = _regression_frame(300).drop(columns="actual")
    out = group_metrics(
        frame,
        run_id="r",
        split="predict",
        attributes={"group": "slice"},
        problem_type="regression",
        actual=None,
        n_boot=20,
    )
    assert set(out["metric"]) == {"mean_predicted"}


# --------------------------------------------------------------------------
# 5. Contract, determinism, input errors


def test_output_conforms_to_the_contract_and_is_deterministic():
    frame = _random_frame(800, seed=51)
    kwargs = dict(
        run_id="run-7",
        split="test",
        attributes={"group": "protected", "level": "slice"},
        problem_type=CLASSIFICATION,
        n_boot=40,
    )
    out = group_metrics(frame, **kwargs)
    assert list(out.columns) == list(TABLE.column_names)
    assert {c: str(out[c].dtype) for c in out.columns} == {
        c.name: c.pandas_dtype for c in TABLE.columns
    }
    pd.testing.assert_frame_equal(conform(out, TABLE), out)
    for column in TABLE.columns:
        if not column.nullable:
            assert out[column.name].notna().all(), column.name
    assert set(out["run_id"]) == {"run-7"}
    pd.testing.assert_frame_equal(group_metrics(frame, **kwargs), out)
    # Another seed moves the intervals, never the values.
    other = group_metrics(frame, random_state=1, **kwargs)
    pd.testing.assert_series_equal(other["value"], out["value"])
    assert not other["ci_low"].equals(out["ci_low"])
    # The input is not modified.
    pd.testing.assert_frame_equal(frame, _random_frame(800, seed=51))


def test_group_values_are_text():
    frame = _random_frame(300, seed=52)
    frame["level"] = frame["level"].str[1:].astype(int) * 10  # 10, 20
    out = group_metrics(
        frame,
        run_id="r",
        split="test",
        attributes={"level": "slice"},
        problem_type=CLASSIFICATION,
        n_boot=0,
    )
    groups = out.loc[out["attribute"] == "level", "group_value"].dropna()
    assert set(groups) == {"10", "20"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(split="cv"), "split must be one of"),
        (dict(problem_type="multiclass"), "problem_type must be one of"),
        (dict(attributes={"group": "sensitive"}), "has kind 'sensitive'"),
        (dict(attributes={"nope": "slice"}), "lack the attribute column 'nope'"),
        (dict(actual=None), "test split needs the outcome column"),
        (dict(flagged="prediction"), "must hold only 0 and 1"),
        (dict(prediction="missing_column"), "lack the prediction column"),
        (dict(min_group_size=0), "min_group_size must be"),
        (dict(n_boot=-1), "n_boot must be"),
        (dict(ci_level=1.0), "ci_level must lie"),
    ],
)
def test_bad_input_is_refused_with_a_message(change, message):
    kwargs = (
        dict(
            run_id="r",
            split="test",
            attributes={"group": "protected"},
            problem_type=CLASSIFICATION,
            n_boot=0,
        )
        | change
    )
    with pytest.raises(ValueError, match=message):
        group_metrics(_random_frame(50), **kwargs)


def test_missing_outcomes_on_the_test_split_are_refused():
    frame = _random_frame(50)
    frame.loc[3, "actual"] = np.nan
    with pytest.raises(ValueError, match="1 missing or infinite"):
        group_metrics(
            frame,
            run_id="r",
            split="test",
            attributes={"group": "protected"},
            problem_type=CLASSIFICATION,
        )
