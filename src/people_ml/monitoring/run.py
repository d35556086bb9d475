"""The monitoring of one run, computed where its predict set is in hand.

Called by :mod:`people_ml.runs` after a run's outputs are stored. It compares
the run's predict set with the reference (the training-data summary of the
model that scored it: its own for a trained run, the frozen run's for a scored
one, read from the verified pickle, never from raw rows), and this run's
predictions with the model's previous run's. It produces the rows of
``feature_drift``, ``drift_bins`` and ``input_issues``. Nothing here fails a
run: a comparison that cannot be made is a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from people_ml.ledger.contract import STORE_SCHEMA, STORE_TABLES
from people_ml.ml import FeatureSchema, monitoring_values

from .drift import Shift, categorical_shift, numeric_shift, prediction_shift
from .integrity import input_issues

if TYPE_CHECKING:
    from people_ml.ml import MLModelSpec, RunOutputs, TrainingReference

    from .policy import MonitoringPolicy

__all__ = ["MONITORING_TABLES", "PREDICTION", "MonitoringOutputs", "monitor_run"]

#: The ml_store tables monitoring fills.
MONITORING_TABLES = ("feature_drift", "drift_bins", "input_issues")
#: The ``feature`` of the prediction-distribution rows.
PREDICTION = "prediction"


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = STORE_TABLES[name].column_names
    return pd.DataFrame(rows, columns=list(columns))


@dataclass(frozen=True)
class MonitoringOutputs:
    """Monitoring's rows, by ml_store table, and notes for the run's warnings."""

    feature_drift: pd.DataFrame
    drift_bins: pd.DataFrame
    input_issues: pd.DataFrame
    notes: list[tuple[str, str, str]] = field(default_factory=list)


def _drift_rows(
    run_id: str,
    feature: str,
    kind: str,
    baseline: str,
    baseline_run_id: str,
    shift: Shift,
    policy: MonitoringPolicy,
) -> list[dict[str, Any]]:
    common = {
        "run_id": run_id,
        "feature": feature,
        "feature_kind": kind,
        "baseline": baseline,
        "baseline_run_id": baseline_run_id,
        "reference_rows": shift.reference_rows,
        "current_rows": shift.current_rows,
        # Declared in the spec (monitoring.expected_drift): on every statistic
        # of the feature, so the marts read the declaration, not the spec.
        "is_expected_drift": kind != PREDICTION and policy.is_expected(feature),
    }
    rows = [
        {
            **common,
            "statistic": "psi",
            "value": shift.psi,
            "p_value": None,
            "warn_threshold": policy.psi_warn,
            "alert_threshold": policy.psi_alert,
            "drift_status": policy.status(
                shift.psi, None if kind == PREDICTION else feature
            ),
        }
    ]
    if shift.ks is not None:
        rows.append(
            {
                **common,
                "statistic": "ks",
                "value": shift.ks,
                "p_value": shift.ks_p_value,
            }
        )
    if shift.js_distance is not None:
        rows.append({**common, "statistic": "js_distance", "value": shift.js_distance})
    return rows


def _bin_rows(run_id: str, feature: str, shift: Shift) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "feature": feature,
            "bin_number": number,
            "bin_label": b.label,
            "lower_bound": b.lower,
            "upper_bound": b.upper,
            "reference_share": b.reference_share,
            "current_share": b.current_share,
            "current_rows": b.current_rows,
        }
        for number, b in enumerate(shift.bins, start=1)
    ]


def _predict_rows(
    frame: pd.DataFrame, spec: MLModelSpec, predictions: pd.DataFrame
) -> pd.DataFrame:
    """The feature model's rows this run predicted (its predict set)."""
    if predictions.empty:
        return frame.iloc[0:0]
    dates = pd.to_datetime(frame[spec.sample_date]).astype("datetime64[ns]")
    predict_date = pd.to_datetime(predictions["sample_date"]).max()
    rows = frame[(dates == predict_date).to_numpy()]
    entities = set(predictions["entity_id"].astype(str))
    return rows[rows[spec.entity_id].astype(str).isin(entities).to_numpy()]


def _previous_predictions(session: Any, run_id: str) -> np.ndarray:
    table = f"{STORE_SCHEMA}.predictions"
    result = session.execute(
        f"select prediction from {table} where run_id = ?", [run_id]
    ).fetchnumpy()
    return np.asarray(result["prediction"], dtype=float)


