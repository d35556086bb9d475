"""train() and score(): output contract, frozen scoring, regression end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from test_ml_support import SPEC_BASE, make_panel

from people_ml.ml import (
    OUTPUT_COLUMNS,
    ArtifactError,
    MLModelSpec,
    RunOutputs,
    ScoringError,
    score,
    train,
)
from people_ml.ml import _run as run_module
from people_ml.ml._outputs import OUTPUT_TABLES

CLASSIFICATION = {
    **SPEC_BASE,
    "problem_type": "binary_classification",
    "label_horizon_months": 3,
    "keep_columns": ["gender"],
    "search_iterations": 2,
    "random_state": 7,
    # Every feature path (dates, categories, booleans) is exercised here, so
    # none may be pruned; pruning has its own tests (test_ml_selection.py).
    "prune_features": False,
}
REGRESSION = {
    **CLASSIFICATION,
    "key": "expected_pay_test",
    "problem_type": "regression",
    "metric": "neg_mean_absolute_error",
    "label_horizon_months": 0,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def panel():
    return make_panel(n_entities=200, n_months=12)


@pytest.fixture(scope="module")
def trained(panel, store):
    spec = MLModelSpec.from_config(CLASSIFICATION)
    return spec, train(panel, spec, artifact_dir=store, run_id="train-1")


@pytest.fixture(scope="module")
def reg_panel():
    return make_panel(n_entities=150, n_months=6, regression=True, seed=2)


@pytest.fixture(scope="module")
def reg_trained(reg_panel, store):
    spec = MLModelSpec.from_config(REGRESSION)
    return spec, train(reg_panel, spec, artifact_dir=store, run_id="reg-1")


def _score(frame, spec, outputs, store, run_id="score-1", **overrides):
    run = outputs.run.iloc[0]
    kwargs = {
        "artifact_dir": store,
        "run_id": run_id,
        "frozen_run_id": run["run_id"],
        "artifact_sha256": run["artifact_sha256"],
        "artifact_path": Path(run["artifact_path"]),
        **overrides,
    }
    return score(frame, spec, **kwargs)


@pytest.mark.parametrize("fixture", ["trained", "reg_trained"])
def test_output_columns_exact(fixture, request):
    _, out = request.getfixturevalue(fixture)
    assert isinstance(out, RunOutputs)
    for name, cols in OUTPUT_COLUMNS.items():
        frame = getattr(out, name)
        assert tuple(frame.columns) == cols, name
        assert (frame["run_id"] == out.run.loc[0, "run_id"]).all()
        table = OUTPUT_TABLES[name]
        dtypes = [str(frame[c.name].dtype) for c in table.columns]
        assert dtypes == [c.pandas_dtype for c in table.columns], name
    assert len(out.run) == 1


def test_run_record(trained, panel, store):
    spec, out = trained
    run = out.run.iloc[0]
    assert run["mode"] == "trained" and pd.isna(run["frozen_run_id"])
    assert run["model_key"] == spec.key and run["target"] == "target"
    assert run["predict_date"] == pd.Timestamp("2021-12-31")
    assert run["test_date"] == pd.Timestamp("2021-11-30")
    assert run["train_end_date"] == pd.Timestamp("2021-08-31")
    assert run["train_start_date"] == pd.Timestamp("2021-01-31")
    assert run["n_train_rows"] == 200 * 8
    assert run["n_test_rows"] == run["n_predict_rows"] == 200
    assert (store / run["artifact_path"]).is_file()
    assert run["artifact_path"] == f"{run['artifact_sha256']}.pkl"
    features = json.loads(run["features"])
    assert "gender" not in features and "const" not in features
    assert "hire_date" in features and "dept" in features
    assert json.loads(run["hyperparameters"])
    assert set(json.loads(run["library_versions"])) >= {
        "python",
        "scikit-learn",
        "numpy",
        "pandas",
        "shap",
        "scipy",
    }
    candidates = json.loads(run["candidates"])
    assert sum(c["selected"] for c in candidates) == 1
    assert run["cv_score"] == max(c["cv_score"] for c in candidates)
    assert 0 < run["decision_threshold"] < 1
    assert run["calibration"] in {"none", "sigmoid", "isotonic"}
    assert run["shap_output_space"].startswith("log_odds")
    assert run["selection_metric"] == "roc_auc"
    assert len(run["training_data_fingerprint"]) == 64


def test_predictions_and_shap_consistent(trained):
    _, out = trained
    pred, shap_long = out.predictions, out.shap_values
    threshold = out.run.loc[0, "decision_threshold"]
    assert len(pred) == 200 and pred["entity_id"].is_unique
    assert (pred["predicted_class"] == (pred["prediction"] >= threshold)).all()
    features = json.loads(out.run.loc[0, "features"])
    assert len(shap_long) == 200 * len(features)
    totals = shap_long.groupby("entity_id")["shap_value"].sum()
    merged = pred.set_index("entity_id")
    np.testing.assert_allclose(
        merged["base_value"] + totals.reindex(merged.index),
        merged["model_output"],
        atol=1e-6,
    )
    dept = shap_long[shap_long["feature"] == "dept"]["feature_value"]
    assert set(dept) <= {"sales", "ops", "tech", "hr", "legal"}
    hire = shap_long[shap_long["feature"] == "hire_date"]["feature_value"]
    assert hire.str.match(r"^\d{4}-\d{2}-\d{2}$").all()


def test_trained_and_scored_runs_explain_their_drivers(trained, panel, store):
    spec, out = trained
    scored = _score(panel, spec, out, store, run_id="score-drivers")
    for outputs in (out, scored):
        run = outputs.run.iloc[0]
        importance = outputs.feature_importance.set_index("feature")
        assert sorted(importance.index) == sorted(json.loads(run["features"]))
        shap = outputs.shap_values
        mean_abs = shap["shap_value"].abs().groupby(shap["feature"]).mean()
        np.testing.assert_allclose(
            importance["mean_abs_shap_value"].to_numpy(float),
            mean_abs.reindex(importance.index).to_numpy(float),
        )
        lower = importance["importance_lower"].to_numpy(float)
        upper = importance["importance_upper"].to_numpy(float)
        assert (lower <= importance["mean_abs_shap_value"]).all()
        assert (importance["mean_abs_shap_value"] <= upper).all()
        assert importance.loc["dept", "driver_kind"] == "categorical"
        assert importance.loc["x0", "direction"] == "higher raises"
        assert importance.loc["x1", "direction"] == "higher lowers"
        effects = outputs.feature_effects
        counts = effects.groupby("feature")["entity_count"].sum()
        assert (counts == run["n_predict_rows"]).all()
        kinds = importance["driver_kind"]
        assert "dept" in counts.index
        assert set(kinds[kinds != "continuous"].index) <= set(counts.index)
    # The scored run explains the same rows with the frozen model and the
    # refits kept in its pickle: the same drivers.
    pd.testing.assert_frame_equal(
        scored.feature_importance.drop(columns="run_id"),
        out.feature_importance.drop(columns="run_id"),
    )


def test_metrics_and_profiles(trained):
    _, out = trained
    metrics = out.metrics
    assert set(metrics["split"]) == {"test", "cv"}
    test = metrics[metrics["split"] == "test"].set_index(["metric", "class_label"])
    for metric in ["roc_auc", "pr_auc", "brier", "log_loss", "true_positive"]:
        assert (metric, pd.NA) in test.index
    for label in ["0", "1"]:
        for metric in ["precision", "recall", "f1"]:
            assert (metric, label) in test.index
    counts = test.loc[
        [
            (m, pd.NA)
            for m in [
                "true_negative",
                "false_positive",
                "false_negative",
                "true_positive",
            ]
        ],
        "value",
    ]
    assert counts.sum() == 200
    profile = out.feature_profiles.set_index("feature")
    assert profile.loc["gender", "status"] == "dropped"
    assert profile.loc["const", "status"] == "dropped"
    assert profile.loc["hire_date", "status"] == "processed"
    assert profile.loc["remote", "detected_type"] == "boolean"
    assert profile.loc["x0", "status"] == "selected"
    assert set(profile.index) == set(out.feature_profiles["feature"])


def test_test_period_labels_do_not_influence_training(trained, panel, tmp_path):
    spec, out = trained
    flipped = panel.copy()
    test_rows = flipped["sample_date"] == pd.Timestamp("2021-11-30")
    flipped.loc[test_rows, "target"] = 1 - flipped.loc[test_rows, "target"]
    gap = flipped["sample_date"].between("2021-09-01", "2021-10-31")
    flipped.loc[gap, "target"] = 0.0  # embargoed rows are unused too
    again = train(flipped, spec, artifact_dir=tmp_path, run_id="train-1")
    for col in [
        "decision_threshold",
        "hyperparameters",
        "calibration",
        "cv_score",
        "training_data_fingerprint",
        "artifact_sha256",
    ]:
        assert again.run.loc[0, col] == out.run.loc[0, col], col


def test_score_uses_exactly_the_persisted_model(trained, panel, store, monkeypatch):
    spec, out = trained

    def no_fit(*args, **kwargs):
        raise AssertionError("score() must not fit anything")

    for cls in (BaseEstimator, Pipeline, ColumnTransformer):
        for name in ("fit", "fit_transform"):
            monkeypatch.setattr(cls, name, no_fit, raising=False)
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    monkeypatch.setattr(LogisticRegression, "fit", no_fit)
    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", no_fit)
    monkeypatch.setattr(run_module, "fit_automl", no_fit)
    scored = _score(panel, spec, out, store)
    run = scored.run.iloc[0]
    assert run["mode"] == "scored" and run["frozen_run_id"] == "train-1"
    for col in [
        "algorithm",
        "hyperparameters",
        "features",
        "decision_threshold",
        "calibration",
        "cv_score",
        "artifact_sha256",
        "artifact_path",
        "training_data_fingerprint",
        "n_train_rows",
        "train_end_date",
    ]:
        assert run[col] == out.run.loc[0, col], col
    pd.testing.assert_frame_equal(
        scored.predictions.drop(columns="run_id"),
        out.predictions.drop(columns="run_id"),
    )
    pd.testing.assert_frame_equal(
        scored.shap_values.drop(columns="run_id"),
        out.shap_values.drop(columns="run_id"),
    )
    test_metrics = scored.metrics[scored.metrics["split"] == "test"]
    expected = out.metrics[out.metrics["split"] == "test"]
    np.testing.assert_allclose(test_metrics["value"], expected["value"])
    assert set(scored.metrics["split"]) == {"test"}


def test_score_new_period_without_labels(trained, panel, store):
    spec, out = trained
    later = panel[panel["sample_date"] == panel["sample_date"].max()].copy()
    later["sample_date"] = pd.Timestamp("2022-01-31")
    later["x0"] = later["x0"] + 0.5
    frame = pd.concat([panel, later], ignore_index=True)
    frame.loc[frame["sample_date"] == pd.Timestamp("2021-12-31"), "target"] = 1.0
    scored = _score(frame, spec, out, store, run_id="score-2")
    assert scored.run.loc[0, "predict_date"] == pd.Timestamp("2022-01-31")
    assert scored.run.loc[0, "test_date"] == pd.Timestamp("2021-12-31")
    assert len(scored.predictions) == 200
    assert not scored.predictions["prediction"].equals(out.predictions["prediction"])


def test_score_missing_feature_raises(trained, panel, store):
    spec, out = trained
    with pytest.raises(ScoringError) as info:
        _score(panel.drop(columns=["x1", "dept"]), spec, out, store, run_id="score-x")
    message = str(info.value)
    assert "score-x" in message and "train-1" in message
    assert "x1" in message and "dept" in message and "unfreeze" in message


def test_score_incompatible_dtype_raises(trained, panel, store):
    spec, out = trained
    frame = panel.copy()
    frame["x0"] = frame["x0"].map(lambda v: f"{v:.3f} units")
    with pytest.raises(ScoringError) as info:
        _score(frame, spec, out, store, run_id="score-y")
    assert "score-y" in str(info.value) and "x0" in str(info.value)


def test_score_refuses_altered_artifact(trained, panel, tmp_path):
    spec, out = trained
    run = out.run.iloc[0]
    store = Path(tmp_path)  # the artifact is not there: missing file
    with pytest.raises(ArtifactError, match=r"score-z.*train-1.*missing"):
        _score(panel, spec, out, store, run_id="score-z")
    path = store / run["artifact_path"]
    path.write_bytes(b"not the artifact")
    with pytest.raises(ArtifactError, match=r"score-z.*train-1.*sha256.*unfreeze"):
        _score(panel, spec, out, store, run_id="score-z")


def test_score_refuses_another_models_artifact(trained, panel, store):
    _spec, out = trained
    other = MLModelSpec.from_config({**CLASSIFICATION, "key": "another_model"})
    with pytest.raises(ScoringError, match="different model contract"):
        _score(panel, other, out, store)


def test_score_warns_on_spec_change(trained, panel, store):
    _, out = trained
    changed = MLModelSpec.from_config({**CLASSIFICATION, "cv_folds": 4})
    scored = _score(panel, changed, out, store)
    assert "spec_changed_since_freeze" in set(scored.warnings["code"])
    assert scored.run.loc[0, "hyperparameters"] == out.run.loc[0, "hyperparameters"]


def test_regression_end_to_end(reg_trained, reg_panel, store):
    spec, out = reg_trained
    run = out.run.iloc[0]
    assert run["problem_type"] == "regression"
    assert pd.isna(run["decision_threshold"])
    assert run["calibration"] == "none"
    assert run["shap_output_space"] == "prediction"
    assert run["n_train_rows"] == 150 * 4  # horizon 0: every month before the test
    assert out.predictions["predicted_class"].isna().all()
    np.testing.assert_allclose(
        out.predictions["prediction"], out.predictions["model_output"]
    )
    test = out.metrics[out.metrics["split"] == "test"].set_index("metric")["value"]
    assert {"mae", "rmse", "r2", "n_rows"} <= set(test.index)
    assert test["r2"] > 0.8
    scored = _score(reg_panel, spec, out, store, run_id="reg-score")
    np.testing.assert_allclose(
        scored.predictions["prediction"], out.predictions["prediction"]
    )


def test_fingerprint_tracks_training_rows_only(trained, panel):
    spec, out = trained
    fp = out.run.loc[0, "training_data_fingerprint"]
    train_rows = panel[panel["sample_date"] <= "2021-08-31"]
    assert run_module.fingerprint(train_rows, spec) == fp
    shuffled = train_rows.sample(frac=1.0, random_state=0)[train_rows.columns[::-1]]
    assert run_module.fingerprint(shuffled, spec) == fp
    changed = train_rows.copy()
    changed.iloc[5, changed.columns.get_loc("x2")] += 1e-9
    assert run_module.fingerprint(changed, spec) != fp
    missing = train_rows.copy()
    missing.iloc[5, missing.columns.get_loc("x2")] = np.nan
    assert run_module.fingerprint(missing, spec) != fp
    text = train_rows.copy()
    text["grade"] = "a"
    relabelled = text.copy()
    relabelled.iloc[5, relabelled.columns.get_loc("grade")] = "b"
    fp_text = run_module.fingerprint(text, spec)
    assert run_module.fingerprint(relabelled, spec) != fp_text
    renamed = train_rows.rename(columns={"x2": "x9"})
    assert run_module.fingerprint(renamed, spec) != fp


# A cheap spec for tests that train on purpose-built small frames.
FAST = {**CLASSIFICATION, "candidates": ["logistic_regression"], "search_iterations": 1}
TRUST_CODES = {"test_too_few_minority", "cv_fold_too_few_minority", "cv_test_disagree"}


def _small_panel():
    """120 workers x 8 months: predict 2021-08-31, test 2021-07-31, train to 04-30."""
    return make_panel(n_entities=120, n_months=8, seed=3)


def _warning(outputs, code):
    rows = outputs.warnings[outputs.warnings["code"] == code]
    assert len(rows) == 1, outputs.warnings[["code", "message"]].to_string()
    assert rows["severity"].iloc[0] == "warning"
    return rows["message"].iloc[0]


def test_test_period_with_one_positive_warns(tmp_path):
    frame = _small_panel()
    test = frame["sample_date"] == pd.Timestamp("2021-07-31")
    frame.loc[test, "target"] = 0.0
    frame.loc[frame.index[test][0], "target"] = 1.0
    out = train(frame, MLModelSpec.from_config(FAST), artifact_dir=tmp_path, run_id="t")
    message = _warning(out, "test_too_few_minority")
    assert "2021-07-31" in message and "1 row(s) of class 1" in message
    assert "10" in message and "unreliable" in message
    assert "cv_test_disagree" not in set(out.warnings["code"])  # CV says it all


def test_cv_fold_with_too_few_minority_rows_warns(tmp_path):
    frame = _small_panel()
    training = frame["sample_date"] <= pd.Timestamp("2021-04-30")
    frame.loc[training, "target"] = 0.0
    positives = frame.index[training & frame["worker_id"].isin(range(1000, 1015))]
    frame.loc[positives[::4], "target"] = 1.0  # 15 positives on 15 workers
    out = train(frame, MLModelSpec.from_config(FAST), artifact_dir=tmp_path, run_id="c")
    message = _warning(out, "cv_fold_too_few_minority")
    assert "fold" in message and "class 1" in message and "min_minority_rows" in message


def test_cv_and_test_disagreeing_warns(tmp_path):
    frame = _small_panel()
    test = frame["sample_date"] == pd.Timestamp("2021-07-31")
    frame.loc[test, "target"] = 1.0 - frame.loc[test, "target"]  # inverted labels
    out = train(frame, MLModelSpec.from_config(FAST), artifact_dir=tmp_path, run_id="d")
    message = _warning(out, "cv_test_disagree")
    assert "roc_auc" in message and "2021-07-31" in message and "fold" in message


def test_min_minority_rows_is_configurable(tmp_path):
    frame = _small_panel()
    test = frame["sample_date"] == pd.Timestamp("2021-07-31")
    positives = int(frame.loc[test, "target"].sum())
    spec = MLModelSpec.from_config({**FAST, "min_minority_rows": positives + 1})
    out = train(frame, spec, artifact_dir=tmp_path, run_id="m")
    assert f"{positives} row(s) of class 1" in _warning(out, "test_too_few_minority")


def test_a_trustworthy_run_raises_no_trust_warning(trained):
    _, out = trained
    assert not TRUST_CODES & set(out.warnings["code"])


def test_score_warns_when_the_test_period_has_too_few_minority_rows(
    trained, panel, store
):
    spec, out = trained
    frame = panel.copy()
    test = frame["sample_date"] == pd.Timestamp("2021-11-30")
    frame.loc[test, "target"] = 0.0
    frame.loc[frame.index[test][:2], "target"] = 1.0
    scored = _score(frame, spec, out, store, run_id="score-few")
    message = _warning(scored, "test_too_few_minority")
    assert "2 row(s) of class 1" in message and "2021-11-30" in message


def test_train_names_run_and_folder_when_artifacts_cannot_be_written(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ArtifactError) as info:
        train(
            _small_panel(),
            MLModelSpec.from_config(FAST),
            artifact_dir=blocker / "models",
            run_id="run-disk",
        )
    message = str(info.value)
    assert "run-disk" in message and str(blocker / "models") in message
    assert "Not a directory" in message and "PEOPLE_ML_ARTIFACT_DIR" in message


def test_training_summary_is_kept_in_the_pickle_and_scoring_reuses_it(
    trained, panel, store, tmp_path
):
    """Drift compares with the frozen run's training data, never the new rows."""
    from people_ml.ml import load_artifact
    from people_ml.ml._artifact import save_artifact

    spec, out = trained
    run = out.run.iloc[0]
    reference = out.reference
    assert reference is not None and reference.run_id == "train-1"
    assert reference.n_rows == run["n_train_rows"]
    assert [f.name for f in reference.features] == json.loads(run["features"])
    artifact = load_artifact(
        store / run["artifact_path"], run["artifact_sha256"], "train-1"
    )
    assert artifact.training["reference"] == reference.to_dict()
    scored = _score(panel, spec, out, store, run_id="score-ref")
    assert scored.reference == reference
    # A pickle made before references were stored scores, without one.
    artifact.training.pop("reference")
    sha, path = save_artifact(artifact, tmp_path, run_id="train-1")
    old = _score(
        panel,
        spec,
        out,
        tmp_path,
        run_id="score-old",
        artifact_sha256=sha,
        artifact_path=Path(path.name),
    )
    assert old.reference is None
