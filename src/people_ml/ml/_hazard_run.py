"""Train and score a hazard run (``formulation: hazard``) for a dbt Python model.

The classifier's pipeline (:mod:`._run`) on a person-month frame: split by
:func:`hazard_split`, fit :func:`fit_hazard`, and read the probability of the
event within every horizon of the spec. The run's own horizon
(``label_horizon_months``) is its ``predictions``, ``test_predictions``,
metrics and threshold, so a hazard run is judged and reviewed exactly as a
classifier over that horizon is; ``horizon_predictions`` holds every horizon.
SHAP values explain the next month's hazard at the person's features today.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._artifact import save_artifact
from ._drivers import explain_drivers
from ._exceptions import DataError, RunWarning, ScoringError
from ._hazard import MONTHS_AHEAD, FollowUp, fit_hazard, horizon_labels
from ._metrics import choose_threshold, evaluate
from ._model import load_shap
from ._outputs import (
    RunOutputs,
    effects_frame,
    horizon_predictions_frame,
    importance_frame,
    metrics_frame,
    predictions_frame,
    profiles_frame,
    quality_frame,
    run_record,
    shap_frame,
    test_predictions_frame,
    warnings_frame,
)
from ._progress import rows_per_second, stage
from ._quality import annotate_profile, inspect_frame, inspect_score
from ._reference import TrainingReference, build_reference
from ._refits import explain_refits, fit_refits, resample_fractions
from ._run import (
    ModelArtifact,
    _compatible,
    _date,
    _fmt,
    _relative,
    _scoring_profile,
    _unseen_categories,
    fingerprint,
    label_notes,
    load_frozen,
    refit_fix,
)
from ._split import HazardSplit, SplitBoundaries, _cutoff, hazard_split
from ._trust import check_cv_folds, check_test_period
from ._versions import library_versions

if TYPE_CHECKING:
    from ._hazard import HazardModel
    from ._model import FittedModel
    from ._spec import MLModelSpec

__all__ = ["score_hazard", "train_hazard"]


def _label(split: HazardSplit, horizon: int) -> np.ndarray:
    column = f"within_{horizon}_months"
    return split.test_labels[column].to_numpy(dtype=bool).astype(int)


def _split_notes(b: SplitBoundaries, model: HazardModel | None) -> list[RunWarning]:
    trained = ""
    if model is not None:
        ahead = (
            "the next month"
            if model.look_ahead_months == 1
            else f"each of the {model.look_ahead_months} months ahead"
        )
        events = (
            f"{model.n_events} events"
            if model.event_rate == 1.0
            else f"{model.n_events} events kept at {model.event_rate:.3g}"
        )
        trained = (
            f"; {model.n_train_rows} rows fitted: {ahead}, non-events kept at "
            f"{model.non_event_rate:.3g}, {events}, at most max_train_rows, the "
            "odds corrected for the sampling"
        )
    return [
        RunWarning(
            "info",
            "split",
            f"hazard: train on month-ends {_fmt(b.train_start)} .. "
            f"{_fmt(b.train_end)} ({b.n_train} person-months, exits known up to "
            f"the test date{trained}), test {_fmt(b.test_date)} ({b.n_test} rows: "
            f"left within {b.label_horizon_months} months, = the latest month-end "
            f"minus label_horizon_months), predict {_fmt(b.predict_date)} "
            f"({b.n_predict} rows), {b.n_unused} labelled month-ends after the test "
            "date left to later runs",
        )
    ]


def _threshold(
    model: HazardModel, split: HazardSplit, spec: MLModelSpec
) -> tuple[float | None, list[RunWarning], list[tuple[str, None, float]]]:
    """F1 threshold on P(within H) at the latest training month-end that H resolved.

    The month-end ``H`` months before the test date: its outcomes over the
    horizon were known at the test date (training rows, in sample).
    """
    horizon = spec.label_horizon_months
    if split.boundaries.test_date is None:
        return None, [], []
    when = _cutoff(split.boundaries.test_date, horizon)
    dates = pd.to_datetime(split.train[spec.sample_date])
    rows = split.train[(dates == when).to_numpy()]
    if rows.empty:
        return (
            None,
            [
                RunWarning(
                    "info",
                    "threshold",
                    f"no training month-end {horizon} months before the test date "
                    f"({when.date()}): the decision threshold is 0.5. Risk bands, "
                    "not this threshold, decide who is flagged high.",
                )
            ],
            [],
        )
    y = horizon_labels(rows, [horizon])[f"within_{horizon}_months"]
    y = y.to_numpy(dtype=bool).astype(int)
    p = model.probability_within(rows, [horizon])[:, 0]
    threshold = choose_threshold(y, p, positive_only=True)
    flagged = p >= threshold
    share = float(flagged.mean())
    precision = float(y[flagged].mean()) if flagged.any() else float("nan")
    note = RunWarning(
        "info",
        "threshold",
        f"decision threshold {threshold:.4f} on the probability of leaving within "
        f"{horizon} months maximises F1 at the month-end {when.date()} (a "
        f"training month-end whose {horizon}-month outcomes were known at the "
        f"test date; in sample): there it flags {share:.1%} of people with "
        f"precision {precision:.1%} (base rate {y.mean():.1%}). Risk bands, not "
        "this threshold, decide who is flagged high (the top share).",
    )
    metrics = [
        ("threshold_flagged_share", None, share),
        ("threshold_precision", None, precision),
    ]
    return threshold, [note], metrics


def _test(
    run_id: str, spec: MLModelSpec, model: HazardModel, split: HazardSplit
) -> tuple[pd.DataFrame | None, list[RunWarning], pd.DataFrame]:
    """Metrics, notes and test predictions at the run's horizon."""
    test = split.test
    if test.empty:
        return (
            None,
            [RunWarning("info", "no_test_period", "no month-end to evaluate")],
            test_predictions_frame(run_id, spec, test, np.empty(0), None),
        )
    y = _label(split, spec.label_horizon_months)
    probability = model.probability_within(test, model.horizons)
    preds = model.as_predictions(probability[:, _column(model)])
    notes: list[RunWarning] = []
    if len(np.unique(y)) < 2:
        notes.append(
            RunWarning(
                "warning",
                "test_single_class",
                f"the test date {split.boundaries.test_date} holds one class; "
                "ROC AUC and PR AUC are not computed.",
            )
        )
    notes += check_test_period(
        y, test_date=split.boundaries.test_date, min_rows=spec.min_minority_rows
    )
    metrics = evaluate(
        y,
        preds.prediction,
        problem_type="binary_classification",
        threshold=0.5 if model.threshold is None else model.threshold,
    )
    metrics = pd.concat(
        [metrics, _horizon_metrics(model, split, probability)], ignore_index=True
    )
    return metrics, notes, test_predictions_frame(run_id, spec, test, y, preds)


