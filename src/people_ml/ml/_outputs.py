"""The frames a run returns, built once and typed by the run-output contract.

:func:`train` and :func:`score` differ in where the facts come from (a fresh
fit or a frozen artifact); the frames they return are built here, by the same
functions, and cast to the tables declared in :mod:`people_ml.ledger.contract`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from people_ml.ledger.contract import (
    RUN_GLUE_COLUMNS,
    RUN_RECORD,
    STORE_TABLES,
    Table,
    conform,
)

from ._exceptions import MLError, RunWarning
from ._features import render_values
from ._labels import LABEL_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from people_ml.quality import QualityReport

    from ._drivers import Drivers
    from ._model import Explanation, FittedModel, Predictions
    from ._reference import TrainingReference
    from ._spec import MLModelSpec
    from ._split import SplitBoundaries

__all__ = [
    "OUTPUT_COLUMNS",
    "OUTPUT_TABLES",
    "RunOutputs",
    "effects_frame",
    "horizon_predictions_frame",
    "importance_frame",
    "metrics_frame",
    "predictions_frame",
    "profiles_frame",
    "quality_frame",
    "render_values",
    "run_record",
    "shap_frame",
    "test_predictions_frame",
    "warnings_frame",
]

#: The run record as the ML library returns it: the contract's run record
#: without the columns the run glue (:mod:`people_ml.runs`) adds.
RUN_OUTPUT = Table(
    RUN_RECORD.name,
    RUN_RECORD.description,
    tuple(c for c in RUN_RECORD.columns if c.name not in RUN_GLUE_COLUMNS),
)

#: The ml_store tables the ML library fills (the review fills the others).
ML_STORE_TABLES = (
    "predictions",
    "shap_values",
    "feature_importance",
    "feature_effects",
    "metrics",
    "feature_profiles",
    "warnings",
    "test_predictions",
    "horizon_predictions",
    "data_quality",
)

#: The contract table of every :class:`RunOutputs` frame.
OUTPUT_TABLES: dict[str, Table] = {
    "run": RUN_OUTPUT,
    **{name: STORE_TABLES[name] for name in ML_STORE_TABLES},
}

#: Exact columns of every :class:`RunOutputs` frame, in order (from the contract).
OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    name: table.column_names for name, table in OUTPUT_TABLES.items()
}


@dataclass(frozen=True)
class RunOutputs:
    """The frames a run produces; the dbt side appends each to its table.

    Every frame has a ``run_id`` column and exactly the columns listed in
    :data:`OUTPUT_COLUMNS`, typed by the contract
    (:func:`people_ml.ledger.contract.conform`): dates and timestamps are
    ``datetime64[us]`` (midnight for dates); every other column uses a pandas
    nullable dtype (``string``, ``Float64``, ``Int64``, ``Int32``,
    ``boolean``).
    """

    run: pd.DataFrame
    predictions: pd.DataFrame
    shap_values: pd.DataFrame
    metrics: pd.DataFrame
    feature_profiles: pd.DataFrame
    warnings: pd.DataFrame
    test_predictions: pd.DataFrame
    #: The global drivers (:mod:`._drivers`); empty by default, so a caller
    #: that explains nothing still builds a valid RunOutputs.
    feature_importance: pd.DataFrame = field(
        default_factory=lambda: _empty("feature_importance")
    )
    feature_effects: pd.DataFrame = field(
        default_factory=lambda: _empty("feature_effects")
    )
    #: A hazard's probability of the event within each horizon; empty for a
    #: classifier or a regression (one horizon, in ``predictions``).
    horizon_predictions: pd.DataFrame = field(
        default_factory=lambda: _empty("horizon_predictions")
    )
    #: The data-quality gate's findings (:mod:`people_ml.quality`); empty
    #: for a scored run and a clean frame.
    data_quality: pd.DataFrame = field(default_factory=lambda: _empty("data_quality"))
    #: The training-data summary of the model used (its own for a trained
    #: run, the frozen run's for a scored one; None for a pickle that
    #: predates stored references). Not a table: monitoring reads it.
    reference: TrainingReference | None = None

    def __post_init__(self) -> None:
        for name, cols in OUTPUT_COLUMNS.items():
            got = tuple(getattr(self, name).columns)
            if got != cols:
                raise MLError(f"RunOutputs.{name} has columns {got}, expected {cols}")


def _empty(table: str) -> pd.DataFrame:
    return conform(
        pd.DataFrame(columns=list(STORE_TABLES[table].column_names)),
        STORE_TABLES[table],
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def run_record(
    *,
    run_id: str,
    mode: str,
    spec: MLModelSpec,
    model: FittedModel,
    boundaries: SplitBoundaries,
    training: Mapping[str, Any],
    artifact_sha256: str,
    artifact_path: str,
    library_versions: Mapping[str, str],
    timings: Mapping[str, float],
    frozen_run_id: str | None = None,
    threshold: float | None = None,
    shap_output_space: str | None = None,
) -> pd.DataFrame:
    """The one-row run record of a trained or scored run.

    Parameters
    ----------
    run_id : str
        This run.
    mode : {'trained', 'scored'}
    spec : MLModelSpec
        The model's spec (key and target; a scored run's spec was checked
        against the frozen one).
    model : FittedModel
        The fitted or frozen model: algorithm, settings, features, threshold,
        calibration, class balance, SHAP output space.
    boundaries : SplitBoundaries
        This run's split: test and predict dates, test and predict row counts.
    training : Mapping
        Facts of the training run (``ModelArtifact.training``): training
        dates, row count and fingerprint, selection metric, CV score and
        candidates. A scored run repeats its frozen run's.
    artifact_sha256, artifact_path : str
        The artifact used (path relative to the artifact folder).
    library_versions : Mapping
        Library versions the run ran with.
    timings : Mapping
        ``fit_seconds`` (0 when scoring), ``predict_seconds``,
        ``explain_seconds`` and ``shap_rows_per_second``.
    frozen_run_id : str or None
        The training run scored with; required exactly when ``mode`` is
        ``'scored'``.
    threshold, shap_output_space : float, str or None
        A hazard's threshold (on its horizon's probability) and what its SHAP
        values explain, in place of its monthly model's; None: the model's.

    Returns
    -------
    pandas.DataFrame
        One row with the columns of ``OUTPUT_COLUMNS['run']``.
    """
    if mode not in ("trained", "scored") or (mode == "scored") != (
        frozen_run_id is not None
    ):
        raise MLError(
            f"run {run_id!r}: mode {mode!r} with frozen_run_id {frozen_run_id!r}; "
            "a trained run has no frozen run and a scored run needs one."
        )
    values = {
        "run_id": run_id,
        "model_key": spec.key,
        "mode": mode,
        "problem_type": model.problem_type,
        "target": spec.target,
        "algorithm": model.algorithm,
        "hyperparameters": _json(model.hyperparameters),
        "features": _json(list(model.features)),
        "n_train_rows": training["n_train_rows"],
        "n_test_rows": boundaries.n_test,
        "n_predict_rows": boundaries.n_predict,
        "train_start_date": training["train_start_date"],
        "train_end_date": training["train_end_date"],
        "test_date": boundaries.test_date,
        "predict_date": boundaries.predict_date,
        "label_horizon_months": spec.label_horizon_months,
        "training_data_fingerprint": training["training_data_fingerprint"],
        "library_versions": _json(dict(library_versions)),
        "artifact_sha256": artifact_sha256,
        "artifact_path": artifact_path,
        "decision_threshold": model.threshold if threshold is None else threshold,
        "calibration": model.calibration,
        "class_balance": model.class_balance,
        "selection_metric": training["selection_metric"],
        "cv_score": training["cv_score"],
        "shap_output_space": shap_output_space or model.shap_output_space,
        "candidates": _json(training["candidates"]),
        "frozen_run_id": frozen_run_id,
        "fit_seconds": timings["fit_seconds"],
        "predict_seconds": timings["predict_seconds"],
        "explain_seconds": timings["explain_seconds"],
        "shap_rows_per_second": timings.get("shap_rows_per_second"),
    }
    return conform(pd.DataFrame([values]), RUN_OUTPUT)


def quality_frame(run_id: str, report: QualityReport) -> pd.DataFrame:
    """The ``data_quality`` rows of a run's gate report."""
    frame = report.frame()
    frame.insert(0, "run_id", run_id)
    return conform(frame, STORE_TABLES["data_quality"])


