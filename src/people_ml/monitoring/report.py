"""``people-ml monitor [MODEL]``: the state of every deployed model, for a terminal.

Reads the monitoring marts of the warehouse's last build: the alerts
(``fct_ml_monitoring_alerts``, the one place an alert is decided, which the
dbt alert tests read too), the latest run's feature drift and input issues,
and the realized performance of the deployed runs still inside their
prediction window. The ledger (the decision log) says which run BI shows now;
when it differs from what the last build showed, the report says so.

Exit codes (for a scheduler): 0 no alert; 1 at least one alert fired; 2 a
usage error (an unknown model, or no warehouse yet: run ``dbt build``); 3
nothing to judge (the warehouse lacks the monitoring marts: it was built
before monitoring existed, or its build stopped early); 4 the warehouse is
locked by a running build.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "MONITORING_MARTS",
    "ModelMonitoring",
    "MonitoringReportError",
    "load_monitoring",
    "render_monitoring",
]

#: The marts the report reads.
MONITORING_MARTS = (
    "dim_ml_runs",
    "fct_ml_monitoring_alerts",
    "fct_ml_feature_drift",
    "fct_ml_input_issues",
    "fct_ml_realized_performance",
)
_SCHEMA = "marts"
_KIND_LABELS = {
    "feature_drift": "feature drift",
    "realized_roc_auc_below_gate": "realized ROC AUC below the review gate",
    "leavers_outside_expected_band": "actual leavers outside the expected band",
}


class MonitoringReportError(RuntimeError):
    """The warehouse holds no monitoring marts to report on."""


@dataclass(frozen=True)
class ModelMonitoring:
    """What the report shows for one ML model."""

    model_key: str
    runs: pd.DataFrame
    alerts: pd.DataFrame
    drift: pd.DataFrame
    issues: pd.DataFrame
    realized: pd.DataFrame

    @property
    def shown(self) -> pd.Series | None:
        """The run the last build showed, or None."""
        shown = self.runs[self.runs["is_shown"].fillna(False).astype(bool)]
        return None if shown.empty else shown.iloc[0]

    @property
    def latest(self) -> pd.Series:
        """The model's latest run."""
        return self.runs.sort_values("run_number").iloc[-1]


def _missing_marts(con: Any) -> list[str]:
    found = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [_SCHEMA],
        ).fetchall()
    }
    return [name for name in MONITORING_MARTS if name not in found]


def load_monitoring(con: Any, model_key: str | None = None) -> list[ModelMonitoring]:
    """Read the monitoring marts, one entry per ML model (or just ``model_key``).

    Raises
    ------
    MonitoringReportError
        The warehouse lacks a monitoring mart (built before monitoring, or
        the build stopped before the marts).
    KeyError
        ``model_key`` has no run.
    """
    missing = _missing_marts(con)
    if missing:
        raise MonitoringReportError(
            f"the warehouse has no {', '.join(missing)}: run `dbt build` so the "
            "monitoring marts exist, then `people-ml monitor` again."
        )

    def read(sql: str) -> pd.DataFrame:
        return con.execute(sql).df()

    runs = read(f"select * from {_SCHEMA}.dim_ml_runs")
    alerts = read(f"select * from {_SCHEMA}.fct_ml_monitoring_alerts")
    drift = read(
        f"select * from {_SCHEMA}.fct_ml_feature_drift where is_latest_run "
        "order by feature"
    )
    issues = read(
        f"select * from {_SCHEMA}.fct_ml_input_issues where is_latest_run "
        "order by severity desc, row_count desc, feature"
    )
    realized = read(
        f"select * from {_SCHEMA}.fct_ml_realized_performance "
        "where is_latest_month and decile is null"
    )
    keys = sorted(runs["model_key"].dropna().unique())
    if model_key is not None:
        if model_key not in keys:
            known = ", ".join(keys) or "none"
            raise KeyError(f"no runs of ML model {model_key!r} (known: {known})")
        keys = [model_key]

    def of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        return frame[frame["model_key"] == key].reset_index(drop=True)

    return [
        ModelMonitoring(
            key,
            of(runs, key),
            of(alerts, key),
            of(drift, key),
            of(issues, key),
            of(realized, key),
        )
        for key in keys
    ]


def _num(value: Any, digits: int = 3) -> str:
    if value is None or value is pd.NA:
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "-"
    return f"{number:.{digits}f}"


