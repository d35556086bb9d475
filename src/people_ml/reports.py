"""Plain-text reports for the terminal: the run list and a run's results."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pandas as pd

from people_ml.ml import feature_text


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max([len(header)] + [len(row[i]) for row in cells])
        for i, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out).rstrip()


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value is pd.NA or value is pd.NaT:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def runs_table(runs: pd.DataFrame) -> str:
    """One line per run: id, model, number, mode, status, when, what."""
    rows = [
        (
            run.run_id[:12],
            run.model_key,
            run.run_number,
            run.mode,
            run.status,
            pd.Timestamp(run.created_at),
            run.algorithm,
            f"{run.selection_metric} {run.cv_score:.3f}"
            if pd.notna(run.cv_score)
            else "-",
        )
        for run in runs.itertuples()
    ]
    headers = (
        "run",
        "model",
        "#",
        "mode",
        "status",
        "created (UTC)",
        "algorithm",
        "CV score",
    )
    return _table(headers, rows)


def run_report(report: dict[str, object]) -> str:
    """The results summary and EDA report of one run, as text."""
    run = report["run"]
    assert isinstance(run, pd.Series)
    sections: list[str | None] = [
        f"Run {run.run_id}  ({run.model_key} #{run.run_number}, {run['mode']})",
        f"Status: {report['status']}",
    ]
    history = report["history"]
    assert isinstance(history, list)
    for decision in history:
        sections.append(
            f"  {decision.decided_at:%Y-%m-%d %H:%M:%S}  {decision.status:<9}  "
            f"by {decision.decided_by}: {decision.reason}"
        )
    if not history:
        sections.append("  no decision yet (pending)")
    frozen = run.get("frozen_run_id")
    sections += [
        "",
        "RESULTS SUMMARY",
        f"Estimator        {run.algorithm}  {_params(run.hyperparameters)}",
        f"Scored with      frozen run {frozen}" if pd.notna(frozen) else None,
        f"Selected by      {run.selection_metric} (CV {_cell(run.cv_score)})",
        f"Threshold        {_cell(run.decision_threshold)}",
        f"Calibration      {run.calibration}",
        f"Class balance    {run.class_balance}",
        f"Train period     {_date(run.train_start_date)} .. "
        f"{_date(run.train_end_date)}  ({run.n_train_rows:,} rows)",
        f"Test period      {_date(run.test_date)}  ({run.n_test_rows:,} rows)",
        f"Predicted        {_date(run.predict_date)}  ({run.n_predict_rows:,} rows)",
        _windows(report.get("horizons")),
        f"Artifact         {run.artifact_path}",
    ]
    candidates = report["candidates"]
    assert isinstance(candidates, list)
    if candidates:
        sections += ["", "Candidates (cross-validated on the training period)"]
        sections.append(
            _table(
                ("algorithm", "CV score", "parameters"),
                [
                    (c.get("algorithm"), c.get("cv_score"), _params(c.get("params")))
                    for c in candidates
                ],
            )
        )
    metrics = report["metrics"]
    assert isinstance(metrics, pd.DataFrame)
    test = metrics[metrics["split"] == "test"]
    if not test.empty:
        sections += ["", "Model performance (test period)"]
        per_class = test[test["class_label"].notna()]
        overall = test[test["class_label"].isna()]
        if not per_class.empty:
            pivot = per_class.pivot_table(
                index="class_label", columns="metric", values="value"
            )
            columns = [
                c for c in ("precision", "recall", "f1", "support") if c in pivot
            ]
            sections.append(
                _table(
                    ("class", *columns),
                    [(label, *pivot.loc[label, columns]) for label in pivot.index],
                )
            )
        sections.append(
            _table(
                ("metric", "value"),
                list(overall[["metric", "value"]].itertuples(index=False, name=None)),
            )
        )
    importance = report["importance"]
    assert isinstance(importance, pd.DataFrame)
    profile = report["profile"]
    assert isinstance(profile, pd.DataFrame)
    labels = (
        dict(zip(profile["feature"], profile["feature_label"], strict=True))
        if "feature_label" in profile
        else {}
    )
    if not importance.empty:
        sections += [
            "",
            "Feature analysis (mean |SHAP| with its 95% interval; direction "
            "only where the data support it)",
        ]
        sections.append(
            _table(
                ("feature", "mean |SHAP|", "interval", "direction"),
                [
                    (
                        feature_text(str(row.feature), labels),
                        row.mean_abs_shap,
                        _interval(row.importance_lower, row.importance_upper),
                        _direction(row.direction, row.direction_corr),
                    )
                    for row in importance.itertuples()
                ],
            )
        )
    if not profile.empty:
        sections += ["", "EDA REPORT"]
        sections.append(
            _table(
                (
                    "feature",
                    "type",
                    "missing",
                    "distinct",
                    "status",
                    "treatment",
                    "assoc.",
                    "leak?",
                    "reason",
                ),
                [
                    (
                        feature_text(str(row.feature), labels),
                        row.detected_type,
                        f"{row.missing_share:.1%}",
                        row.distinct_count,
                        row.status,
                        row.treatment,
                        row.target_association,
                        "yes" if row.is_leakage_suspect else "",
                        row.reason,
                    )
                    for row in profile.itertuples()
                ],
            )
        )
    quality = report.get("quality")
    if isinstance(quality, pd.DataFrame):
        sections += ["", "DATA QUALITY (people_ml.quality, checked before training)"]
        scored = str(report["run"].get("mode")) == "scored"  # type: ignore[union-attr]
        if quality.empty:
            sections.append(
                "  not checked: a scored run uses the frozen run's model"
                if scored
                else "  no finding"
            )
        sections += [
            f"  [{row.severity}] {row.check_name}: {row.message}. Fix: {row.fix}."
            for row in quality.itertuples()
        ]
    warnings = report["warnings"]
    assert isinstance(warnings, pd.DataFrame)
    if not warnings.empty:
        sections += ["", "Messages and warnings"]
        sections += [
            f"  [{row.severity}] {row.code}: {row.message}"
            for row in warnings.itertuples()
        ]
    run = report["run"]
    assert isinstance(run, pd.Series)
    sections += [
        "",
        f"Before deciding: `people-ml review {str(run['run_id'])[:12]}` compares "
        "this run with the run BI shows, breaks it down by group and gives the "
        "gate verdicts.",
    ]
    return "\n".join(line for line in sections if line is not None)


def _windows(horizons: object) -> str | None:
    """'Expected leavers  3 months 12.1, 6 months 23.0, ...' of a hazard run."""
    if not isinstance(horizons, pd.DataFrame) or horizons.empty:
        return None
    parts = [
        f"within {int(h)} months {float(e):,.1f}"
        for h, e in zip(
            horizons["horizon_months"], horizons["expected_events"], strict=True
        )
    ]
    return f"Expected events  {', '.join(parts)} (sum of the probabilities)"


def _params(value: object) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return _cell(value)


def _date(value: object) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _interval(lower: object, upper: object) -> str:
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return "-"
    return f"{float(lower):.4g} to {float(upper):.4g}"


def _direction(direction: object, correlation: object) -> str:
    """The run's direction; for a run recorded before, the correlation's sign."""
    if isinstance(direction, str):
        return direction.removeprefix("higher ")
    if correlation is None or pd.isna(correlation):
        return "mixed"
    return "raises" if float(correlation) > 0 else "lowers"
