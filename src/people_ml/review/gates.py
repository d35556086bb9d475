"""Deployment gates: each gate of a model's policy judged for one run.

A gate is ``pass``, ``warn``, ``fail`` or ``not_applicable`` (no test period,
no run shown to compare with, a metric the problem type lacks). Performance
gates judge the figure itself. Fairness gates judge its bootstrap interval,
because HR groups are small: a gate **fails** when some group's whole interval
is past the limit, **warns** when an interval straddles it, and **passes**
when every interval is within it. A fairness gate is judged per protected
attribute (one result each, named ``<gate>:<attribute>``) on the groups that
are not suppressed, against the largest group; the equalized-odds gate only on
groups holding at least the minimum group size of leavers and of stayers (a
true positive rate over three leavers swings by a third with each one).

``people-ml deploy`` refuses a run with a failed gate unless
``--override-gates``; a scored run of a frozen model is deployed by the system
only when no gate fails.
"""

from __future__ import annotations

import math

import pandas as pd

from people_ml.ledger.contract import STORE_TABLES, conform

from .policy import ReviewPolicy

__all__ = ["GATE_STATUSES", "evaluate_gates", "failed_gates"]

GATE_STATUSES = ("pass", "warn", "fail", "not_applicable")


def _row(
    gate: str,
    status: str,
    message: str,
    *,
    threshold: float,
    value: float | None = None,
    ci: tuple[float | None, float | None] = (None, None),
) -> dict[str, object]:
    return {
        "gate": gate,
        "status": status,
        "value": value,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "threshold": threshold,
        "message": message,
    }


def _metric(metrics: pd.DataFrame, name: str) -> float | None:
    rows = metrics[
        (metrics["split"] == "test")
        & (metrics["metric"] == name)
        & metrics["class_label"].isna()
    ]
    if rows.empty:
        return None
    value = float(rows["value"].iloc[0])
    return value if math.isfinite(value) else None


def _point_gate(
    gate: str, value: float | None, limit: float, *, at_least: bool, what: str
) -> dict[str, object]:
    if value is None:
        # No test period: nothing shows the run's quality, so it cannot pass.
        return _row(
            gate,
            "fail",
            f"no {what}: the run has no test period to judge it on",
            threshold=limit,
        )
    ok = value >= limit if at_least else value <= limit
    sign = ">=" if at_least else "<="
    verdict = "pass" if ok else "fail"
    return _row(
        gate,
        verdict,
        f"{what} {_number(value)}, must be {sign} {limit:g}",
        threshold=limit,
        value=value,
    )