def _column(model: HazardModel) -> int:
    """The run's own horizon among the model's horizons."""
    return list(model.horizons).index(model.horizon_months)


def _horizon_metrics(
    model: HazardModel, split: HazardSplit, p: np.ndarray
) -> pd.DataFrame:
    """Test-date expected and actual events at every horizon."""
    rows = []
    for i, h in enumerate(model.horizons):
        actual = float(_label(split, h).sum())
        expected = float(p[:, i].sum())
        rows += [
            (f"expected_events_{h}_months", None, expected),
            (f"actual_events_{h}_months", None, actual),
        ]
    frame = pd.DataFrame(rows, columns=["metric", "class_label", "value"])
    frame["class_label"] = frame["class_label"].astype("string")
    return frame


def _explain(
    run_id: str,
    spec: MLModelSpec,
    model: HazardModel,
    predict: pd.DataFrame,
    refits: tuple[FittedModel, ...],
) -> tuple[dict[str, pd.DataFrame], dict[str, float], pd.DataFrame]:
    """Predictions at every horizon, and SHAP and drivers of the next month."""
    started = time.perf_counter()
    probability = model.probability_within(predict, model.horizons)
    primary = model.as_predictions(probability[:, _column(model)])
    predicted = time.perf_counter()
    prepared = model.prepare_month(predict)
    load_shap()  # the first import is not SHAP's speed
    explaining = time.perf_counter()
    expl = model.explain(prepared)
    shap_rate = rows_per_second(len(prepared), time.perf_counter() - explaining)
    rows, refit_shap = explain_refits(refits, prepared, random_state=spec.random_state)
    refit_shap = [s.drop(columns=[MONTHS_AHEAD], errors="ignore") for s in refit_shap]
    features = list(expl.features)
    schema = {f.name: f.kind for f in model.model.schema}
    drivers = explain_drivers(
        predict[features].reset_index(drop=True),
        pd.DataFrame(expl.values, columns=features),
        refit_shap_values=refit_shap,
        refit_rows=rows,
        refit_fractions=resample_fractions(refits),
        kinds={f: schema[f] for f in features},
        random_state=spec.random_state,
    )
    timings = {
        "predict_seconds": predicted - started,
        "explain_seconds": time.perf_counter() - predicted,
        "shap_rows_per_second": shap_rate,
    }
    frames = {
        "predictions": predictions_frame(run_id, spec, predict, primary, expl),
        "shap_values": shap_frame(run_id, spec, predict, expl),
        "feature_importance": importance_frame(run_id, drivers),
        "feature_effects": effects_frame(run_id, drivers),
        "horizon_predictions": horizon_predictions_frame(
            run_id, spec, predict, model.horizons, probability
        ),
    }
    return frames, timings, prepared


