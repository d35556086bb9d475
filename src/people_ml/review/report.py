"""``people-ml review RUN``: the deployment review of one run, for a terminal.

Reads what the run recorded in ``ml_store`` (never a mart, which may be a
build behind): its test metrics, the run BI showed side by side, the group
metrics of each protected attribute and slice, and the gate verdicts; ends
with the command to deploy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from people_ml.ml import feature_text

__all__ = ["load_review", "render_review"]

_TABLES = {
    "metrics": "select split, metric, class_label, value from ml_store.metrics "
    "where run_id = ? and class_label is null",
    "comparisons": "select * from ml_store.run_comparisons where run_id = ?",
    "drivers": "select * from ml_store.driver_comparisons where run_id = ? "
    "order by coalesce(candidate_rank, 1000), coalesce(compared_rank, 1000)",
    "movers": "select * from ml_store.comparison_movers where run_id = ? "
    "order by abs(percentile_change) desc nulls last",
    "groups": "select * from ml_store.group_metrics where run_id = ?",
    "gates": "select * from ml_store.gate_results where run_id = ?",
    "warnings": "select severity, code, message from ml_store.warnings "
    "where run_id = ? and severity = 'warning'",
    # Each feature in plain words (the spec's feature_labels, as the run
    # recorded them; the column is added by the store's own DDL).
    "labels": "select feature, feature_label from ml_store.feature_profiles "
    "where run_id = ? and feature_label is not null",
}

# Per problem type: (metric, column label, format, shown with its interval).
# Rates are percentages; ratios, differences and AUC plain numbers.
_GROUP_METRICS = {
    "binary_classification": (
        ("selection_rate", "flagged", "pct", True),
        ("high_band_rate", "high band", "pct", False),
        ("observed_rate", "left", "pct", False),
        ("true_positive_rate", "TPR", "pct", False),
        ("false_positive_rate", "FPR", "pct", False),
        ("precision", "precision", "pct", False),
        ("roc_auc", "AUC", "num", False),
        ("selection_rate_ratio", "flagged ratio", "num", True),
        ("equalized_odds_difference", "eq. odds diff", "num", True),
    ),
    "regression": (
        ("mean_residual", "mean residual", "money", True),
        ("mean_predicted", "mean predicted", "money", False),
        ("mean_actual", "mean actual", "money", False),
        ("mae", "MAE", "money", False),
    ),
}
# A rate over fewer people than the minimum group size is not shown: the
# people it is over (leavers for TPR and AUC, stayers for FPR, the flagged
# for precision), as a share of the group.
_CONDITIONAL = {
    "true_positive_rate": "leavers",
    "roc_auc": "leavers",
    "equalized_odds_difference": "leavers",
    "false_positive_rate": "stayers",
    "precision": "flagged",
}

_SPLITS = {
    "test": "Test period (outcomes known)",
    "predict": "Predict set (what BI will show)",
}


def load_review(con: Any, run_id: str) -> dict[str, pd.DataFrame]:
    """The run's review rows from ml_store, by part."""
    return {name: con.execute(sql, [run_id]).df() for name, sql in _TABLES.items()}


def _direction(*values: object) -> str:
    """The first known direction ('-' when neither run has one, e.g. a lost driver)."""
    for value in values:
        if isinstance(value, str) and value:
            return value
    return "-"


def _num(value: Any, digits: int = 3) -> str:
    if value is None or value is pd.NA:
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "-"
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    return [
        "  " + line(headers).rstrip(),
        "  " + line(["-" * w for w in widths]).rstrip(),
        *("  " + line(r).rstrip() for r in rows),
    ]


def _interval(row: pd.Series) -> str:
    if pd.isna(row["value"]):
        return "-"
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return _num(row["value"])
    return f"{_num(row['value'])} [{_num(row['ci_low'])}, {_num(row['ci_high'])}]"