def _run(row: pd.Series) -> str:
    return f"run #{int(row['run_number'])} {str(row['run_id'])[:12]}"


def _date(value: Any) -> str:
    if value is None or value is pd.NaT or pd.isna(value):
        return "-"
    return str(pd.Timestamp(value).date())


def _drift_lines(model: ModelMonitoring) -> list[str]:
    latest = model.latest
    drift = model.drift
    lines = [
        f"  Drift of the latest run ({_run(latest)}, {latest['mode']}, predict date "
        f"{_date(latest['predict_date'])}) against its model's training data:"
    ]
    psi = drift[(drift["statistic"] == "psi") & (drift["feature_kind"] != "prediction")]
    if psi.empty:
        return [
            *lines,
            "    not measured (the run's warnings say why: `people-ml show`)",
        ]
    other = drift[drift["statistic"].isin(["ks", "js_distance"])].set_index("feature")

    def evidence(feature: str) -> str:
        if feature not in other.index:
            return ""
        row = other.loc[[feature]].iloc[0]
        label = "KS" if row["statistic"] == "ks" else "JS distance"
        return f", {label} {_num(row['statistic_value'])}"

    flagged = psi[psi["drift_status"].isin(["warn", "alert"])].sort_values(
        "statistic_value", ascending=False
    )
    for _, row in flagged.iterrows():
        threshold = (
            row["alert_threshold"]
            if row["drift_status"] == "alert"
            else row["warn_threshold"]
        )
        lines.append(
            f"    {row['drift_status'].upper():<5} {row['feature']:<32} PSI "
            f"{_num(row['statistic_value'])} > {_num(threshold, 2)}"
            f"{evidence(row['feature'])}"
        )
    # Drift the spec declares expected (monitoring.expected_drift): shown with
    # its figures, never a warning or an alert.
    expected = psi[psi["drift_status"] == "expected"].sort_values(
        "statistic_value", ascending=False
    )
    for _, row in expected.iterrows():
        crossed = (
            row["alert_threshold"]
            if float(row["statistic_value"]) > float(row["alert_threshold"])
            else row["warn_threshold"]
        )
        lines.append(
            f"    expected {row['feature']:<29} PSI "
            f"{_num(row['statistic_value'])} > {_num(crossed, 2)}"
            f"{evidence(row['feature'])}: expected (declared in the spec), "
            "not a warning"
        )
    ok = psi[psi["drift_status"] == "ok"]
    if len(ok):
        warn = ok["warn_threshold"].iloc[0]
        others = "other feature(s)" if len(flagged) or len(expected) else "feature(s)"
        lines.append(
            f"    ok    {len(ok)} {others}: PSI at most "
            f"{_num(ok['statistic_value'].max())} (warn above {_num(warn, 2)})"
        )
    prediction = drift[
        (drift["statistic"] == "psi") & (drift["feature_kind"] == "prediction")
    ]
    if len(prediction):
        row = prediction.iloc[0]
        verdict = (
            "ok"
            if row["drift_status"] == "ok"
            else "moved: reported, not an alert of its own; the features say why"
        )
        lines.append(
            f"    predictions against run {str(row['baseline_run_id'])[:12]}: PSI "
            f"{_num(row['statistic_value'])} ({verdict})"
        )
    return lines


def _issue_lines(model: ModelMonitoring) -> list[str]:
    if model.issues.empty:
        return ["  Input issues of the latest run: none"]
    lines = ["  Input issues of the latest run:"]
    for _, row in model.issues.iterrows():
        count = int(row["row_count"]) if pd.notna(row["row_count"]) else 0
        share = row["row_share"]
        rows = (
            f"{count} rows ({float(share):.1%})"
            if count and pd.notna(share)
            else "column"
        )
        try:
            examples = json.loads(row["examples"]) if row["examples"] else []
        except (TypeError, ValueError):
            examples = []
        shown = f", e.g. {', '.join(map(str, examples[:3]))}" if examples else ""
        lines.append(
            f"    {row['severity']:<7} {row['feature']:<32} {row['issue']:<16} "
            f"{rows}{shown}"
        )
    return lines