def _candidate_columns(frame: pd.DataFrame, spec: MLModelSpec) -> list[str]:
    skip = {spec.entity_id, spec.sample_date, spec.target, *FollowUp().columns()}
    return [c for c in frame.columns if c not in skip]


def _reference_schema(model: HazardModel) -> list:
    return [f for f in model.model.schema if f.name != MONTHS_AHEAD]


def train_hazard(
    frame: pd.DataFrame, spec: MLModelSpec, *, artifact_dir: Path, run_id: str
) -> RunOutputs:
    """Split a person-month frame, fit the hazard, evaluate, explain and persist.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per entity at risk at each month-end (see :func:`hazard_split`).
    spec : MLModelSpec
        ``formulation: hazard``.
    artifact_dir : pathlib.Path
    run_id : str

    Returns
    -------
    RunOutputs
        ``metrics`` holds the test date at the run's horizon (split ``'test'``,
        with expected and actual events at every horizon) and the monthly
        model's out-of-fold metrics (``'cv'``: a month's event, not the
        horizon's).
    """
    quality = inspect_frame(frame, spec)
    quality.enforce(spec.key)
    split = hazard_split(frame, spec)
    b = split.boundaries
    fit_started = time.perf_counter()
    model, training = fit_hazard(
        split.train,
        entity_id=spec.entity_id,
        sample_date=spec.sample_date,
        target=spec.target,
        look_ahead_months=spec.look_ahead_months,
        max_train_rows=spec.max_train_rows,
        random_state=spec.random_state,
        return_training=True,
        metric=spec.metric,
        cv_folds=spec.cv_folds,
        candidates=spec.algorithms,
        search_iterations=spec.search_iterations,
        selection_rule=spec.selection_rule,
        prune_features=spec.prune_features,
        tuning_max_rows=spec.tuning_max_rows,
        features=spec.features,
        exclude=spec.exclude,
        keep_columns=spec.keep_columns,
        dropped=quality.dropped_columns(),
    )
    model.horizon_months = spec.label_horizon_months
    model.horizons = tuple(spec.horizons or (spec.label_horizon_months,))
    stage("refitting the chosen model on resampled people (driver intervals)")
    refits = fit_refits(
        model.model,
        training.rows,
        pd.Series(training.y),
        groups=training.rows[spec.entity_id].to_numpy(),
        sample_dates=training.rows[spec.sample_date],
        random_state=spec.random_state,
    )
    threshold, threshold_notes, threshold_metrics = _threshold(model, split, spec)
    model.threshold = threshold
    # The monthly model's threshold is not the run's: say which one is.
    model.model.class_balance = "; ".join(
        f"threshold maximises F1 of the {spec.label_horizon_months}-month "
        "probability at a training month-end (see the threshold note)"
        if part.startswith("threshold")
        else part
        for part in str(model.model.class_balance).split("; ")
    )
    fit_seconds = time.perf_counter() - fit_started
    result = model.automl
    quality += inspect_score(result.cv_metrics, spec)
    quality.enforce(spec.key)
    profile = annotate_profile(result.profile, quality)
    notes = _split_notes(b, model)
    notes += [n for n in result.warnings if n.code != "threshold"]
    notes += threshold_notes
    notes.append(
        RunWarning(
            "info",
            "hazard",
            f"a discrete-time hazard read at {list(model.horizons)} months: the "
            "CV metrics score a month's event on the fitted rows; the test "
            f"metrics score leaving within {spec.label_horizon_months} months at "
            f"the test date; SHAP values explain the next month's hazard "
            "(log-odds) at each person's features today.",
        )
    )
    metrics, test_notes, test_predictions = _test(run_id, spec, model, split)
    notes += test_notes + check_cv_folds(
        result.fold_class_counts, min_rows=spec.min_minority_rows
    )
    stage("predicting and explaining %s people (SHAP)", f"{len(split.predict):,}")
    frames, timings, prepared = _explain(run_id, spec, model, split.predict, refits)
    notes += _unseen_categories(model.model, prepared)
    notes += label_notes(spec, model.model.features)
    columns = _candidate_columns(frame, spec)
    reference = build_reference(
        run_id,
        split.train,
        _reference_schema(model),
        split.train[spec.sample_date],
        columns=columns,
    )
    training_facts = {
        "train_start_date": _date(b.train_start),
        "train_end_date": _date(b.train_end),
        "n_train_rows": b.n_train,
        "training_data_fingerprint": fingerprint(split.train, spec),
        "selection_metric": result.selection_metric,
        "cv_score": result.cv_score,
        "candidates": [c.to_dict() for c in result.candidates],
        "profile": profile,
        "reference": reference.to_dict(),
    }
    artifact = ModelArtifact(
        model.model,
        spec.to_dict(),
        run_id,
        training_facts,
        refits=refits,
        hazard=model,
    )
    sha, path = save_artifact(artifact, Path(artifact_dir), run_id=run_id)
    run = run_record(
        run_id=run_id,
        mode="trained",
        spec=spec,
        model=model.model,
        boundaries=b,
        training=training_facts,
        artifact_sha256=sha,
        artifact_path=path.name,
        library_versions=artifact.library_versions,
        timings={"fit_seconds": fit_seconds, **timings},
        threshold=threshold,
        shap_output_space=model.shap_output_space,
    )
    cv = result.cv_metrics
    cv = cv[~cv["metric"].isin(["threshold_flagged_share", "threshold_precision"])]
    extra = pd.DataFrame(threshold_metrics, columns=["metric", "class_label", "value"])
    extra["class_label"] = extra["class_label"].astype("string")
    parts = [] if metrics is None else [("test", metrics)]
    parts.append(("cv", pd.concat([cv, extra], ignore_index=True)))
    return RunOutputs(
        run=run,
        metrics=metrics_frame(run_id, parts),
        feature_profiles=profiles_frame(run_id, profile, spec),
        warnings=warnings_frame(run_id, notes),
        test_predictions=test_predictions,
        data_quality=quality_frame(run_id, quality),
        reference=reference,
        **frames,
    )