def _side_by_side(review: dict[str, pd.DataFrame], problem_type: str) -> list[str]:
    comparisons = review["comparisons"]
    if comparisons.empty:
        metrics = review["metrics"]
        test = metrics[metrics["split"] == "test"]
        if test.empty:
            return ["  no test period: nothing to judge"]
        return [
            "  No run was shown for this model: this run's own test metrics.",
            *_table(
                ("metric", "value"),
                [
                    (m, _num(v, 4))
                    for m, v in zip(test["metric"], test["value"], strict=True)
                ],
            ),
        ]
    shown = str(comparisons["compared_run_id"].iloc[0])
    lines = [
        f"  Both scored on this run's test period with their own pickles "
        f"(shown run {shown[:12]}):"
    ]
    test = comparisons[comparisons["split"] == "test"]
    lines += _table(
        ("metric", "this run", "shown run", "change"),
        [
            (
                str(r.metric),
                _num(r.candidate_value, 4),
                _num(r.compared_value, 4),
                _num(r.candidate_value - r.compared_value, 4)
                if pd.notna(r.candidate_value) and pd.notna(r.compared_value)
                else "-",
            )
            for r in test.itertuples()
        ],
    )
    predict = comparisons[comparisons["split"] == "predict"].set_index("metric")
    if not predict.empty:
        value = predict["candidate_value"]
        lines.append("")
        lines.append(
            f"  Population ({_num(value.get('n_rows'), 0)} people predicted): rank "
            f"correlation {_num(value.get('spearman_rank_correlation'))}"
            + (
                f", {_num(value.get('moved_band'), 0)} change risk band "
                f"({_num(value.get('moved_band_up'), 0)} up, "
                f"{_num(value.get('moved_band_down'), 0)} down)"
                if problem_type == "binary_classification"
                else ""
            )
        )
        if problem_type == "binary_classification":
            bands = ("low", "medium", "high")
            lines += _table(
                ("shown \\ this run", *bands),
                [
                    (
                        before,
                        *(
                            _num(value.get(f"band_{before}_to_{after}"), 0)
                            for after in bands
                        ),
                    )
                    for before in bands
                ],
            )
    movers = review["movers"].head(5)
    if not movers.empty:
        lines.append("  Biggest movers:")
        lines += _table(
            ("person", "this run", "shown run", "bands"),
            [
                (
                    str(r.entity_id),
                    _num(r.candidate_prediction),
                    _num(r.compared_prediction),
                    f"{r.compared_band} -> {r.candidate_band}"
                    if pd.notna(r.candidate_band)
                    else "-",
                )
                for r in movers.itertuples()
            ],
        )
    drivers = review["drivers"]
    if not drivers.empty:
        changed = drivers[drivers["change"] != "same"]
        lines.append("")
        lines.append(
            "  Drivers (rank by mean |SHAP|): "
            + ", ".join(
                f"{(drivers['change'] == c).sum()} {c}"
                for c in ("gained", "lost", "flipped", "moved", "same")
            )
        )
        labels = (
            dict(
                zip(
                    review["labels"]["feature"],
                    review["labels"]["feature_label"],
                    strict=True,
                )
            )
            if "labels" in review
            else {}
        )
        lines += _table(
            ("feature", "rank", "shown rank", "direction", "change"),
            [
                (
                    feature_text(str(r.feature), labels),
                    _num(r.candidate_rank, 0),
                    _num(r.compared_rank, 0),
                    f"{r.compared_direction} -> {r.candidate_direction}"
                    if r.change == "flipped"
                    else _direction(r.candidate_direction, r.compared_direction),
                    str(r.change),
                )
                for r in pd.concat([drivers.head(8), changed.head(8)])
                .drop_duplicates("feature")
                .itertuples()
            ],
        )
    return lines


def _fmt(value: Any, kind: str) -> str:
    if value is None or value is pd.NA or pd.isna(value):
        return "-"
    if kind == "pct":
        return f"{float(value):.1%}"
    if kind == "money":
        return f"{float(value):,.0f}"
    return f"{float(value):.2f}"


def _cell(g: pd.DataFrame, metric: str, kind: str, with_ci: bool) -> str:
    if metric not in g.index or pd.isna(g.loc[metric, "value"]):
        return "-"
    row = g.loc[metric]
    text = _fmt(row["value"], kind)
    if with_ci and pd.notna(row["ci_low"]) and pd.notna(row["ci_high"]):
        low, high = _fmt(row["ci_low"], kind), _fmt(row["ci_high"], kind)
        text += f" [{low.rstrip('%')}-{high}]"
    return text


def _counts(g: pd.DataFrame, n: float) -> dict[str, float]:
    def share(metric: str) -> float:
        if metric in g.index and pd.notna(g.loc[metric, "value"]):
            return float(g.loc[metric, "value"])
        return math.nan

    def count(metric: str) -> float:
        value = n * share(metric)
        return float(round(value)) if math.isfinite(value) else math.nan

    leavers = count("observed_rate")
    return {
        "leavers": leavers,
        "stayers": n - leavers,
        "flagged": count("selection_rate"),
    }


