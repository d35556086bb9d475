"""The run-output contract, declared once: every table a run writes.

A run writes its outputs to the append-only ``ml_store`` tables and, last, one
run record to its ML model's run table (``ml.<dbt model>``), which is the
commit marker. This module is the only place their columns and types are
declared. From it come:

- the ``ml_store`` DDL (the ``create_ml_store`` macro, rendered by
  :mod:`people_ml.ledger.render`; a test proves the committed macro current);
- the column order and dtypes of the frames :mod:`people_ml.ml` returns and
  :mod:`people_ml.runs` writes (cast to the contract before writing);
- the dbt source YAML of ``ml_store`` and the run models' YAML, which a test
  checks column for column against it.

Types are portable SQL names (``string``, not DuckDB's ``varchar``), so the
DDL runs on DuckDB and Spark alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RUN_FAILURES",
    "RUN_RECORD",
    "STORE_SCHEMA",
    "STORE_TABLES",
    "Column",
    "ContractError",
    "Table",
    "conform",
    "store_table",
]

STORE_SCHEMA = "ml_store"


@dataclass(frozen=True)
class Column:
    """One column: its name, portable SQL type, nullability and meaning."""

    name: str
    sql_type: str
    description: str
    nullable: bool = True

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype a frame holds for this column."""
        return _PANDAS_DTYPES[self.sql_type]