def score_hazard(
    frame: pd.DataFrame,
    spec: MLModelSpec,
    *,
    artifact_dir: Path,
    run_id: str,
    frozen_run_id: str,
    artifact_sha256: str,
    artifact_path: Path,
) -> RunOutputs:
    """Score the as-of month-end with a frozen, verified hazard artifact.

    Nothing is fitted. The test date's outcomes, where known, are recorded for
    monitoring. Parameters and errors as :func:`people_ml.ml.score`.
    """
    path, artifact, notes = load_frozen(
        spec,
        artifact_dir=artifact_dir,
        run_id=run_id,
        frozen_run_id=frozen_run_id,
        artifact_sha256=artifact_sha256,
        artifact_path=artifact_path,
    )
    model = getattr(artifact, "hazard", None)
    if model is None:
        raise ScoringError(
            f"run {run_id!r}: the model frozen in run {frozen_run_id!r} is not a "
            "hazard. Fix: unfreeze it with `people-ml unfreeze "
            f"{spec.key}` so the next build trains a hazard."
        )
    fix = refit_fix(spec)
    missing = [f for f in model.features if f not in frame.columns]
    if missing:
        raise ScoringError(
            f"run {run_id!r}: the frame lacks feature column(s) {missing} of the "
            f"model frozen in run {frozen_run_id!r}. {fix}"
        )
    split = hazard_split(frame, spec, require_training=False)
    b = split.boundaries
    bad = [
        f"{f.name} (trained as {f.kind} from {f.source_dtype}, "
        f"now {frame[f.name].dtype})"
        for f in model.model.schema
        if f.name != MONTHS_AHEAD and not _compatible(split.predict[f.name], f)
    ]
    if bad:
        raise ScoringError(
            f"run {run_id!r}: incompatible dtype for feature(s) {bad} of the model "
            f"frozen in run {frozen_run_id!r}. {fix}"
        )
    try:
        metrics, test_notes, test_predictions = _test(run_id, spec, model, split)
        frames, timings, prepared = _explain(
            run_id, spec, model, split.predict, artifact.refits
        )
    except DataError as exc:
        raise ScoringError(
            f"run {run_id!r}: the frame does not fit the model frozen in run "
            f"{frozen_run_id!r}: {exc}. {fix}"
        ) from exc
    notes += _split_notes(b, None) + test_notes
    notes += _unseen_categories(model.model, prepared)
    notes += label_notes(spec, model.model.features)
    training = artifact.training
    run = run_record(
        run_id=run_id,
        mode="scored",
        spec=spec,
        model=model.model,
        boundaries=b,
        training=training,
        artifact_sha256=artifact_sha256,
        artifact_path=_relative(artifact_dir, path),
        library_versions=library_versions(),
        timings={"fit_seconds": 0.0, **timings},
        frozen_run_id=frozen_run_id,
        threshold=model.threshold,
        shap_output_space=model.shap_output_space,
    )
    profile = _scoring_profile(
        spec,
        model.model,
        split.predict.drop(columns=list(FollowUp().columns()), errors="ignore"),
        training["profile"],
        frozen_run_id,
    )
    parts = [] if metrics is None else [("test", metrics)]
    stored = training.get("reference")
    return RunOutputs(
        run=run,
        metrics=metrics_frame(run_id, parts),
        feature_profiles=profiles_frame(run_id, profile, spec),
        warnings=warnings_frame(run_id, notes),
        test_predictions=test_predictions,
        reference=None if stored is None else TrainingReference.from_dict(stored),
        **frames,
    )