def _realized_lines(model: ModelMonitoring) -> list[str]:
    realized = model.realized
    if realized.empty:
        return [
            "  Realized performance: no deployed run has outcomes yet (they arrive "
            "with later extracts)"
        ]
    lines = ["  Realized performance of deployed runs (latest month with outcomes):"]
    watched = realized[realized["is_monitored"].fillna(False).astype(bool)]
    for run_id, rows in watched.groupby("run_id", sort=False):
        metrics = rows.set_index("metric_name")
        first = rows.iloc[0]
        month = int(first["months_since_prediction"])
        horizon = int(first["label_horizon_months"])
        head = (
            f"    run {str(run_id)[:12]} predicted {_date(first['predict_date'])}, "
            f"month {month} of {horizon}:"
        )
        parts = []
        if month == 0 and horizon > 0:
            lines.append(f"{head} no outcomes yet")
            continue
        if "actual_leavers_to_date" in metrics.index:
            actual = metrics.loc["actual_leavers_to_date"]
            expected = metrics.loc["expected_leavers_to_date"]
            parts.append(
                f"{int(actual['metric_value'])} left, expected "
                f"{_num(expected['metric_value'], 1)} [{_num(actual['lower_bound'], 1)}"
                f", {_num(actual['upper_bound'], 1)}]"
            )
        if "roc_auc" in metrics.index:
            auc = metrics.loc["roc_auc"]
            gate = auc.get("gate_threshold")
            gate_text = f", gate {_num(gate, 2)}" if pd.notna(gate) else ""
            parts.append(
                f"ROC AUC {_num(auc['metric_value'])} [{_num(auc['lower_bound'])}, "
                f"{_num(auc['upper_bound'])}]{gate_text}"
            )
        if "mae" in metrics.index:
            parts.append(f"MAE {_num(metrics.loc['mae', 'metric_value'], 0)}")
        if "bias" in metrics.index:
            parts.append(f"bias {_num(metrics.loc['bias', 'metric_value'], 0)}")
        lines.append(f"{head} {'; '.join(parts) if parts else 'no outcomes yet'}")
    done = realized["run_id"].nunique() - watched["run_id"].nunique()
    if done:
        lines.append(
            f"    {done} earlier deployed run(s) past their window: the track record "
            "is in fct_ml_realized_performance"
        )
    if len(lines) == 1:
        lines.append("    no deployed run inside its prediction window")
    return lines


def render_monitoring(
    models: list[ModelMonitoring],
    *,
    ledger_shown: dict[str, str],
    ledger_frozen: dict[str, str],
) -> tuple[str, int]:
    """The report and the number of alerts firing.

    Parameters
    ----------
    models
        From :func:`load_monitoring`.
    ledger_shown
        The run BI shows per model according to the decision log now.
    ledger_frozen
        The frozen (persisted) run per model according to the log.
    """
    lines: list[str] = []
    total = 0
    for model in models:
        shown = model.shown
        key = model.model_key
        if shown is None and key not in ledger_shown:
            lines += [
                f"{key}: no deployed run, nothing to monitor (deploy one with "
                "`people-ml deploy RUN`)",
                "",
            ]
            continue
        frozen = ledger_frozen.get(key)
        state = "frozen" if frozen is not None else "deployed"
        title = f"{key}: BI shows " + (
            f"{_run(shown)} ({state}), predicted {_date(shown['predict_date'])}"
            if shown is not None
            else "no run in the last build"
        )
        lines.append(title)
        if shown is not None and ledger_shown.get(key) != str(shown["run_id"]):
            lines.append(
                f"  note: the decision log now shows run {ledger_shown.get(key)}; "
                "these figures are from the last build: run `dbt build` to refresh"
            )
        lines += _drift_lines(model) + _issue_lines(model) + _realized_lines(model)
        alerts = model.alerts
        total += len(alerts)
        if alerts.empty:
            lines.append("  Alerts: none")
        else:
            lines.append(f"  ALERTS: {len(alerts)}")
            for _, alert in alerts.iterrows():
                label = _KIND_LABELS.get(alert["alert_kind"], alert["alert_kind"])
                lines.append(f"    [{label}] {alert['alert_message']}")
            if frozen is not None:
                lines.append(
                    f"  The shown model is frozen (run {frozen[:12]}): every build "
                    "scores with it and nothing retrains it. Check the alerts, then "
                    f"unfreeze with `people-ml unfreeze {key}` so the next build "
                    "trains on the current data."
                )
        lines.append("")
    if total:
        lines.append(f"{total} alert(s) fired: exit 1.")
    else:
        lines.append("No alerts.")
    return "\n".join(lines), total