def _number(value: float) -> str:
    """A count as a count (229), a score to four places (0.7828)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.4f}"


def _drop_vs_shown(
    comparisons: pd.DataFrame,
    limit: float,
    problem_type: str,
    comparison_error: str | None,
) -> dict[str, object]:
    gate = "max_metric_drop_vs_shown"
    if comparison_error is not None:
        return _row(
            gate,
            "fail",
            f"the comparison with the run BI shows failed: {comparison_error}",
            threshold=limit,
        )
    if comparisons.empty:
        return _row(
            gate, "not_applicable", "no run shown to compare with", threshold=limit
        )
    metric = "roc_auc" if problem_type == "binary_classification" else "mae"
    rows = comparisons[
        (comparisons["split"] == "test") & (comparisons["metric"] == metric)
    ]
    if rows.empty or rows[["candidate_value", "compared_value"]].isna().any(axis=None):
        return _row(
            gate, "not_applicable", f"no test {metric} for both runs", threshold=limit
        )
    candidate = float(rows["candidate_value"].iloc[0])
    shown = float(rows["compared_value"].iloc[0])
    shown_run = str(rows["compared_run_id"].iloc[0])
    if metric == "roc_auc":
        drop = shown - candidate
        what = (
            f"ROC AUC {candidate:.4f} against {shown:.4f} for the shown run "
            f"{shown_run[:12]} on the same test rows: a drop of {drop:.4f}"
        )
    else:
        drop = candidate / shown - 1 if shown else math.inf
        what = (
            f"MAE {candidate:,.2f} against {shown:,.2f} for the shown run "
            f"{shown_run[:12]} on the same test rows: {drop:+.1%}"
        )
    verdict = "pass" if drop <= limit else "fail"
    bound = f"{limit:g}" if metric == "roc_auc" else f"{limit:+.1%}"
    return _row(gate, verdict, f"{what}, at most {bound}", threshold=limit, value=drop)


def _interval_gate(
    gate: str,
    attribute: str,
    groups: pd.DataFrame,
    limit: float,
    *,
    at_least: bool,
    what: str,
    symmetric: bool = False,
) -> dict[str, object]:
    name = f"{gate}:{attribute}"
    shown = groups[
        ~groups["is_suppressed"].fillna(False).astype(bool)
        & groups["group_value"].notna()
        & ~groups["is_reference_group"].fillna(False).astype(bool)
        & groups["value"].notna()
    ]
    if shown.empty:
        return _row(
            name,
            "not_applicable",
            f"{attribute}: no group large enough to compare with the largest",
            threshold=limit,
        )
    if symmetric:
        shown = _symmetric(shown)
    low = shown["ci_low"].fillna(shown["value"])
    high = shown["ci_high"].fillna(shown["value"])
    if at_least:
        past, straddle = high < limit, (low < limit) & (high >= limit)
        key = shown["value"].astype(float)
    else:
        past, straddle = low > limit, (high > limit) & (low <= limit)
        key = -shown["value"].astype(float)
    status = "fail" if past.any() else "warn" if straddle.any() else "pass"
    # Name the worst group among those that decide the verdict.
    deciding = past if past.any() else straddle if straddle.any() else key.notna()
    row = shown[deciding].assign(_key=key[deciding]).sort_values("_key").iloc[0]
    sign = ">=" if at_least else "<="
    verdict = {
        "fail": "the whole interval is past the limit",
        "warn": "the interval straddles the limit",
        "pass": "every group's interval is within the limit",
    }[status]
    raw = ""
    if symmetric and row["raw_value"] > 1:
        raw = (
            f" (flagged {row['raw_value']:.2f} times as often as the largest "
            "group; read both ways)"
        )
    message = (
        f"{attribute} = {row['group_value']}: {what} {row['value']:.3f}{raw} "
        f"(95% interval {row['ci_low']:.3f} .. {row['ci_high']:.3f}), must be "
        f"{sign} {limit:g}: {verdict}"
    )
    return _row(
        name,
        status,
        message,
        threshold=limit,
        value=float(row["value"]),
        ci=(float(row["ci_low"]), float(row["ci_high"])),
    )


def _symmetric(groups: pd.DataFrame) -> pd.DataFrame:
    """Selection-rate ratios read both ways: a group flagged 1.5 times as often
    as the largest is as far from parity as one flagged 0.67 times as often.

    Each ratio r becomes min(r, 1/r), and its interval likewise (an interval
    across 1 becomes [min(low, 1/high), 1]).
    """
    out = groups.copy()
    value = out["value"].astype(float)
    low = out["ci_low"].astype(float).fillna(value)
    high = out["ci_high"].astype(float).fillna(value)
    inverse_low = 1 / high.where(high > 0)
    inverse_high = 1 / low.where(low > 0)
    out["raw_value"] = value
    out["value"] = value.where(value <= 1, 1 / value)
    out["ci_low"] = low.where(high <= 1, low.combine(inverse_low, min))
    out["ci_high"] = high.where(high <= 1, inverse_high.where(low >= 1, 1.0))
    return out


def _with_enough_outcomes(
    groups: pd.DataFrame, group_metrics: pd.DataFrame, attribute: str, minimum: int
) -> pd.DataFrame:
    """Groups whose true and false positive rates rest on enough people.

    A true positive rate over three leavers swings by a third with each one;
    a group is judged only when it holds at least ``minimum`` leavers and
    ``minimum`` stayers in the test period (the same minimum as a group's
    size).
    """
    rates = group_metrics[
        (group_metrics["split"] == "test")
        & (group_metrics["attribute"] == attribute)
        & (group_metrics["metric"] == "observed_rate")
        & group_metrics["group_value"].notna()
    ].set_index("group_value")
    positives = (rates["n_rows"] * rates["value"]).round()
    negatives = rates["n_rows"] - positives
    enough = set(
        positives.index[(positives >= minimum) & (negatives >= minimum)].astype(str)
    )
    return groups[groups["group_value"].astype(str).isin(enough)]


def evaluate_gates(
    *,
    run_id: str,
    policy: ReviewPolicy,
    problem_type: str,
    metrics: pd.DataFrame,
    comparisons: pd.DataFrame,
    group_metrics: pd.DataFrame,
    test_predictions: pd.DataFrame,
    comparison_error: str | None = None,
) -> pd.DataFrame:
    """Judge every gate of the policy for one run.

    Parameters
    ----------
    run_id
        The run.
    policy
        The model's review policy (its ``gates``).
    problem_type
        binary_classification or regression.
    metrics, comparisons, group_metrics, test_predictions
        The run's rows of ``ml_store.metrics``, ``run_comparisons``,
        ``group_metrics`` and ``test_predictions``.
    comparison_error
        Why the comparison with the run BI shows could not be made, if it
        could not (the drop gate then fails rather than passing unjudged).

    Returns
    -------
    pandas.DataFrame
        Rows of ``ml_store.gate_results``, one per gate (per protected
        attribute for the fairness gates).
    """
    rows: list[dict[str, object]] = []
    for gate, limit in policy.gates.items():
        if gate == "min_test_roc_auc":
            value = _metric(metrics, "roc_auc")
            rows.append(
                _point_gate(gate, value, limit, at_least=True, what="test ROC AUC")
            )
        elif gate == "min_test_r2":
            value = _metric(metrics, "r2")
            rows.append(_point_gate(gate, value, limit, at_least=True, what="test R2"))
        elif gate == "max_metric_drop_vs_shown":
            rows.append(
                _drop_vs_shown(comparisons, limit, problem_type, comparison_error)
            )
        elif gate == "min_test_minority_rows":
            actual = test_predictions["actual"].dropna()
            value = float(min((actual == 1).sum(), (actual == 0).sum()))
            rows.append(
                _point_gate(
                    gate,
                    value,
                    limit,
                    at_least=True,
                    what="rows of the rarer class in the test period",
                )
            )
        elif gate in ("min_selection_rate_ratio", "max_equalized_odds_difference"):
            split, metric, at_least, what = (
                ("predict", "selection_rate_ratio", True, "selection-rate ratio")
                if gate == "min_selection_rate_ratio"
                else (
                    "test",
                    "equalized_odds_difference",
                    False,
                    "equalized-odds difference",
                )
            )
            if not policy.protected:
                rows.append(
                    _row(
                        gate,
                        "not_applicable",
                        "no protected attributes declared",
                        threshold=limit,
                    )
                )
            for attribute in policy.protected:
                groups = group_metrics[
                    (group_metrics["split"] == split)
                    & (group_metrics["attribute"] == attribute)
                    & (group_metrics["metric"] == metric)
                ]
                if metric == "equalized_odds_difference":
                    groups = _with_enough_outcomes(
                        groups, group_metrics, attribute, policy.min_group_size
                    )
                rows.append(
                    _interval_gate(
                        gate,
                        attribute,
                        groups,
                        limit,
                        at_least=at_least,
                        what=what,
                        symmetric=gate == "min_selection_rate_ratio",
                    )
                )
        else:  # pragma: no cover - the policy refuses unknown gates
            raise KeyError(gate)
    frame = pd.DataFrame(
        rows,
        columns=[c for c in STORE_TABLES["gate_results"].column_names if c != "run_id"],
    )
    frame.insert(0, "run_id", run_id)
    return conform(frame, STORE_TABLES["gate_results"])


def failed_gates(gates: pd.DataFrame) -> pd.DataFrame:
    """The gates a run failed."""
    return gates[gates["status"] == "fail"]