@dataclass(frozen=True)
class Table:
    """A table of the contract: name, meaning and columns in order."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def ddl(self, schema: str = STORE_SCHEMA) -> str:
        """``create table if not exists`` for this table."""
        lines = [
            f"    {c.name} {c.sql_type}{'' if c.nullable else ' not null'}"
            for c in self.columns
        ]
        body = ",\n".join(lines)
        return f"create table if not exists {schema}.{self.name} (\n{body}\n);"


# Nullable pandas dtypes: a run's frames keep missing values as <NA>, and the
# writer casts every frame to these before inserting.
_PANDAS_DTYPES = {
    "string": "string",
    "double": "Float64",
    "bigint": "Int64",
    "integer": "Int32",
    "boolean": "boolean",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us]",
}

_RUN_ID = Column("run_id", "string", "The run.", nullable=False)

STORE_TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "predictions",
            "One row per run and predicted entity.",
            (
                _RUN_ID,
                Column("entity_id", "string", "The predicted entity.", False),
                Column("sample_date", "date", "The sample date predicted for."),
                Column(
                    "prediction",
                    "double",
                    "Probability of the positive class, or the predicted value.",
                ),
                Column(
                    "predicted_class",
                    "integer",
                    "0/1 at the run's decision threshold (classification only).",
                ),
                Column("base_value", "double", "SHAP base value."),
                Column(
                    "model_output",
                    "double",
                    "The output SHAP explains: base_value + sum of SHAP values.",
                ),
            ),
        ),
        Table(
            "horizon_predictions",
            "One row per run, predicted entity and horizon (hazard models): the "
            "probability of the event within that many months.",
            (
                _RUN_ID,
                Column("entity_id", "string", "The predicted entity.", False),
                Column("sample_date", "date", "The month-end predicted from."),
                Column(
                    "horizon_months",
                    "integer",
                    "The prediction window: months after the sample date.",
                    False,
                ),
                Column(
                    "prediction",
                    "double",
                    "Probability of the event within horizon_months.",
                ),
            ),
        ),
        Table(
            "shap_values",
            "One row per run, entity and original feature.",
            (
                _RUN_ID,
                Column("entity_id", "string", "The entity.", False),
                Column("feature", "string", "The original feature.", False),
                Column("feature_value", "string", "The entity's value, as text."),
                Column("shap_value", "double", "Contribution to the model output."),
            ),
        ),
        Table(
            "feature_importance",
            "One row per run and original feature: mean |SHAP| with a bootstrap "
            "interval (explained rows and model refits), and a direction only "
            "where they support one.",
            (
                _RUN_ID,
                Column("feature", "string", "The original feature.", False),
                Column(
                    "driver_kind",
                    "string",
                    "continuous, ordinal or categorical: how the direction is judged.",
                ),
                Column(
                    "direction",
                    "string",
                    "higher raises, higher lowers, mixed or unclear.",
                ),
                Column("direction_reason", "string", "Why that direction."),
                Column("entity_count", "bigint", "Rows explained."),
                Column("mean_abs_shap_value", "double", "Mean |SHAP| (importance)."),
                Column("importance_lower", "double", "Its interval, lower bound."),
                Column("importance_upper", "double", "Its interval, upper bound."),
                Column(
                    "importance_share",
                    "double",
                    "Share of the run's total mean |SHAP|.",
                ),
                Column("mean_shap_value", "double", "Mean SHAP value (signed)."),
                Column(
                    "value_shap_correlation",
                    "double",
                    "Correlation of value and SHAP value (not categorical).",
                ),
                Column("correlation_lower", "double", "Its interval, lower bound."),
                Column("correlation_upper", "double", "Its interval, upper bound."),
                Column(
                    "importance_floor_share",
                    "double",
                    "Share of the total below which the direction is unclear.",
                ),
                Column(
                    "bootstrap_replicates", "bigint", "Resamples behind the intervals."
                ),
            ),
        ),
        Table(
            "feature_effects",
            "One row per run, ordinal or categorical feature and level: the mean "
            "SHAP value of the explained rows at that level.",
            (
                _RUN_ID,
                Column("feature", "string", "The original feature.", False),
                Column("level_label", "string", "The level, as text.", False),
                Column(
                    "level_order",
                    "bigint",
                    "1, 2, ... in level order (missing last).",
                    False,
                ),
                Column("entity_count", "bigint", "Rows at the level."),
                Column("mean_shap_value", "double", "Their mean SHAP value."),
                Column("mean_shap_lower", "double", "Its interval, lower bound."),
                Column("mean_shap_upper", "double", "Its interval, upper bound."),
                Column("is_missing_level", "boolean", "The rows without a value."),
                Column("is_other_level", "boolean", "Rare categories pooled."),
            ),
        ),
        Table(
            "metrics",
            "One row per run, split, metric and class.",
            (
                _RUN_ID,
                Column("split", "string", "test or cv.", False),
                Column("metric", "string", "Metric name.", False),
                Column("class_label", "string", "The class, for per-class metrics."),
                Column("value", "double", "The value."),
            ),
        ),
        Table(
            "feature_profiles",
            "The EDA profile, one row per run and feature.",
            (
                _RUN_ID,
                Column("feature", "string", "The column profiled.", False),
                Column("detected_type", "string", "The detected kind."),
                Column("missing_share", "double", "Share of missing values."),
                Column("distinct_count", "bigint", "Distinct values."),
                Column("treatment", "string", "Preprocessing applied."),
                Column("status", "string", "selected, processed or dropped."),
                Column("reason", "string", "Why."),
                Column("target_association", "double", "Association with the target."),
                Column("association_measure", "string", "How it is measured."),
                Column("is_leakage_suspect", "boolean", "Near-perfect association."),
                Column("n_observations", "bigint", "Rows profiled."),
                Column("feature_label", "string", "The feature in plain words."),
                Column("feature_description", "string", "What it measures."),
                Column("feature_unit", "string", "How its values read."),
            ),
        ),
        Table(
            "warnings",
            "Messages and warnings, one row per run and message.",
            (
                _RUN_ID,
                Column("severity", "string", "info or warning."),
                Column("code", "string", "Short code."),
                Column("message", "string", "The message."),
            ),
        ),
        Table(
            "data_quality",
            "The data-quality gate's findings, one row per run and finding "
            "(people_ml.quality): the check, its severity, the place, the fix.",
            (
                _RUN_ID,
                Column("check_name", "string", "The check (people_ml.quality).", False),
                Column("severity", "string", "warn (recorded) or fail (refused)."),
                Column("column_name", "string", "The column (null: about rows)."),
                Column("row_count", "bigint", "Rows affected."),
                Column("message", "string", "The problem and its place."),
                Column("fix", "string", "What to do."),
            ),
        ),
        Table(
            "test_predictions",
            "One row per run and test-period row: the outcome and the prediction.",
            (
                _RUN_ID,
                Column("entity_id", "string", "The entity.", False),
                Column("sample_date", "date", "The test period's sample date."),
                Column("actual", "double", "The observed outcome (0/1 or value)."),
                Column("prediction", "double", "Probability, or predicted value."),
                Column("predicted_class", "integer", "0/1 at the run's threshold."),
            ),
        ),
        Table(
            "group_metrics",
            "One row per run, split, attribute, group and metric: subpopulation "
            "and fairness analysis.",
            (
                _RUN_ID,
                Column("split", "string", "test (outcomes known) or predict.", False),
                Column(
                    "attribute", "string", "The protected attribute or slice.", False
                ),
                Column("attribute_kind", "string", "protected or slice."),
                Column("group_value", "string", "The group (null: overall)."),
                Column("metric", "string", "The metric or disparity.", False),
                Column("value", "double", "Its value (null when suppressed)."),
                Column("ci_low", "double", "Bootstrap interval, lower bound."),
                Column("ci_high", "double", "Bootstrap interval, upper bound."),
                Column("n_rows", "bigint", "Rows in the group."),
                Column("is_suppressed", "boolean", "Below the minimum group size."),
                Column("is_reference_group", "boolean", "The largest group."),
                Column(
                    "min_group_size",
                    "bigint",
                    "The review policy's minimum group size (smaller: suppressed).",
                ),
            ),
        ),
        Table(
            "run_comparisons",
            "One row per run, compared run, split and metric: the candidate and "
            "the run BI showed, on the same rows.",
            (
                _RUN_ID,
                Column("compared_run_id", "string", "The run BI showed.", False),
                Column("split", "string", "test, predict or drivers.", False),
                Column("metric", "string", "The metric.", False),
                Column("candidate_value", "double", "This run's value."),
                Column("compared_value", "double", "The shown run's value."),
            ),
        ),
        Table(
            "driver_comparisons",
            "One row per run, compared run and feature: drivers side by side.",
            (
                _RUN_ID,
                Column("compared_run_id", "string", "The run BI showed.", False),
                Column("feature", "string", "The feature.", False),
                Column("candidate_rank", "bigint", "Rank by mean |SHAP| (1 first)."),
                Column("compared_rank", "bigint", "The shown run's rank."),
                Column("candidate_importance", "double", "Mean |SHAP| of this run."),
                Column(
                    "compared_importance", "double", "Mean |SHAP| of the shown run."
                ),
                Column("candidate_direction", "string", "raises, lowers or unclear."),
                Column("compared_direction", "string", "The shown run's direction."),
                Column("change", "string", "gained, lost, flipped, moved or same."),
            ),
        ),
        Table(
            "comparison_movers",
            "The people whose prediction moves most between the shown run and "
            "this run, on this run's predict set.",
            (
                _RUN_ID,
                Column("compared_run_id", "string", "The run BI showed.", False),
                Column("entity_id", "string", "The entity.", False),
                Column("candidate_prediction", "double", "This run's prediction."),
                Column("compared_prediction", "double", "The shown run's model."),
                Column("candidate_band", "string", "Risk band under this run."),
                Column("compared_band", "string", "Risk band under the shown run."),
                Column("percentile_change", "double", "Change in percentile."),
            ),
        ),
        Table(
            "gate_results",
            "One row per run and gate of its model's policy.",
            (
                _RUN_ID,
                Column("gate", "string", "The gate (its spec key).", False),
                Column(
                    "status", "string", "pass, warn, fail or not_applicable.", False
                ),
                Column("value", "double", "The figure judged."),
                Column("ci_low", "double", "Its interval, lower bound."),
                Column("ci_high", "double", "Its interval, upper bound."),
                Column("threshold", "double", "The limit."),
                Column("message", "string", "What was judged and why."),
            ),
        ),
        Table(
            "feature_drift",
            "One row per run, feature and statistic: the predict set against "
            "the reference (the training data of the model that scored it), and "
            "the predictions against the model's previous run.",
            (
                _RUN_ID,
                Column("feature", "string", "The feature, or 'prediction'.", False),
                Column(
                    "feature_kind",
                    "string",
                    "numeric, categorical or prediction.",
                    False,
                ),
                Column(
                    "baseline",
                    "string",
                    "training (the reference) or previous_run (predictions).",
                    False,
                ),
                Column(
                    "baseline_run_id",
                    "string",
                    "The run whose training data or predictions are the baseline.",
                ),
                Column("statistic", "string", "psi, ks or js_distance.", False),
                Column("value", "double", "The statistic."),
                Column("p_value", "double", "KS test p-value (ks only)."),
                Column("reference_rows", "bigint", "Rows behind the baseline."),
                Column("current_rows", "bigint", "Rows of this run's predict set."),
                Column("warn_threshold", "double", "PSI above this warns (psi only)."),
                Column(
                    "alert_threshold", "double", "PSI above this alerts (psi only)."
                ),
                Column(
                    "drift_status",
                    "string",
                    "ok, warn, alert or expected (psi only: KS and JS are "
                    "evidence); expected: above the warn threshold, but declared "
                    "expected.",
                ),
                Column(
                    "is_expected_drift",
                    "boolean",
                    "The model's spec declares this feature's drift expected "
                    "(monitoring.expected_drift): never a warning or an alert. "
                    "Null on rows stored before the declaration existed: not "
                    "expected.",
                ),
            ),
        ),
        Table(
            "drift_bins",
            "One row per run, feature and bin: the reference's stored bins and "
            "shares beside the predict set's (the PSI's terms).",
            (
                _RUN_ID,
                Column("feature", "string", "The feature, or 'prediction'.", False),
                Column("bin_number", "bigint", "1, 2, ... in bin order.", False),
                Column("bin_label", "string", "The bin: a range or a level."),
                Column("lower_bound", "double", "Lower edge, exclusive (numeric)."),
                Column("upper_bound", "double", "Upper edge, inclusive (numeric)."),
                Column("reference_share", "double", "Share of reference rows."),
                Column("current_share", "double", "Share of predict-set rows."),
                Column("current_rows", "bigint", "Predict-set rows in the bin."),
            ),
        ),
        Table(
            "input_issues",
            "One row per run, feature and kind of issue: input the model's "
            "training data never held (unseen levels, values out of range, new "
            "nulls) and columns gone or new.",
            (
                _RUN_ID,
                Column("feature", "string", "The feature or column.", False),
                Column(
                    "issue",
                    "string",
                    "unseen_category, out_of_range, unexpected_null, "
                    "column_missing or column_new.",
                    False,
                ),
                Column("severity", "string", "warning or info."),
                Column("row_count", "bigint", "Predict-set rows affected."),
                Column("row_share", "double", "Their share of the predict set."),
                Column("examples", "string", "Up to five example values (JSON)."),
                Column(
                    "baseline_run_id",
                    "string",
                    "The run compared with: the training run of the model used, "
                    "or (columns) the model's previous run.",
                ),
                Column("message", "string", "What was found and what to do."),
            ),
        ),
    )
}

#: The run record: one row per run in its ML model's run table, written last.
RUN_RECORD = Table(
    "runs",
    "One row per run of an ML model (the commit marker of its outputs).",
    (
        _RUN_ID,
        Column(
            "run_number", "bigint", "1 for the model's first run, then 2, ...", False
        ),
        Column("model_key", "string", "The ML model.", False),
        Column("mode", "string", "trained or scored.", False),
        Column("problem_type", "string", "binary_classification or regression."),
        Column("target", "string", "The target column."),
        Column("algorithm", "string", "The chosen algorithm."),
        Column("hyperparameters", "string", "Its settings (JSON)."),
        Column("features", "string", "The features used (JSON list)."),
        Column("n_train_rows", "bigint", "Training rows."),
        Column("n_test_rows", "bigint", "Test rows."),
        Column("n_predict_rows", "bigint", "Rows predicted."),
        Column("train_start_date", "date", "First training sample date."),
        Column("train_end_date", "date", "Last training sample date."),
        Column("test_date", "date", "The test period's sample date."),
        Column("predict_date", "date", "The sample date predicted for."),
        Column(
            "label_horizon_months",
            "bigint",
            "Months after a sample date within which its outcome is counted.",
        ),
        Column("training_data_fingerprint", "string", "sha256 of the training rows."),
        Column(
            "input_fingerprint",
            "string",
            "sha256 of the spec, the mode (the frozen run), the library versions "
            "and every input row (training and predict set): a build whose "
            "inputs are unchanged adds no run.",
        ),
        Column("library_versions", "string", "Library versions (JSON)."),
        Column("artifact_sha256", "string", "sha256 of the model pickle."),
        Column("artifact_path", "string", "The pickle, relative to artifacts/."),
        Column("decision_threshold", "double", "Threshold of the positive class."),
        Column("calibration", "string", "Probability calibration applied."),
        Column("class_balance", "string", "Class weighting applied."),
        Column("selection_metric", "string", "The metric the search optimised."),
        Column("cv_score", "double", "The winner's cross-validated score."),
        Column("shap_output_space", "string", "What SHAP values explain."),
        Column("candidates", "string", "Every candidate's CV result (JSON)."),
        Column("frozen_run_id", "string", "The frozen run scored with (scored runs)."),
        Column("fit_seconds", "double", "Seconds fitting."),
        Column("predict_seconds", "double", "Seconds predicting."),
        Column("explain_seconds", "double", "Seconds computing SHAP values."),
        Column(
            "shap_rows_per_second",
            "double",
            "Rows of the predict set the chosen model's SHAP explained per second "
            "(one core; the drivers' refits not counted).",
        ),
        Column("is_auto_deployed", "boolean", "Deployed by the system on scoring."),
        Column("dbt_model", "string", "The dbt Python model that ran it."),
        Column("invocation_id", "string", "The dbt invocation."),
        Column("spec", "string", "The ML model spec used (JSON)."),
        Column("review_seconds", "double", "Seconds reviewing (groups, gates)."),
        Column("monitoring_seconds", "double", "Seconds measuring drift and input."),
        Column("total_seconds", "double", "Seconds for the whole run."),
        Column("created_at", "timestamp", "When the run was recorded (UTC).", False),
    ),
)

#: ML model runs that failed: one row per failure, keyed by the dbt
#: invocation (a failed run has no run id and no run record). The Python
#: model records it and appends no run, so the other models' marts and the
#: publication still build; the ``ml_run_succeeded`` test on each run model
#: fails the build, naming the model.
RUN_FAILURES = Table(
    "run_failures",
    "One row per ML model run that failed: the dbt invocation, the model and "
    "the error (a failed run writes no run record).",
    (
        Column("invocation_id", "string", "The dbt invocation.", False),
        Column("dbt_model", "string", "The dbt Python model that failed.", False),
        Column("model_key", "string", "The ML model (null if the spec is unreadable)."),
        Column("error_type", "string", "The error's class."),
        Column("message", "string", "The error, with its place and fix."),
        Column("failed_at", "timestamp", "When it failed (UTC).", False),
    ),
)

#: Columns the ML library fills in a run record; the rest come from the run
#: glue (numbering, deployment, dbt invocation, timings of the whole run).
RUN_GLUE_COLUMNS = (
    "run_number",
    "input_fingerprint",
    "is_auto_deployed",
    "dbt_model",
    "invocation_id",
    "spec",
    "review_seconds",
    "monitoring_seconds",
    "total_seconds",
    "created_at",
)


def store_table(name: str) -> Table:
    """The ``ml_store`` table called ``name``."""
    try:
        return STORE_TABLES[name]
    except KeyError:
        raise KeyError(
            f"no ml_store table {name!r} (known: {', '.join(STORE_TABLES)})"
        ) from None


class ContractError(ValueError):
    """A frame does not match its table of the contract."""


def conform(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Check a frame against a contract table and cast it to the table's dtypes.

    The writer calls this on every frame before inserting it, so what lands in
    the warehouse is typed by the contract, not by whatever pandas inferred.

    Parameters
    ----------
    frame : pandas.DataFrame
        Must hold exactly ``table``'s columns (any order). Not modified.
    table : Table
        The contract table the frame is written to.

    Returns
    -------
    pandas.DataFrame
        A new frame with the table's columns in contract order, each cast to
        its :attr:`Column.pandas_dtype`: strings to the ``string`` dtype
        (missing values stay ``<NA>``, other values are rendered with
        ``str``), dates and timestamps through :func:`pandas.to_datetime`
        (zone-aware values are converted to UTC and the zone dropped), numbers
        and booleans to pandas' nullable dtypes.

    Raises
    ------
    ContractError
        The frame lacks columns or has unexpected ones (the message names the
        table and both lists), or a column cannot be cast to its dtype.
    """
    import pandas as pd  # only the pandas side of the contract needs pandas

    got = [str(name) for name in frame.columns]
    expected = table.column_names
    missing = [name for name in expected if name not in got]
    unexpected = sorted(name for name in set(got) if name not in expected)
    repeated = sorted({name for name in got if got.count(name) > 1})
    if missing or unexpected or repeated:
        raise ContractError(
            f"the frame for table {table.name!r} does not match the contract: "
            f"missing {missing}, unexpected {unexpected}"
            + (f", repeated {repeated}" if repeated else "")
            + f"; expected exactly {list(expected)}."
        )
    frame = frame.set_axis(got, axis=1)
    cast = {c.name: _cast(frame[c.name], c, table.name) for c in table.columns}
    return pd.DataFrame(cast, index=frame.index)


def _cast(series: pd.Series, column: Column, table: str) -> pd.Series:
    import pandas as pd

    dtype = column.pandas_dtype
    try:
        if column.sql_type in ("date", "timestamp"):
            values = pd.to_datetime(series)
            if values.dt.tz is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            return values.astype(dtype)
        if str(series.dtype) == dtype:
            return series  # already typed (copy-on-write: never changed in place)
        return series.astype(dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ContractError(
            f"{table}.{column.name} ({column.sql_type}) cannot be cast from "
            f"{series.dtype} to {dtype}: {exc}"
        ) from exc
