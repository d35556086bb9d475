"""The shown run side by side: predict_with_run and the comparison frames."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_ml_support import SPEC_BASE, make_panel

from people_ml.ledger.contract import STORE_TABLES
from people_ml.ml import (
    ArtifactError,
    MLModelSpec,
    ScoringError,
    predict_with_run,
    time_split,
    train,
)
from people_ml.review.compare import (
    BANDS,
    compare_drivers,
    compare_population,
    compare_test_metrics,
    importance_from_shap,
    percent_rank,
    risk_bands,
    summarize_drivers,
)

FAST = {
    **SPEC_BASE,
    "problem_type": "binary_classification",
    "label_horizon_months": 1,
    "keep_columns": ["gender"],
    "candidates": ["logistic_regression"],
    "search_iterations": 1,
    "cv_folds": 2,
    "random_state": 7,
}
FAST_REGRESSION = {
    **FAST,
    "key": "expected_pay_test",
    "problem_type": "regression",
    "metric": "neg_mean_absolute_error",
    "candidates": ["ridge"],
    "label_horizon_months": 0,
}


def _conformed(frame: pd.DataFrame, table: str) -> None:
    contract = STORE_TABLES[table]
    assert tuple(frame.columns) == contract.column_names
    assert [str(frame[c.name].dtype) for c in contract.columns] == [
        c.pandas_dtype for c in contract.columns
    ]


def _values(frame: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    """metric -> (candidate_value, compared_value), NULL as None."""

    def plain(v: object) -> float | None:
        return None if pd.isna(v) else float(v)

    return {
        r.metric: (plain(r.candidate_value), plain(r.compared_value))
        for r in frame.itertuples()
    }


# ------------------------------------------------------------ predict_with_run


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def spec():
    return MLModelSpec.from_config(FAST)


@pytest.fixture(scope="module")
def panel():
    return make_panel(n_entities=120, n_months=8, seed=3)


@pytest.fixture(scope="module")
def shown(spec, store):
    # The run BI shows: trained a month earlier (its last month unlabelled).
    return train(
        make_panel(n_entities=120, n_months=7, seed=3),
        spec,
        artifact_dir=store,
        run_id="shown-1",
    )


@pytest.fixture(scope="module")
def candidate(spec, store, panel):
    return train(panel, spec, artifact_dir=store, run_id="cand-1")


def _with_run(rows, spec, outputs, store, **overrides):
    run = outputs.run.iloc[0]
    kwargs = {
        "artifact_dir": store,
        "artifact_path": run["artifact_path"],
        "artifact_sha256": run["artifact_sha256"],
        "run_id": run["run_id"],
        "model_key": run["model_key"],
        **overrides,
    }
    return predict_with_run(rows, spec, **kwargs)


def test_reproduces_the_runs_own_test_predictions(candidate, spec, panel, store):
    test_rows = time_split(panel, spec).test
    recorded = candidate.test_predictions
    # The rows predicted are the run's test rows, in the same order.
    assert recorded["entity_id"].tolist() == test_rows["worker_id"].astype(str).tolist()
    assert (recorded["sample_date"] == test_rows["sample_date"].to_numpy()).all()
    again = _with_run(test_rows, spec, candidate, store)
    np.testing.assert_array_equal(again.prediction, recorded["prediction"].to_numpy())
    np.testing.assert_array_equal(
        again.predicted_class, recorded["predicted_class"].to_numpy(dtype=int)
    )
    assert again.threshold == candidate.run.loc[0, "decision_threshold"]
    assert again.run_id == "cand-1" and again.problem_type == spec.problem_type
    assert again.notes == ()


def test_reproduces_the_runs_own_predict_set(candidate, spec, panel, store):
    predict_rows = time_split(panel, spec).predict
    again = _with_run(predict_rows, spec, candidate, store)
    np.testing.assert_array_equal(
        again.prediction, candidate.predictions["prediction"].to_numpy()
    )


def test_regression_run(store):
    spec = MLModelSpec.from_config(FAST_REGRESSION)
    frame = make_panel(n_entities=80, n_months=5, regression=True, seed=4)
    out = train(frame, spec, artifact_dir=store, run_id="reg-1")
    again = _with_run(time_split(frame, spec).test, spec, out, store)
    np.testing.assert_array_equal(
        again.prediction, out.test_predictions["prediction"].to_numpy()
    )
    assert again.predicted_class is None and again.threshold is None


def test_tampered_or_missing_pickle_refused(shown, spec, panel, store, tmp_path):
    rows = time_split(panel, spec).test
    name = shown.run.loc[0, "artifact_path"]
    data = bytearray((store / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"shown-1.*sha256"):
        _with_run(rows, spec, shown, store, artifact_dir=tmp_path)
    with pytest.raises(ArtifactError, match=r"shown-1.*missing"):
        _with_run(rows, spec, shown, store, artifact_dir=tmp_path / "nowhere")
    assert (store / name).is_file()  # the real artifact is untouched


def test_absolute_artifact_path(shown, spec, panel, store, tmp_path):
    name = shown.run.loc[0, "artifact_path"]
    shutil.copy(store / name, tmp_path / name)
    rows = time_split(panel, spec).test
    again = _with_run(rows, spec, shown, store, artifact_path=Path(tmp_path / name))
    assert len(again.prediction) == len(rows)


def test_rows_that_do_not_fit_the_model(shown, spec, panel, store):
    rows = time_split(panel, spec).test
    with pytest.raises(ScoringError, match=r"shown-1.*lack.*\['x0'\]"):
        _with_run(rows.drop(columns=["x0"]), spec, shown, store)
    text = rows.assign(x0="high")
    with pytest.raises(ScoringError, match=r"shown-1.*incompatible dtype.*x0"):
        _with_run(text, spec, shown, store)
    with pytest.raises(ScoringError, match=r"shown-1.*trained for model"):
        _with_run(rows, spec, shown, store, model_key="another_model")
    other = MLModelSpec.from_config(FAST_REGRESSION)
    with pytest.raises(ScoringError, match=r"shown-1.*cannot be compared"):
        _with_run(rows, other, shown, store, model_key=spec.key)


def test_candidate_and_shown_run_end_to_end(candidate, shown, spec, panel, store):
    split = time_split(panel, spec)
    tp = candidate.test_predictions
    old = _with_run(split.test, spec, shown, store)
    assert old.threshold == shown.run.loc[0, "decision_threshold"]
    test = compare_test_metrics(
        run_id="cand-1",
        compared_run_id="shown-1",
        problem_type=spec.problem_type,
        actual=tp["actual"],
        candidate_prediction=tp["prediction"],
        compared_prediction=old.prediction,
        candidate_threshold=candidate.run.loc[0, "decision_threshold"],
        compared_threshold=old.threshold,
    )
    _conformed(test, "run_comparisons")
    own = candidate.metrics[
        (candidate.metrics["split"] == "test") & candidate.metrics["class_label"].isna()
    ].set_index("metric")["value"]
    values = _values(test)
    for metric in ("roc_auc", "pr_auc", "brier"):
        assert values[metric][0] == pytest.approx(own[metric], abs=1e-12)
        assert values[metric][1] is not None
    current = _with_run(split.predict, spec, shown, store)
    comparisons, movers = compare_population(
        run_id="cand-1",
        compared_run_id="shown-1",
        problem_type=spec.problem_type,
        entity_id=candidate.predictions["entity_id"],
        candidate_prediction=candidate.predictions["prediction"],
        compared_prediction=current.prediction,
    )
    _conformed(comparisons, "run_comparisons")
    _conformed(movers, "comparison_movers")
    values = _values(comparisons)
    assert values["n_rows"] == (120, 120)
    assert sum(values[f"band_{a}_to_{b}"][0] for a in BANDS for b in BANDS) == 120
    assert 0.5 < values["spearman_rank_correlation"][0] <= 1
    assert len(movers) <= 20
    drivers = compare_drivers(
        run_id="cand-1",
        compared_run_id="shown-1",
        candidate=importance_from_shap(candidate.shap_values),
        compared=importance_from_shap(shown.shap_values),
    )
    _conformed(drivers, "driver_comparisons")
    assert set(drivers["feature"]) >= {"x0", "x1", "dept"}
    by_feature = drivers.set_index("feature")
    assert by_feature.loc["x0", "candidate_direction"] == "raises"
    assert by_feature.loc["x1", "candidate_direction"] == "lowers"
    assert by_feature.loc["dept", "candidate_direction"] == "unclear"  # categorical


# ---------------------------------------------------------------- test metrics

Y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 0], dtype=float)
CAND = np.array([0.1, 0.2, 0.8, 0.7, 0.3, 0.9, 0.4, 0.05, 0.6, 0.35])
COMP = np.array([0.6, 0.2, 0.5, 0.9, 0.1, 0.8, 0.3, 0.85, 0.4, 0.05])


def test_classification_metrics_by_hand():
    frame = compare_test_metrics(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        actual=Y,
        candidate_prediction=CAND,
        compared_prediction=COMP,
        candidate_threshold=0.5,
        compared_threshold=0.75,
        high_band_percentile=0.8,  # top 2 of 10: percent_rank (r-1)/9 >= 0.8
    )
    _conformed(frame, "run_comparisons")
    assert set(frame["split"]) == {"test"}
    assert set(frame["run_id"]) == {"new"} and set(frame["compared_run_id"]) == {"old"}
    v = _values(frame)
    assert list(v) == [
        "n_rows",
        "roc_auc",
        "pr_auc",
        "brier",
        "threshold",
        "precision_at_threshold",
        "recall_at_threshold",
        "n_high_band",
        "precision_high_band",
        "recall_high_band",
    ]
    assert v["n_rows"] == (10, 10)
    # The candidate separates the classes; the shown run orders 19 of 24 pairs.
    assert v["roc_auc"] == pytest.approx((1.0, 19 / 24))
    # Shown run, ranked: 1 0 1 0 1 1 0 0 0 0 -> mean precision at each positive.
    assert v["pr_auc"] == pytest.approx((1.0, (1 + 2 / 3 + 3 / 5 + 4 / 6) / 4))
    assert v["brier"] == pytest.approx(
        (np.mean((CAND - Y) ** 2), np.mean((COMP - Y) ** 2))
    )
    assert v["threshold"] == (0.5, 0.75)
    # Candidate at 0.5 flags exactly the 4 positives; shown at 0.75 flags
    # 0.9 (1), 0.85 (0), 0.8 (1).
    assert v["precision_at_threshold"] == pytest.approx((1.0, 2 / 3))
    assert v["recall_at_threshold"] == pytest.approx((1.0, 2 / 4))
    # High band: candidate 0.9, 0.8 (both 1); shown 0.9 (1), 0.85 (0).
    assert v["n_high_band"] == (2, 2)
    assert v["precision_high_band"] == pytest.approx((1.0, 0.5))
    assert v["recall_high_band"] == pytest.approx((0.5, 0.25))


def test_classification_single_class_leaves_nulls():
    frame = compare_test_metrics(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        actual=np.zeros(4),
        candidate_prediction=[0.1, 0.2, 0.3, 0.4],
        compared_prediction=[0.4, 0.3, 0.2, 0.1],
        candidate_threshold=None,
        compared_threshold=None,
    )
    v = _values(frame)
    assert v["roc_auc"] == (None, None) and v["pr_auc"] == (None, None)
    assert v["recall_high_band"] == (None, None)  # no positives to recall
    assert v["threshold"] == (0.5, 0.5)
    assert v["brier"] == pytest.approx((0.075, 0.075))


def test_regression_metrics_by_hand():
    frame = compare_test_metrics(
        run_id="new",
        compared_run_id="old",
        problem_type="regression",
        actual=[1, 2, 3, 4],
        candidate_prediction=[1, 2, 3, 5],
        compared_prediction=[2, 3, 4, 5],
        candidate_threshold=None,
        compared_threshold=None,
    )
    _conformed(frame, "run_comparisons")
    v = _values(frame)
    assert list(v) == ["n_rows", "mae", "rmse", "r2", "mean_bias"]
    assert v["mae"] == pytest.approx((0.25, 1.0))
    assert v["rmse"] == pytest.approx((0.5, 1.0))
    # Total sum of squares 5: r2 = 1 - 1/5 and 1 - 4/5.
    assert v["r2"] == pytest.approx((0.8, 0.2))
    assert v["mean_bias"] == pytest.approx((0.25, 1.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"problem_type": "ranking"}, "problem_type"),
        ({"actual": [0, 1, 2]}, "0/1"),
        ({"compared_prediction": [0.1, 0.2]}, "aligned"),
        ({"candidate_prediction": [0.1, np.nan, 0.3]}, "missing"),
        ({"high_band_percentile": 1.5}, "high_band_percentile"),
    ],
)
def test_test_metrics_refuse_bad_input(kwargs, message):
    args = {
        "run_id": "new",
        "compared_run_id": "old",
        "problem_type": "binary_classification",
        "actual": [0, 1, 1],
        "candidate_prediction": [0.1, 0.7, 0.3],
        "compared_prediction": [0.2, 0.6, 0.4],
        "candidate_threshold": 0.5,
        "compared_threshold": 0.5,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        compare_test_metrics(**args)


# ------------------------------------------------------------------ population

IDS = [f"e{i:02d}" for i in range(11)]
SHOWN = np.array([0.01 * (i + 1) for i in range(11)])  # e00 lowest ... e10 highest
NEW = SHOWN.copy()
NEW[0], NEW[10] = 0.99, 0.001  # e00: low -> high; e10: high -> low
NEW[3], NEW[4] = SHOWN[4], SHOWN[3]  # e03, e04 swap places within the low band


def test_percent_rank_and_bands_follow_sql():
    assert percent_rank([]).tolist() == []
    assert percent_rank([5.0]).tolist() == [0.0]
    assert percent_rank([3, 1, 1, 2]).tolist() == pytest.approx([1, 0, 0, 2 / 3])
    # 11 rows: percent_rank (r - 1) / 10; high from 0.9 (ranks 10, 11), medium
    # from 0.7 (ranks 8, 9).
    assert risk_bands(SHOWN).tolist() == ["low"] * 7 + ["medium"] * 2 + ["high"] * 2
    moved = risk_bands(SHOWN, high_band_percentile=0.5, medium_band_percentile=0.2)
    assert moved.tolist() == ["low"] * 2 + ["medium"] * 3 + ["high"] * 6
    with pytest.raises(ValueError, match="medium_band_percentile"):
        risk_bands(SHOWN, high_band_percentile=0.5, medium_band_percentile=0.7)


def test_band_moves_and_movers_by_hand():
    comparisons, movers = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        entity_id=IDS,
        candidate_prediction=NEW,
        compared_prediction=SHOWN,
        n_movers=3,
    )
    _conformed(comparisons, "run_comparisons")
    _conformed(movers, "comparison_movers")
    assert set(comparisons["split"]) == {"predict"}
    v = _values(comparisons)
    assert v["n_rows"] == (11, 11)
    assert v["mean_prediction"] == pytest.approx((NEW.mean(), SHOWN.mean()))
    assert v["mean_abs_change"][0] == pytest.approx(np.abs(NEW - SHOWN).mean())
    assert v["mean_abs_change"][1] is None
    # Rank differences 10, -10, 1, -1: rho = 1 - 6 * 202 / (11 * 120).
    assert v["spearman_rank_correlation"][0] == pytest.approx(1 - 6 * 202 / 1320)
    assert v["spearman_rank_correlation"][1] is None
    assert v["n_band_low"] == (7, 7)
    assert v["n_band_medium"] == (2, 2)
    assert v["n_band_high"] == (2, 2)
    moves = {f"band_{a}_to_{b}": v[f"band_{a}_to_{b}"] for a in BANDS for b in BANDS}
    expected = dict.fromkeys(moves, (0.0, None))
    expected.update(
        {
            "band_low_to_low": (6.0, None),
            "band_low_to_high": (1.0, None),
            "band_medium_to_medium": (2.0, None),
            "band_high_to_high": (1.0, None),
            "band_high_to_low": (1.0, None),
        }
    )
    assert moves == expected
    assert v["moved_band"] == (2, None)
    assert v["moved_band_up"] == (1, None)
    assert v["moved_band_down"] == (1, None)
    # Largest |percentile change| first; e03 and e04 tie at 0.1, e03 by id.
    assert movers["entity_id"].tolist() == ["e00", "e10", "e03"]
    first = movers.iloc[0]
    assert (first["candidate_band"], first["compared_band"]) == ("high", "low")
    assert (
        first["candidate_prediction"] == 0.99 and first["compared_prediction"] == 0.01
    )
    assert movers["percentile_change"].tolist() == pytest.approx([1.0, -1.0, 0.1])
    assert movers.iloc[2]["candidate_band"] == movers.iloc[2]["compared_band"] == "low"


def test_people_who_did_not_move_are_not_movers():
    _, movers = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        entity_id=IDS,
        candidate_prediction=NEW,
        compared_prediction=SHOWN,
    )
    assert len(movers) == 4  # e00, e10, e03, e04: the others kept their rank
    _, none = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        entity_id=IDS,
        candidate_prediction=NEW,
        compared_prediction=SHOWN,
        n_movers=0,
    )
    _conformed(none, "comparison_movers")
    assert none.empty


def test_band_cut_offs_are_parameters():
    comparisons, _ = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        entity_id=IDS,
        candidate_prediction=NEW,
        compared_prediction=SHOWN,
        high_band_percentile=0.5,
        medium_band_percentile=0.2,
    )
    v = _values(comparisons)
    assert (v["n_band_low"], v["n_band_medium"], v["n_band_high"]) == (
        (2, 2),
        (3, 3),
        (6, 6),
    )


def test_regression_population_has_no_bands():
    comparisons, movers = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="regression",
        entity_id=[1, 2, 3, 4],
        candidate_prediction=[12.0, 20.0, 25.0, 40.0],
        compared_prediction=[10.0, 20.0, 30.0, 40.0],
    )
    _conformed(movers, "comparison_movers")
    v = _values(comparisons)
    assert list(v) == [
        "n_rows",
        "mean_prediction",
        "spearman_rank_correlation",
        "mean_abs_change",
    ]
    assert v["spearman_rank_correlation"] == (1.0, None)
    assert v["mean_prediction"] == (24.25, 25.0)
    assert v["mean_abs_change"] == (1.75, None)
    # Ordered by absolute change in value: 5 then 2; unchanged people omitted.
    assert movers["entity_id"].tolist() == ["3", "1"]
    assert (
        movers["candidate_band"].isna().all() and movers["compared_band"].isna().all()
    )
    assert movers["percentile_change"].tolist() == [0.0, 0.0]


def test_population_refuses_repeated_people():
    with pytest.raises(ValueError, match="repeated"):
        compare_population(
            run_id="new",
            compared_run_id="old",
            problem_type="regression",
            entity_id=["a", "a"],
            candidate_prediction=[1.0, 2.0],
            compared_prediction=[1.0, 2.0],
        )


# --------------------------------------------------------------------- drivers

CANDIDATE_DRIVERS = pd.DataFrame(
    {
        "feature": ["a", "b", "c", "d", "e", "f"],
        "mean_abs_shap": [0.40, 0.30, 0.20, 0.095, 0.004, 0.001],  # sums to 1
        "direction_corr": [0.5, -0.6, 0.3, 0.8, 0.9, np.nan],
    }
)
COMPARED_DRIVERS = pd.DataFrame(
    {
        "feature": ["a", "c", "b", "d", "g"],
        "mean_abs_shap": [0.50, 0.30, 0.10, 0.06, 0.04],
        "direction_corr": [0.4, 0.2, 0.5, 0.05, -0.3],
    }
)


def test_driver_changes():
    frame = compare_drivers(
        run_id="new",
        compared_run_id="old",
        candidate=CANDIDATE_DRIVERS,
        compared=COMPARED_DRIVERS,
    )
    _conformed(frame, "driver_comparisons")
    assert frame["feature"].tolist() == ["a", "b", "c", "d", "e", "f", "g"]
    rows = frame.set_index("feature")
    assert rows["change"].to_dict() == {
        "a": "same",
        "b": "flipped",  # lowers now, raised before (its rank moved too)
        "c": "moved",  # rank 3, was 2
        "d": "same",  # rank 4 both; raises vs unclear is no flip
        "e": "gained",
        "f": "gained",
        "g": "lost",
    }
    assert rows.loc["b", ["candidate_rank", "compared_rank"]].tolist() == [2, 3]
    assert rows.loc["b", ["candidate_direction", "compared_direction"]].tolist() == [
        "lowers",
        "raises",
    ]
    # e correlates strongly but holds 0.4 % of the importance: below the floor.
    assert rows.loc["e", "candidate_direction"] == "unclear"
    assert rows.loc["f", "candidate_direction"] == "unclear"  # categorical
    assert rows.loc["d", "compared_direction"] == "unclear"  # |corr| < 0.1
    assert pd.isna(rows.loc["e", "compared_rank"])
    assert pd.isna(rows.loc["g", "candidate_direction"])
    assert rows.loc["g", "compared_direction"] == "lowers"
    assert rows.loc["g", "compared_importance"] == 0.04


def test_importance_floor_is_a_parameter():
    frame = compare_drivers(
        run_id="new",
        compared_run_id="old",
        candidate=CANDIDATE_DRIVERS,
        compared=COMPARED_DRIVERS,
        min_importance_share=0.001,
    )
    assert frame.set_index("feature").loc["e", "candidate_direction"] == "raises"


def test_tied_importances_share_a_rank():
    tied = CANDIDATE_DRIVERS.assign(mean_abs_shap=[0.4, 0.3, 0.3, 0.095, 0.004, 0.001])
    frame = compare_drivers(
        run_id="new", compared_run_id="old", candidate=tied, compared=tied
    )
    assert frame["candidate_rank"].tolist() == [1, 2, 2, 4, 5, 6]
    assert set(frame["change"]) == {"same"}


def test_driver_summary():
    drivers = compare_drivers(
        run_id="new",
        compared_run_id="old",
        candidate=CANDIDATE_DRIVERS,
        compared=COMPARED_DRIVERS,
    )
    summary = summarize_drivers(drivers, top_k=2)
    _conformed(summary, "run_comparisons")
    assert set(summary["split"]) == {"drivers"}
    v = _values(summary)
    assert v["n_features"] == (6, 5)
    counts = {k: v[f"n_{k}"][0] for k in ("gained", "lost", "flipped", "moved", "same")}
    assert counts == {"gained": 2, "lost": 1, "flipped": 1, "moved": 1, "same": 2}
    # Common features a, b, c, d: ranks 1 2 3 4 vs 1 3 2 4 -> 1 - 6 * 2 / 60.
    assert v["importance_rank_correlation"][0] == pytest.approx(0.8)
    assert v["top_2_overlap"] == (1, None)  # {a, b} and {a, c}
    empty = summarize_drivers(drivers.iloc[0:0])
    _conformed(empty, "run_comparisons")
    assert empty.empty


def test_importance_from_shap():
    shap = pd.DataFrame(
        {
            "run_id": "r",
            "entity_id": [str(i) for i in range(4) for _ in range(5)],
            "feature": ["x", "dept", "flag", "const", "hire_date"] * 4,
            "feature_value": [
                *("1", "sales", "Yes", "1", "2015-01-01"),
                *("2", "ops", "No", "1", "2016-01-01"),
                *("3", "ops", "Yes", "1", None),
                *(None, None, "No", "1", "2017-01-01"),
            ],
            "shap_value": [
                *(-1.0, 0.2, 0.3, 0.0, 0.1),
                *(-2.0, -0.2, -0.3, 0.0, 0.1),
                *(-3.0, 0.2, 0.3, 0.0, 0.1),
                *(0.5, 0.0, -0.3, 0.0, 0.1),
            ],
        }
    )
    out = importance_from_shap(shap)
    assert out.columns.tolist() == ["feature", "mean_abs_shap", "direction_corr"]
    assert out["feature"].tolist() == ["x", "flag", "dept", "hire_date", "const"]
    rows = out.set_index("feature")
    assert rows.loc["x", "mean_abs_shap"] == pytest.approx(6.5 / 4)
    assert rows.loc["x", "direction_corr"] == pytest.approx(-1.0)  # missing skipped
    assert rows.loc["flag", "direction_corr"] == pytest.approx(1.0)  # Yes = 1
    assert math.isnan(rows.loc["dept", "direction_corr"])  # categorical
    assert math.isnan(rows.loc["hire_date", "direction_corr"])  # dates as text
    assert math.isnan(rows.loc["const", "direction_corr"])  # no spread
    with pytest.raises(ValueError, match="several runs"):
        importance_from_shap(pd.concat([shap, shap.assign(run_id="s")]))
    with pytest.raises(ValueError, match="lacks"):
        importance_from_shap(shap.drop(columns=["feature_value"]))


def test_band_movers_come_before_bigger_moves_inside_a_band():
    ids = np.array([f"e{i}" for i in range(10)])
    shown = np.linspace(0.01, 0.10, 10)
    # e0 climbs five ranks but stays low; e6 and e7 swap across the
    # low / medium line (one rank each).
    new_rank = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 0: 5, 7: 6, 6: 7, 8: 8, 9: 9}
    new = np.array([0.01 + 0.01 * new_rank[i] for i in range(10)])
    _, movers = compare_population(
        run_id="new",
        compared_run_id="old",
        problem_type="binary_classification",
        entity_id=ids,
        candidate_prediction=new,
        compared_prediction=shown,
        n_movers=3,
    )
    assert movers["entity_id"].tolist() == ["e6", "e7", "e0"]
    assert movers.iloc[0]["candidate_band"] != movers.iloc[0]["compared_band"]
    assert movers.iloc[2]["candidate_band"] == movers.iloc[2]["compared_band"]


def test_a_lost_driver_prints_no_nan_direction():
    from people_ml.review.report import _direction

    # A driver the candidate lost has a NaN direction (no row on its side);
    # NaN is truthy, so `or` printed "nan".
    assert _direction(float("nan"), "higher raises") == "higher raises"
    assert _direction(float("nan"), None) == "-"
    assert _direction("unclear", "higher lowers") == "unclear"
