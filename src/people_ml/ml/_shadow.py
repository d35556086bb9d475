"""Predict rows with another run's frozen model, never refitting it.

The review compares a candidate run with the run BI shows now on the same
footing: the shown run's pickle is verified and loaded exactly as
:func:`people_ml.ml.score` loads a frozen artifact, and its model predicts the
candidate's rows (test period or predict set). Nothing is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._exceptions import (
    DataError,
    RunWarning,
    ScoringError,
)
from ._hazard import MONTHS_AHEAD
from ._run import _compatible, _resolve, load_verified

if TYPE_CHECKING:
    from ._hazard import HazardModel
    from ._spec import MLModelSpec

__all__ = [
    "ShadowExplanation",
    "ShadowPredictions",
    "explain_with_run",
    "predict_with_run",
]


@dataclass(frozen=True)
class ShadowPredictions:
    """What a run's frozen model predicts for rows it did not see.

    Attributes
    ----------
    run_id : str
        The run whose model predicted.
    problem_type : str
        ``'binary_classification'`` or ``'regression'`` (the model's).
    prediction : ndarray
        Probability of the positive class, or the predicted value; one per row,
        in the order of the rows given.
    predicted_class : ndarray or None
        0/1 at the model's threshold (classification only).
    model_output : ndarray
        The uncalibrated margin (classification) or the prediction.
    threshold : float or None
        The model's decision threshold (classification only).
    features : tuple of str
        The features the model used.
    notes : tuple of RunWarning
        Patch-level library differences found when loading the artifact
        (``library_version_difference``), for the caller to record.
    """

    run_id: str
    problem_type: str
    prediction: np.ndarray
    predicted_class: np.ndarray | None
    model_output: np.ndarray
    threshold: float | None
    features: tuple[str, ...]
    notes: tuple[RunWarning, ...] = ()


@dataclass(frozen=True)
class ShadowExplanation:
    """A run's frozen model's predictions and SHAP values for given rows.

    Attributes
    ----------
    predictions : ShadowPredictions
        As :func:`predict_with_run` gives them.
    shap_values : pandas.DataFrame
        One row per row given (same index), one column per feature of the
        model, in ``output_space`` units.
    output_space : str
        What the values explain (``'log_odds'``, ``'log_odds_uncalibrated'``
        or ``'prediction'``).
    """

    predictions: ShadowPredictions
    shap_values: pd.DataFrame
    output_space: str


def predict_with_run(
    rows: pd.DataFrame,
    spec: MLModelSpec | None = None,
    *,
    artifact_dir: Path,
    artifact_path: Path | str,
    artifact_sha256: str,
    run_id: str,
    model_key: str,
) -> ShadowPredictions:
    """Predict ``rows`` with the verified, frozen model of run ``run_id``.

    The artifact is checked and loaded as :func:`people_ml.ml.score` does
    (sha256 before unpickling, library versions, payload type); the rows are
    prepared with the model's persisted feature schema and predicted with its
    pipeline, calibrator and threshold. Nothing is fitted, ever.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows to predict, e.g. the candidate run's test period. Must hold every
        feature of the run's model and the ``spec.sample_date`` column (date
        features are ages at the sample date).
    spec : MLModelSpec, optional
        The candidate's spec: names the sample-date column and the problem
        type, which must be the run's. By default the run's own (from its
        artifact).
    artifact_dir : pathlib.Path
        Folder the artifact path is relative to.
    artifact_path : pathlib.Path or str
        The run's artifact file (relative to ``artifact_dir`` or absolute), as
        in its run record.
    artifact_sha256 : str
        The digest recorded in the run record.
    run_id : str
        The run whose model predicts (named in every error).
    model_key : str
        The ML model the run belongs to; the artifact must have been trained
        for it.

    Returns
    -------
    ShadowPredictions
        One prediction per row, in the order of ``rows``.

    Raises
    ------
    ArtifactError
        Missing, altered or version-incompatible artifact.
    ScoringError
        The file holds no people_ml model artifact, the artifact belongs to
        another model or problem type, or the rows lack a feature of the model
        or hold an incompatible dtype.
    """
    artifact, spec, notes = _checked_artifact(
        rows,
        spec,
        artifact_dir=artifact_dir,
        artifact_path=artifact_path,
        artifact_sha256=artifact_sha256,
        run_id=run_id,
        model_key=model_key,
    )
    return _predict(artifact, rows, spec, run_id, notes)


def explain_with_run(
    rows: pd.DataFrame,
    spec: MLModelSpec | None = None,
    *,
    artifact_dir: Path,
    artifact_path: Path | str,
    artifact_sha256: str,
    run_id: str,
    model_key: str,
) -> ShadowExplanation:
    """Predict and explain ``rows`` with the verified model of run ``run_id``.

    The what-if of the storyboard: a person's row, changed, goes through the
    same checks and the same prediction as :func:`predict_with_run`, and its
    SHAP values are computed with the model's own explainer (for a hazard,
    the next month's hazard, as its runs explain it). Nothing is fitted.

    Parameters
    ----------
    rows, artifact_dir, artifact_path, artifact_sha256, run_id, model_key
        As for :func:`predict_with_run`.
    spec : MLModelSpec, optional
        The spec the rows follow; by default the run's own (from its
        artifact), which is what a reader of the run's marts has.

    Returns
    -------
    ShadowExplanation
        The predictions and one SHAP value per row and feature.
    """
    artifact, spec, notes = _checked_artifact(
        rows,
        spec,
        artifact_dir=artifact_dir,
        artifact_path=artifact_path,
        artifact_sha256=artifact_sha256,
        run_id=run_id,
        model_key=model_key,
    )
    predictions = _predict(artifact, rows, spec, run_id, notes)
    hazard = getattr(artifact, "hazard", None)
    try:
        if hazard is not None:
            explanation = hazard.explain(hazard.prepare_month(rows))
        else:
            model = artifact.model
            explanation = model.explain(model.prepare(rows, rows[spec.sample_date]))
    except DataError as exc:
        raise ScoringError(
            f"run {run_id!r}: the rows cannot be explained by its model: {exc}."
        ) from exc
    values = pd.DataFrame(
        np.asarray(explanation.values, dtype=float),
        columns=list(explanation.features),
        index=rows.index,
    )
    return ShadowExplanation(
        predictions=predictions,
        shap_values=values,
        output_space=explanation.output_space,
    )


def _checked_artifact(
    rows: pd.DataFrame,
    spec: MLModelSpec | None,
    *,
    artifact_dir: Path,
    artifact_path: Path | str,
    artifact_sha256: str,
    run_id: str,
    model_key: str,
) -> tuple[Any, MLModelSpec, tuple[RunWarning, ...]]:
    """The verified artifact of run ``run_id``, checked against ``rows``, and
    the spec the rows follow (``spec``, or the run's own when None)."""
    from ._spec import MLModelSpec

    path = _resolve(Path(artifact_dir), Path(artifact_path))
    artifact, loaded_notes = load_verified(
        path,
        artifact_sha256,
        run_id,
        model_key=model_key,
        cannot=f"the model of run {run_id!r} cannot be loaded to predict with",
        fix="It cannot predict.",
    )
    notes = tuple(loaded_notes)
    if spec is None:
        spec = MLModelSpec.from_config(artifact.spec)
    model = artifact.model
    trained_for = artifact.spec.get("key")
    if trained_for != model_key:
        raise ScoringError(
            f"run {run_id!r}: its artifact {path.name} was trained for model "
            f"{trained_for!r}, not {model_key!r}. Fix: compare with a run of "
            f"{model_key!r}."
        )
    if model.problem_type != spec.problem_type:
        raise ScoringError(
            f"run {run_id!r}: its model is {model.problem_type!r}, the rows to "
            f"predict are for a {spec.problem_type!r} model; the two cannot be "
            "compared."
        )
    fix = (
        f"The model of run {run_id!r} needs its training columns to predict "
        "these rows: restore the column(s) upstream, or compare with another run."
    )
    schema = [f for f in model.schema if f.name != MONTHS_AHEAD]
    missing = [f.name for f in schema if f.name not in rows.columns]
    if spec.sample_date not in rows.columns:
        missing.append(spec.sample_date)
    if missing:
        raise ScoringError(
            f"run {run_id!r}: the rows lack column(s) {missing} of its model. {fix}"
        )
    bad = [
        f"{f.name} (trained as {f.kind} from {f.source_dtype}, "
        f"now {rows[f.name].dtype})"
        for f in schema
        if not _compatible(rows[f.name], f)
    ]
    if bad:
        raise ScoringError(
            f"run {run_id!r}: incompatible dtype for feature(s) {bad} of its "
            f"model. {fix}"
        )
    return artifact, spec, notes


def _predict(
    artifact: Any,
    rows: pd.DataFrame,
    spec: MLModelSpec,
    run_id: str,
    notes: tuple[RunWarning, ...],
) -> ShadowPredictions:
    model = artifact.model
    hazard = getattr(artifact, "hazard", None)
    fix = (
        f"The model of run {run_id!r} needs its training columns to predict "
        "these rows: restore the column(s) upstream, or compare with another run."
    )
    try:
        if hazard is not None:
            return _hazard_predictions(hazard, rows, spec, run_id, notes)
        prepared = model.prepare(rows, rows[spec.sample_date])
    except DataError as exc:
        raise ScoringError(
            f"run {run_id!r}: the rows do not fit its model: {exc}. {fix}"
        ) from exc
    preds = model.predict(prepared, rows[spec.sample_date])
    return ShadowPredictions(
        run_id=run_id,
        problem_type=model.problem_type,
        prediction=np.asarray(preds.prediction, dtype=float),
        predicted_class=preds.predicted_class,
        model_output=np.asarray(preds.model_output, dtype=float),
        threshold=model.threshold,
        features=model.features,
        notes=notes,
    )


def _hazard_predictions(
    hazard: HazardModel,
    rows: pd.DataFrame,
    spec: MLModelSpec,
    run_id: str,
    notes: tuple[RunWarning, ...],
) -> ShadowPredictions:
    """A frozen hazard's probability of the event within the spec's horizon.

    Its threshold applies only at the horizon it was chosen for; at another
    horizon there is none (0.5 marks the class).
    """
    if hazard.sample_date != spec.sample_date:
        raise ScoringError(
            f"run {run_id!r}: its hazard reads month-ends from "
            f"{hazard.sample_date!r}, the rows have {spec.sample_date!r}."
        )
    horizon = spec.label_horizon_months
    p = hazard.probability_within(rows, [horizon])[:, 0]
    threshold = hazard.threshold if horizon == hazard.horizon_months else None
    cut = 0.5 if threshold is None else threshold
    clipped = np.clip(p, 1e-12, 1.0 - 1e-12)
    return ShadowPredictions(
        run_id=run_id,
        problem_type="binary_classification",
        prediction=p,
        predicted_class=(p >= cut).astype(int),
        model_output=np.log(clipped / (1.0 - clipped)),
        threshold=threshold,
        features=hazard.features,
        notes=notes,
    )
