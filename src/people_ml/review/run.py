"""The review of one run, computed where the run has its data in hand.

Called by :mod:`people_ml.runs` after a run's outputs are stored and before
its run record is written. It reads the run's test period and predict set
(with the attribute columns of the feature model), the run BI shows now for
the same ML model (its verified pickle predicts the same rows, never a refit),
and produces the rows of ``group_metrics``, ``run_comparisons``,
``driver_comparisons``, ``comparison_movers`` and ``gate_results``.

A comparison that cannot be made (the shown run's pickle is gone, or its
features are no longer in the feature model) is recorded as a warning, and the
gates that need it are not applicable; it never fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from people_ml.ledger.contract import STORE_TABLES
from people_ml.ml import MLError, predict_with_run

from .compare import (
    compare_drivers,
    compare_population,
    compare_test_metrics,
    percent_rank,
    summarize_drivers,
)
from .fairness import group_metrics
from .gates import evaluate_gates, failed_gates
from .policy import ReviewPolicy

if TYPE_CHECKING:
    from people_ml.ml import MLModelSpec, RunOutputs

__all__ = ["REVIEW_TABLES", "ReviewOutputs", "review_run"]

#: The ml_store tables the review fills.
REVIEW_TABLES = (
    "group_metrics",
    "run_comparisons",
    "driver_comparisons",
    "comparison_movers",
    "gate_results",
)

_IMPORTANCE_SQL = (
    "select feature, avg(abs(shap_value)) as mean_abs_shap, "
    "corr(shap_value, try_cast(feature_value as double)) as direction_corr "
    "from ml_store.shap_values where run_id = ? group by feature"
)


def _empty(name: str) -> pd.DataFrame:
    table = STORE_TABLES[name]
    return pd.DataFrame(
        {c.name: pd.Series(dtype=c.pandas_dtype) for c in table.columns}
    )


@dataclass(frozen=True)
class ReviewOutputs:
    """The review's rows, by ml_store table, and notes for the run's warnings."""

    group_metrics: pd.DataFrame
    run_comparisons: pd.DataFrame
    driver_comparisons: pd.DataFrame
    comparison_movers: pd.DataFrame
    gate_results: pd.DataFrame
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def gates_failed(self) -> list[str]:
        """The gates the run failed, by name."""
        return failed_gates(self.gate_results)["gate"].tolist()


@dataclass(frozen=True)
class ShownRun:
    """What the review needs of the run BI shows now."""

    run_id: str
    artifact_path: str
    artifact_sha256: str


def _key(entities: pd.Series, dates: pd.Series) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [
            entities.astype(str).to_numpy(),
            pd.to_datetime(dates).astype("datetime64[ns]").to_numpy(),
        ]
    )


class _FrameIndex:
    """Where each (entity, sample date) is in the feature model, built once."""

    def __init__(self, frame: pd.DataFrame, spec: MLModelSpec) -> None:
        self.frame = frame
        positions = pd.Series(
            np.arange(len(frame)),
            index=_key(frame[spec.entity_id], frame[spec.sample_date]),
        )
        self.positions = positions[~positions.index.duplicated()]

    def rows(self, keys: pd.DataFrame) -> pd.DataFrame:
        """The feature model's rows for ``keys`` (entity_id, sample_date), in order."""
        wanted = self.positions.reindex(_key(keys["entity_id"], keys["sample_date"]))
        if wanted.isna().any():
            raise MLError(
                f"{int(wanted.isna().sum())} scored rows are not in the feature model"
            )
        return self.frame.iloc[wanted.to_numpy(dtype=int)].reset_index(drop=True)

    def with_attributes(self, rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``rows`` (entity_id, sample_date, ...) with the frame's ``columns``."""
        wanted = self.positions.reindex(_key(rows["entity_id"], rows["sample_date"]))
        if wanted.isna().any():
            raise MLError(
                f"{int(wanted.isna().sum())} scored rows are not in the feature model"
            )
        picked = self.frame[columns].iloc[wanted.to_numpy(dtype=int)]
        out = rows.reset_index(drop=True).copy()
        for column in columns:
            out[column] = picked[column].to_numpy()
        return out


def _split_rows(
    rows: pd.DataFrame, *, high_band_percentile: float, classification: bool
) -> pd.DataFrame:
    out = rows.copy()
    if classification and len(out):
        out["is_high_band"] = percent_rank(out["prediction"].to_numpy(float)) >= (
            high_band_percentile
        )
        out["predicted_class"] = out["predicted_class"].astype("Int64").fillna(0)
    elif classification:
        out["is_high_band"] = pd.Series(dtype=bool)
    return out


@dataclass(frozen=True)
class _Shadow:
    prediction: np.ndarray
    threshold: float | None


def review_run(
    *,
    run_id: str,
    spec: MLModelSpec,
    policy: ReviewPolicy,
    frame: pd.DataFrame,
    outputs: RunOutputs,
    session: Any,
    shown: ShownRun | None,
    artifact_dir: Path,
    high_band_percentile: float = 0.90,
    medium_band_percentile: float = 0.70,
) -> ReviewOutputs:
    """Review one run: groups, the shown run side by side, the gates.

    Parameters
    ----------
    run_id
        The run.
    spec, policy
        Its ML model's spec and review policy.
    frame
        The feature model (attribute columns included).
    outputs
        The run's outputs (already written to ml_store).
    session
        The warehouse connection (reads the stored SHAP values of both runs).
    shown
        The run BI shows now for the model, or None.
    artifact_dir
        Folder of the pickles.
    high_band_percentile, medium_band_percentile
        The risk bands (dbt vars ``risk_band_*_percentile``).

    Returns
    -------
    ReviewOutputs
    """
    classification = spec.problem_type == "binary_classification"
    attributes = {
        name: kind for name, kind in policy.attributes.items() if name in frame.columns
    }
    notes: list[tuple[str, str, str]] = []
    missing = sorted(set(policy.attributes) - set(attributes))
    if missing:
        notes.append(
            (
                "warning",
                "review_attribute_missing",
                f"review attribute(s) {missing} are not columns of the feature "
                "model: add them (as keep_columns) to review by them",
            )
        )
    columns = list(attributes)
    # Only the rows the run scored: its test period and its predict set (the
    # feature model holds every monthly sample, ten times as many rows).
    dates = pd.concat(
        [outputs.test_predictions["sample_date"], outputs.predictions["sample_date"]]
    )
    wanted = pd.to_datetime(frame[spec.sample_date]).isin(
        pd.to_datetime(dates.unique())
    )
    index = _FrameIndex(frame[wanted.to_numpy()], spec)
    test_rows = index.with_attributes(outputs.test_predictions, columns)
    predict_rows = index.with_attributes(outputs.predictions, columns)
    parts = []
    for split, rows in (("test", test_rows), ("predict", predict_rows)):
        if rows.empty or not attributes:
            continue
        # A fixed row order: the bootstrap resamples rows by position, so the
        # same run gives the same intervals whatever order the frame came in.
        rows = rows.sort_values(["entity_id", "sample_date"], kind="stable")
        prepared = _split_rows(
            rows.reset_index(drop=True),
            high_band_percentile=high_band_percentile,
            classification=classification,
        )
        parts.append(
            group_metrics(
                prepared,
                run_id=run_id,
                split=split,
                attributes=attributes,
                problem_type=spec.problem_type,
                actual="actual" if split == "test" else None,
                high_band="is_high_band" if classification else None,
                min_group_size=policy.min_group_size,
                n_boot=policy.bootstrap_rounds,
                random_state=spec.random_state,
            )
        )
    groups = pd.concat(parts, ignore_index=True) if parts else _empty("group_metrics")

    comparisons = _empty("run_comparisons")
    drivers = _empty("driver_comparisons")
    movers = _empty("comparison_movers")
    comparison_error: str | None = None
    if shown is not None and shown.run_id != run_id:
        try:
            comparisons, drivers, movers = _compare(
                run_id=run_id,
                spec=spec,
                index=index,
                outputs=outputs,
                session=session,
                shown=shown,
                artifact_dir=artifact_dir,
                high_band_percentile=high_band_percentile,
                medium_band_percentile=medium_band_percentile,
            )
        except MLError as error:
            comparison_error = f"run {shown.run_id}: {error}"
            notes.append(
                (
                    "warning",
                    "comparison_failed",
                    f"could not compare with the shown run {shown.run_id}: {error}",
                )
            )
    gates = evaluate_gates(
        run_id=run_id,
        policy=policy,
        problem_type=spec.problem_type,
        metrics=outputs.metrics,
        comparisons=comparisons,
        group_metrics=groups,
        test_predictions=outputs.test_predictions,
        comparison_error=comparison_error,
    )
    return ReviewOutputs(groups, comparisons, drivers, movers, gates, notes)


def _compare(
    *,
    run_id: str,
    spec: MLModelSpec,
    index: _FrameIndex,
    outputs: RunOutputs,
    session: Any,
    shown: ShownRun,
    artifact_dir: Path,
    high_band_percentile: float,
    medium_band_percentile: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    same_model = shown.artifact_sha256 == str(outputs.run["artifact_sha256"].iloc[0])
    threshold = outputs.run["decision_threshold"].iloc[0]

    def shadow(scored: pd.DataFrame) -> _Shadow:
        """The shown run's model on these rows: its verified pickle predicts
        them; when it is this run's own pickle (a scored run of the frozen
        model BI shows), its predictions are this run's, unchanged."""
        if same_model:
            return _Shadow(
                scored["prediction"].to_numpy(float),
                None if pd.isna(threshold) else float(threshold),
            )
        result = predict_with_run(
            index.rows(scored),
            spec,
            artifact_dir=artifact_dir,
            artifact_path=shown.artifact_path,
            artifact_sha256=shown.artifact_sha256,
            run_id=shown.run_id,
            model_key=spec.key,
        )
        return _Shadow(result.prediction, result.threshold)

    parts = []
    test = outputs.test_predictions
    if len(test):
        theirs = shadow(test)
        parts.append(
            compare_test_metrics(
                run_id=run_id,
                compared_run_id=shown.run_id,
                problem_type=spec.problem_type,
                actual=test["actual"].to_numpy(float),
                candidate_prediction=test["prediction"].to_numpy(float),
                compared_prediction=theirs.prediction,
                candidate_threshold=None if pd.isna(threshold) else float(threshold),
                compared_threshold=theirs.threshold,
                high_band_percentile=high_band_percentile,
            )
        )
    predicted = outputs.predictions
    movers = _empty("comparison_movers")
    if len(predicted):
        theirs = shadow(predicted)
        population, movers = compare_population(
            run_id=run_id,
            compared_run_id=shown.run_id,
            problem_type=spec.problem_type,
            entity_id=predicted["entity_id"].to_numpy(),
            candidate_prediction=predicted["prediction"].to_numpy(float),
            compared_prediction=theirs.prediction,
            high_band_percentile=high_band_percentile,
            medium_band_percentile=medium_band_percentile,
        )
        parts.append(population)
    mine = session.execute(_IMPORTANCE_SQL, [run_id]).df()
    their = session.execute(_IMPORTANCE_SQL, [shown.run_id]).df()
    drivers = compare_drivers(
        run_id=run_id, compared_run_id=shown.run_id, candidate=mine, compared=their
    )
    parts.append(summarize_drivers(drivers))
    parts = [part for part in parts if len(part)]
    comparisons = (
        pd.concat(parts, ignore_index=True) if parts else _empty("run_comparisons")
    )
    return comparisons, drivers, movers