def _groups(
    review: dict[str, pd.DataFrame], problem_type: str, kind: str, min_size: int
) -> list[str]:
    groups = review["groups"]
    groups = groups[groups["attribute_kind"] == kind]
    if groups.empty:
        return [f"  no {kind} attributes declared (review.{kind}s in the spec)"]
    lines: list[str] = []
    metrics = _GROUP_METRICS[problem_type]
    for split in ("test", "predict"):
        part = groups[(groups["split"] == split) & groups["group_value"].notna()]
        if part.empty:
            continue
        used = [m for m in metrics if m[0] in set(part["metric"])]
        lines.append(f"  {_SPLITS[split]}:")
        for attribute in dict.fromkeys(part["attribute"]):
            rows = part[part["attribute"] == attribute]
            table_rows = []
            for group in dict.fromkeys(rows["group_value"]):
                g = rows[rows["group_value"] == group].set_index("metric")
                reference = bool(g["is_reference_group"].fillna(False).any())
                label = f"{group}{' (largest)' if reference else ''}"
                if bool(g["is_suppressed"].fillna(False).any()):
                    table_rows.append(
                        (label, f"fewer than {min_size}", *("" for _ in used))
                    )
                    continue
                n = g["n_rows"].dropna()
                size = float(n.iloc[0]) if len(n) else math.nan
                counts = _counts(g, size)
                cells = []
                for metric, _, fmt, with_ci in used:
                    over = _CONDITIONAL.get(metric)
                    if (
                        split == "test"
                        and over is not None
                        and not counts[over] >= min_size
                    ):
                        cells.append(f"<{min_size} {over}")
                    else:
                        cells.append(_cell(g, metric, fmt, with_ci))
                table_rows.append((label, _num(size, 0), *cells))
            lines.append(f"  {attribute}")
            lines += _table(("group", "people", *(m[1] for m in used)), table_rows)
    return lines


def _compared_note(review: dict[str, pd.DataFrame], shown_run_id: str | None) -> str:
    compared = review["comparisons"]["compared_run_id"].dropna().unique()
    if len(compared) and compared[0] != shown_run_id:
        return (
            f" (this run was compared with run {str(compared[0])[:12]}, which BI "
            "showed when it was made)"
        )
    return ""


def render_review(
    run: pd.Series,
    status: str,
    shown_run_id: str | None,
    review: dict[str, pd.DataFrame],
) -> str:
    """The review as text."""
    problem_type = str(run["problem_type"])
    try:
        policy = json.loads(str(run.get("spec") or "{}")).get("review", {})
        min_size = int(policy.get("min_group_size", 10))
    except (ValueError, TypeError, AttributeError):
        min_size = 10
    lines = [
        f"REVIEW of run {run['run_id']} ({run['model_key']} #{run['run_number']}, "
        f"{run['mode']}, {status})",
        f"  predicts {pd.Timestamp(run['predict_date']):%Y-%m-%d}; tested on "
        f"{pd.Timestamp(run['test_date']):%Y-%m-%d}"
        if pd.notna(run.get("test_date"))
        else "",
        f"  BI shows now: {shown_run_id or 'no run'}"
        + _compared_note(review, shown_run_id),
        "",
        "1. PERFORMANCE, SIDE BY SIDE",
        *_side_by_side(review, problem_type),
        "",
        "2. PROTECTED ATTRIBUTES: value [95% bootstrap interval]; a group of "
        f"fewer than {min_size} people is not shown"
        + (
            f", nor a rate over fewer than {min_size} leavers, stayers or flagged "
            "people"
            if problem_type == "binary_classification"
            else " (residual: actual minus expected; positive = paid above it)"
        ),
        *_groups(review, problem_type, "protected", min_size),
        "",
        "3. ORG SLICES",
        *_groups(review, problem_type, "slice", min_size),
    ]
    warnings = review["warnings"]
    if not warnings.empty:
        lines += ["", "4. WARNINGS"]
        lines += [f"  {r.code}: {r.message}" for r in warnings.itertuples()]
    gates = review["gates"]
    lines += ["", "GATES"]
    if gates.empty:
        lines.append("  no gates in this model's review policy")
    for gate in gates.itertuples():
        lines.append(f"  {gate.status.upper():<14} {gate.gate}: {gate.message}")
    failed = gates[gates["status"] == "fail"]["gate"].tolist()
    short = str(run["run_id"])[:12]
    lines.append("")
    if status != "pending":
        lines.append(f"The run is {status}: only a pending run can be deployed.")
    elif failed:
        lines.append(
            f"{len(failed)} gate(s) failed. To deploy anyway, say why: people-ml "
            f'deploy {short} --override-gates --reason "..."'
        )
    else:
        lines.append(f'To deploy: people-ml deploy {short} --reason "..."')
    return "\n".join(line for line in lines if line is not None)