def warnings_frame(run_id: str, notes: list[RunWarning]) -> pd.DataFrame:
    """One row per recorded warning or note."""
    frame = pd.DataFrame(
        {
            "run_id": [run_id] * len(notes),
            "severity": [n.severity for n in notes],
            "code": [n.code for n in notes],
            "message": [n.message for n in notes],
        },
        columns=list(OUTPUT_COLUMNS["warnings"]),
    )
    return conform(frame, STORE_TABLES["warnings"])


def metrics_frame(run_id: str, parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Long metrics of each ``(split, metrics)`` part, in order."""
    frames = []
    for split, frame in parts:
        f = frame.copy()
        f.insert(0, "split", split)
        frames.append(f)
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["split", "metric", "class_label", "value"])
    )
    out.insert(0, "run_id", run_id)
    return conform(out, STORE_TABLES["metrics"])


def profiles_frame(
    run_id: str, profile: pd.DataFrame, spec: MLModelSpec
) -> pd.DataFrame:
    """The feature profile (see :func:`profile_features`) of a run, with each
    feature's label, description and unit from the spec."""
    out = profile.copy()
    out.insert(0, "run_id", run_id)
    texts = [spec.feature_text(str(feature)) for feature in out["feature"]]
    label, description, unit = LABEL_COLUMNS
    out[label] = [text.label for text in texts]
    out[description] = [text.description for text in texts]
    out[unit] = [text.unit for text in texts]
    return conform(out, STORE_TABLES["feature_profiles"])


def predictions_frame(
    run_id: str,
    spec: MLModelSpec,
    predict: pd.DataFrame,
    preds: Predictions,
    expl: Explanation,
) -> pd.DataFrame:
    """One row per predicted entity: prediction, class, SHAP base and output."""
    n = len(predict)
    frame = pd.DataFrame(
        {
            "run_id": [run_id] * n,
            "entity_id": predict[spec.entity_id].astype(str).to_numpy(),
            "sample_date": pd.to_datetime(predict[spec.sample_date]).to_numpy(),
            "prediction": preds.prediction,
            "predicted_class": pd.array(
                preds.predicted_class
                if preds.predicted_class is not None
                else [None] * n,
                dtype="Int32",
            ),
            # One base value per row where a hazard folds months_ahead in.
            "base_value": np.broadcast_to(
                np.asarray(expl.base_value, dtype=float), (n,)
            ),
            "model_output": expl.model_output,
        },
        columns=list(OUTPUT_COLUMNS["predictions"]),
    )
    return conform(frame, STORE_TABLES["predictions"])


def horizon_predictions_frame(
    run_id: str,
    spec: MLModelSpec,
    predict: pd.DataFrame,
    horizons: tuple[int, ...],
    probability: np.ndarray,
) -> pd.DataFrame:
    """One row per predicted entity and horizon: P(event within it).

    ``probability`` has one column per horizon, rows in ``predict``'s order.
    """
    n = len(predict)
    entity = predict[spec.entity_id].astype(str).to_numpy()
    dates = pd.to_datetime(predict[spec.sample_date]).to_numpy()
    frame = pd.DataFrame(
        {
            "run_id": [run_id] * (n * len(horizons)),
            "entity_id": np.tile(entity, len(horizons)),
            "sample_date": np.tile(dates, len(horizons)),
            "horizon_months": np.repeat(np.asarray(horizons, dtype=int), n),
            "prediction": np.asarray(probability, dtype=float).T.ravel(),
        },
        columns=list(OUTPUT_COLUMNS["horizon_predictions"]),
    )
    return conform(frame, STORE_TABLES["horizon_predictions"])


def test_predictions_frame(
    run_id: str,
    spec: MLModelSpec,
    test: pd.DataFrame,
    actual: np.ndarray,
    preds: Predictions | None,
) -> pd.DataFrame:
    """One row per test-period row: the encoded outcome and the prediction."""
    n = len(test) if preds is not None else 0
    rows = test.iloc[:n]
    frame = pd.DataFrame(
        {
            "run_id": [run_id] * n,
            "entity_id": rows[spec.entity_id].astype(str).to_numpy(),
            "sample_date": pd.to_datetime(rows[spec.sample_date]).to_numpy(),
            "actual": np.asarray(actual, dtype=float)[:n],
            "prediction": preds.prediction if preds is not None else [],
            "predicted_class": pd.array(
                preds.predicted_class
                if preds is not None and preds.predicted_class is not None
                else [None] * n,
                dtype="Int32",
            ),
        },
        columns=list(OUTPUT_COLUMNS["test_predictions"]),
    )
    return conform(frame, STORE_TABLES["test_predictions"])


def shap_frame(
    run_id: str, spec: MLModelSpec, predict: pd.DataFrame, expl: Explanation
) -> pd.DataFrame:
    """One row per entity and original feature: its value and SHAP value."""
    n = len(predict)
    p = len(expl.features)
    entity = predict[spec.entity_id].astype(str).to_numpy()
    rendered = (
        np.column_stack([render_values(predict[f]) for f in expl.features])
        if p
        else np.empty((n, 0), dtype=object)
    )
    frame = pd.DataFrame(
        {
            "run_id": pd.array([run_id] * (n * p), dtype="string"),
            "entity_id": pd.array(np.repeat(entity, p), dtype="string"),
            "feature": pd.array(
                np.tile(np.array(expl.features, dtype=object), n), dtype="string"
            ),
            "feature_value": pd.array(rendered.ravel(), dtype="string"),
            "shap_value": expl.values.ravel(),
        },
        columns=list(OUTPUT_COLUMNS["shap_values"]),
    )
    return conform(frame, STORE_TABLES["shap_values"])


def importance_frame(run_id: str, drivers: Drivers) -> pd.DataFrame:
    """One row per feature: importance with its interval, and the direction."""
    out = drivers.importance.copy()
    out.insert(0, "run_id", run_id)
    return conform(out, STORE_TABLES["feature_importance"])


def effects_frame(run_id: str, drivers: Drivers) -> pd.DataFrame:
    """One row per ordinal or categorical feature and level: its mean SHAP value."""
    out = drivers.effects.copy()
    out.insert(0, "run_id", run_id)
    return conform(out, STORE_TABLES["feature_effects"])
