"""The data-quality gate of a trained run (people_ml.quality, on this frame).

:func:`inspect_frame` runs before the split (the rows and the candidate
columns), :func:`inspect_split` on the split (test rows seen in training)
and :func:`inspect_score` on the cross-validated score. Their reports add
up; the run refuses itself on a failing finding (``QualityReport.enforce``)
before it fits, and records every finding in its ``data_quality`` rows.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from people_ml.quality import (
    QualityReport,
    column_findings,
    frame_findings,
    score_findings,
    split_findings,
)

from ._exceptions import DataError
from ._features import detect_type
from ._hazard import FollowUp
from ._target import encode_target

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._spec import MLModelSpec

_MAX_ROWS_TYPED = 100_000
_MAX_ROWS_SCORED = 200_000

__all__ = [
    "annotate_profile",
    "candidate_features",
    "check_spec_columns",
    "inspect_frame",
    "inspect_score",
    "inspect_split",
]


def candidate_features(frame: pd.DataFrame, spec: MLModelSpec) -> list[str]:
    """The columns AutoML may use as features under the spec."""
    if spec.features is not None:
        return list(spec.features)
    never = {spec.entity_id, spec.sample_date, spec.target}
    never |= set(spec.exclude) | set(spec.keep_columns)
    if spec.is_hazard:
        # The follow-up tells the future: a hazard never uses it.
        never |= set(FollowUp().columns())
    return [c for c in frame.columns if c not in never]


def _close(name: str, columns: Sequence[str]) -> str:
    by_case = [c for c in columns if c.lower() == name.lower()]
    if by_case:
        return f"did you mean {by_case[0]!r}? (names are case-sensitive)"
    near = difflib.get_close_matches(name, list(columns), n=3, cutoff=0.6)
    return f"closest: {near}" if near else "no column is close"


def check_spec_columns(frame: pd.DataFrame, spec: MLModelSpec) -> None:
    """Refuse a spec naming a column the frame lacks, with the right name.

    The check ``column_case_mismatch`` when only the case differs; every
    column named by the contract, ``features``, ``exclude`` or
    ``keep_columns`` is checked, and the message lists every column the
    frame has (never cut).

    Raises
    ------
    DataError
    """
    columns = [str(c) for c in frame.columns]
    named = {
        "entity_id": [spec.entity_id],
        "sample_date": [spec.sample_date],
        "target": [spec.target],
        "features": list(spec.features or ()),
        "keep_columns": list(spec.keep_columns),
    }
    problems = []
    for key, names in named.items():
        for name in names:
            if name not in columns:
                problems.append(f"{key} {name!r}: {_close(name, columns)}")
    # exclude may name columns another build adds: only a case slip is refused.
    for name in spec.exclude:
        if name not in columns and any(c.lower() == name.lower() for c in columns):
            problems.append(f"exclude {name!r}: {_close(name, columns)}")
    if not problems:
        return
    cased = any("case-sensitive" in p for p in problems)
    check = "column_case_mismatch: " if cased else ""
    raise DataError(
        f"model {spec.key!r}: {check}the spec names column(s) the feature model "
        f"does not have: {'; '.join(problems)}. The feature model's "
        f"{len(columns)} columns: {columns}. Fix the names in the spec "
        "(python_models/ml/_ml__models.yml) or in the feature model."
    )


def inspect_frame(
    frame: pd.DataFrame, spec: MLModelSpec, *, labelled: np.ndarray | None = None
) -> QualityReport:
    """The rows' and the candidate columns' findings, before the split.

    Parameters
    ----------
    frame : pandas.DataFrame
        The feature model's rows.
    spec : MLModelSpec
    labelled : numpy.ndarray of bool, optional
        The rows whose target the model learns from (default: non-null).

    Returns
    -------
    QualityReport
        Severities as the spec sets them.
    """
    check_spec_columns(frame, spec)
    columns = candidate_features(frame, spec)
    if labelled is None:
        labelled = frame[spec.target].notna().to_numpy()
    # The association with the target is measured on at most
    # _MAX_ROWS_SCORED labelled rows (a sample of a large frame).
    scored = np.flatnonzero(labelled)
    if len(scored) > _MAX_ROWS_SCORED:
        rng = np.random.default_rng(0)
        scored = np.sort(rng.choice(scored, _MAX_ROWS_SCORED, replace=False))
    y = None
    if len(scored):
        y = encode_target(
            frame[spec.target].iloc[scored], spec.problem_type, spec.target
        )
    # Types are read from a sample of rows on a large frame (as cheap at a
    # million person-months as at two thousand).
    typed = frame
    if len(frame) > _MAX_ROWS_TYPED:
        typed = frame.sample(n=_MAX_ROWS_TYPED, random_state=0)
    groups = typed[spec.entity_id]
    kinds = {c: detect_type(typed[c], groups=groups) for c in columns}
    sample_dates = pd.to_datetime(frame[spec.sample_date], errors="coerce")
    if getattr(sample_dates.dt, "tz", None) is not None:
        sample_dates = sample_dates.dt.tz_localize(None)
    findings = frame_findings(
        frame,
        entity_id=spec.entity_id,
        sample_date=spec.sample_date,
        columns=[*columns, spec.target],
    ) + column_findings(
        frame,
        columns,
        kinds=kinds,
        y=y,
        scored=scored,
        sample_dates=sample_dates,
        problem_type=spec.problem_type,
    )
    return QualityReport.of(findings, spec.quality_severity)


def inspect_split(
    train: pd.DataFrame, test: pd.DataFrame, spec: MLModelSpec
) -> QualityReport:
    """Test rows identical to a training row (features and target)."""
    columns = [*candidate_features(train, spec), spec.target]
    return QualityReport.of(split_findings(train, test, columns), spec.quality_severity)


def inspect_score(cv_metrics: pd.DataFrame | None, spec: MLModelSpec) -> QualityReport:
    """A cross-validated ROC AUC too good to be true (classification)."""
    if spec.problem_type != "binary_classification" or cv_metrics is None:
        return QualityReport()
    auc = None
    if {"metric", "value"} <= set(cv_metrics.columns):
        rows = cv_metrics.loc[cv_metrics["metric"] == "roc_auc", "value"]
        auc = float(rows.iloc[0]) if len(rows) else None
    return QualityReport.of(score_findings(auc), spec.quality_severity)


def annotate_profile(profile: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """The EDA profile with each column's data-quality findings in its reason."""
    notes = report.column_notes()
    if not notes:
        return profile
    out = profile.copy()
    for i, name in out["feature"].items():
        checks = notes.get(str(name))
        if checks and checks not in str(out.at[i, "reason"]):
            out.at[i, "reason"] = (
                f"{out.at[i, 'reason']}; data quality: {checks} (see data_quality)"
            )
    return out