def _previous_columns(session: Any, run_id: str) -> list[str]:
    table = f"{STORE_SCHEMA}.feature_profiles"
    rows = session.execute(
        f"select feature from {table} where run_id = ?", [run_id]
    ).fetchall()
    return [str(r[0]) for r in rows]


def monitor_run(
    *,
    run_id: str,
    spec: MLModelSpec,
    policy: MonitoringPolicy,
    frame: pd.DataFrame,
    outputs: RunOutputs,
    session: Any,
    previous_run_id: str | None,
) -> MonitoringOutputs:
    """Drift and input checks of one run.

    Parameters
    ----------
    run_id : str
        This run.
    spec : MLModelSpec
        Its ML model's spec (entity id, sample date).
    policy : MonitoringPolicy
        The drift thresholds and the features whose drift is expected.
    frame : pandas.DataFrame
        The feature model the run read.
    outputs : RunOutputs
        The run's outputs; ``outputs.reference`` is the model's training
        summary (None for a frozen pickle made before references were stored).
    session : DuckDB connection
        Where the model's previous run's predictions and columns are.
    previous_run_id : str or None
        The model's previous run (any status), for the prediction
        distribution and the columns gone or new.

    Returns
    -------
    MonitoringOutputs
    """
    notes: list[tuple[str, str, str]] = []
    reference: TrainingReference | None = outputs.reference
    predict = _predict_rows(frame, spec, outputs.predictions)
    drift: list[dict[str, Any]] = []
    bins: list[dict[str, Any]] = []
    values: dict[str, np.ndarray] = {}
    if reference is None:
        notes.append(
            (
                "warning",
                "no_drift_reference",
                "the model's pickle predates stored training references, so "
                "feature drift and unseen input are not measured for this run; "
                f"unfreeze with `people-ml unfreeze {spec.key}` to retrain.",
            )
        )
    elif len(predict):
        schema = [
            FeatureSchema(f.name, f.schema_kind, "", None) for f in reference.features
        ]
        values = monitoring_values(predict, schema, predict[spec.sample_date])
        for ref in reference.features:
            shift = (
                numeric_shift(ref, values[ref.name])
                if ref.kind == "numeric"
                else categorical_shift(ref, values[ref.name])
            )
            drift += _drift_rows(
                run_id, ref.name, ref.kind, "training", reference.run_id, shift, policy
            )
            bins += _bin_rows(run_id, ref.name, shift)
        alerts = sorted(r["feature"] for r in drift if r.get("drift_status") == "alert")
        expected = sorted(
            r["feature"] for r in drift if r.get("drift_status") == "expected"
        )
        if expected:
            notes.append(
                (
                    "info",
                    "expected_feature_drift",
                    f"PSI above {policy.psi_warn} for {', '.join(expected)}, "
                    "whose drift the spec declares expected "
                    "(monitoring.expected_drift): reported, not a warning or "
                    "an alert.",
                )
            )
        if alerts:
            notes.append(
                (
                    "warning",
                    "feature_drift",
                    f"PSI above {policy.psi_alert} for {', '.join(alerts)}: the "
                    "predict set differs from the model's training data "
                    f"(run {reference.run_id}).",
                )
            )
    if previous_run_id is not None and not outputs.predictions.empty:
        previous = _previous_predictions(session, previous_run_id)
        current = outputs.predictions["prediction"].to_numpy(
            dtype=float, na_value=np.nan
        )
        if previous.size and np.isfinite(previous).any():
            shift = prediction_shift(previous, current)
            drift += _drift_rows(
                run_id,
                PREDICTION,
                PREDICTION,
                "previous_run",
                previous_run_id,
                shift,
                policy,
            )
            bins += _bin_rows(run_id, PREDICTION, shift)
    columns = outputs.feature_profiles["feature"].astype(str).tolist()
    baseline_columns = (
        _previous_columns(session, previous_run_id) if previous_run_id else None
    )
    issues = input_issues(
        reference,
        values,
        columns=columns,
        baseline_columns=baseline_columns or None,
        baseline_run_id=previous_run_id,
    )
    issue_rows = [{"run_id": run_id, **row} for row in issues]
    return MonitoringOutputs(
        feature_drift=_frame("feature_drift", drift),
        drift_bins=_frame("drift_bins", bins),
        input_issues=_frame("input_issues", issue_rows),
        notes=notes,
    )
