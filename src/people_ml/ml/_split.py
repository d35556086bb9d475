"""Time-aware train / test / predict split with a label-horizon embargo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from ._exceptions import DataError, SplitError
from ._target import encode_target

if TYPE_CHECKING:
    from ._spec import MLModelSpec

__all__ = ["SplitBoundaries", "TimeSplit", "time_split"]


@dataclass(frozen=True)
class SplitBoundaries:
    """Dates and row counts of a time-aware split.

    Attributes
    ----------
    train_start, train_end : pandas.Timestamp or None
        First and last sample date present in the training set (None if empty).
    train_cutoff : pandas.Timestamp or None
        Latest sample date allowed in training: ``test_date`` minus
        ``label_horizon_months``.
    test_date : pandas.Timestamp or None
        Latest labelled sample date (None when nothing is labelled).
    predict_date : pandas.Timestamp
        Latest sample date; its unlabelled rows are the predict set.
    label_horizon_months : int
        The embargo used.
    n_train, n_test, n_predict, n_unused : int
        Row counts; ``n_unused`` are rows in the embargo gap or unlabelled rows
        before the predict date.
    """

    train_start: pd.Timestamp | None
    train_end: pd.Timestamp | None
    train_cutoff: pd.Timestamp | None
    test_date: pd.Timestamp | None
    predict_date: pd.Timestamp
    label_horizon_months: int
    n_train: int
    n_test: int
    n_predict: int
    n_unused: int


class TimeSplit(NamedTuple):
    """The three frames of a split and their boundaries (unpacks as a 4-tuple)."""

    train: pd.DataFrame
    test: pd.DataFrame
    predict: pd.DataFrame
    boundaries: SplitBoundaries


def _sample_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    raw = frame[column]
    try:
        dates = pd.to_datetime(raw)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"sample_date column {column!r} cannot be read as dates ({exc}); "
            "cast it to DATE in the upstream dbt model."
        ) from exc
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise DataError(
            f"sample_date column {column!r} has {int(dates.isna().sum())} null "
            "value(s); every row needs a sample date."
        )
    return dates


def _cutoff(test_date: pd.Timestamp, months: int) -> pd.Timestamp:
    """``test_date`` minus ``months``; month ends map to month ends.

    2022-11-30 minus 6 months is 2022-05-31 (not 2022-05-30), so a month-end
    panel keeps the sample whose label resolves exactly at the test date.
    """
    cutoff = test_date - pd.DateOffset(months=months)
    if test_date.is_month_end:
        cutoff = cutoff + pd.offsets.MonthEnd(0)
    return cutoff


def check_contract(frame: pd.DataFrame, spec: MLModelSpec) -> None:
    """Raise :class:`DataError` unless the frame holds the contract columns."""
    missing = [
        c for c in (spec.entity_id, spec.sample_date, spec.target) if c not in frame
    ]
    if missing:
        raise DataError(
            f"model {spec.key!r}: input frame lacks contract column(s) {missing}; "
            f"it has {list(frame.columns)[:20]}. Check entity_id/sample_date/target "
            "in the ml spec."
        )
    if frame[spec.entity_id].isna().any():
        raise DataError(f"model {spec.key!r}: entity_id {spec.entity_id!r} has nulls.")


def time_split(
    frame: pd.DataFrame, spec: MLModelSpec, *, require_training: bool = True
) -> TimeSplit:
    """Split a panel frame into training, test and predict sets by sample date.

    * predict: rows at the latest sample date whose target is null (current
      period);
    * test: every labelled row at the latest labelled sample date (``test_date``);
    * train: labelled rows with ``sample_date <= test_date - label_horizon_months``
      (month ends map to month ends), other than the test rows.

    A label observed at sample date ``s`` resolves over ``(s, s + horizon]``. The
    embargo makes every training label resolve on or before ``test_date``, so the
    model only learns from outcomes that were known when the test rows were
    observed (what production sees) and no training label overlaps the test
    period's outcome window. Labelled rows inside the gap are unused.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (entity_id, sample_date) with features and target.
    spec : MLModelSpec
        Names the contract columns and the horizon.
    require_training : bool, default=True
        When False (scoring a frozen model) an empty training set or a missing
        test period is allowed.

    Returns
    -------
    TimeSplit
        ``(train, test, predict, boundaries)``; the frames keep the original
        columns and index order.

    Raises
    ------
    SplitError
        No predict rows, no labelled rows, an empty training period, or a single
        class in training (binary classification).
    DataError
        Missing contract columns, null or unparsable sample dates, duplicated
        (entity_id, sample_date) pairs.
    """
    check_contract(frame, spec)
    dates = _sample_dates(frame, spec.sample_date)
    dup = frame.duplicated([spec.entity_id, spec.sample_date])
    if dup.any():
        example = frame.loc[dup, [spec.entity_id, spec.sample_date]].iloc[0].tolist()
        raise DataError(
            f"model {spec.key!r}: {int(dup.sum())} duplicated (entity_id, "
            f"sample_date) pair(s), e.g. {example}; the input must hold one row per "
            "entity and sample date."
        )
    labelled = frame[spec.target].notna().to_numpy()
    predict_date = dates.max()
    predict_mask = (dates == predict_date).to_numpy() & ~labelled
    if not predict_mask.any():
        raise SplitError(
            f"model {spec.key!r}: no rows to predict: every row at the latest sample "
            f"date {predict_date.date()} has a target. The predict set is the "
            "latest period with a null target; add the current snapshot upstream."
        )
    if not labelled.any():
        if require_training:
            raise SplitError(
                f"model {spec.key!r}: no labelled rows (target {spec.target!r} is "
                "null everywhere); training needs resolved labels."
            )
        test_date = None
        test_mask = np.zeros(len(frame), dtype=bool)
    else:
        test_date = dates[labelled].max()
        test_mask = (dates == test_date).to_numpy() & labelled
    cutoff = (
        None if test_date is None else _cutoff(test_date, spec.label_horizon_months)
    )
    if cutoff is None:
        train_mask = np.zeros(len(frame), dtype=bool)
    else:
        train_mask = labelled & (dates <= cutoff).to_numpy() & ~test_mask
    if require_training and not train_mask.any():
        first = dates[labelled].min().date()
        raise SplitError(
            f"model {spec.key!r}: empty training period: labelled data starts at "
            f"{first}, but training rows must be on or before {cutoff.date()} "
            f"(test date {test_date.date()} minus label_horizon_months="
            f"{spec.label_horizon_months}). Add older history or shorten the horizon."
        )
    train = frame.loc[train_mask]
    if require_training and spec.problem_type == "binary_classification":
        y = encode_target(train[spec.target], spec.problem_type, spec.target)
        if len(np.unique(y)) < 2:
            raise SplitError(
                f"model {spec.key!r}: the training period ({int(train_mask.sum())} "
                f"rows up to {cutoff.date()}) holds a single class ({int(y[0])}) of "
                f"{spec.target!r}; a classifier needs both. Add history or check "
                "the target's definition."
            )
    train_dates = dates[train_mask]
    boundaries = SplitBoundaries(
        train_start=train_dates.min() if len(train_dates) else None,
        train_end=train_dates.max() if len(train_dates) else None,
        train_cutoff=cutoff,
        test_date=test_date,
        predict_date=predict_date,
        label_horizon_months=spec.label_horizon_months,
        n_train=int(train_mask.sum()),
        n_test=int(test_mask.sum()),
        n_predict=int(predict_mask.sum()),
        n_unused=int(
            len(frame) - train_mask.sum() - test_mask.sum() - predict_mask.sum()
        ),
    )
    return TimeSplit(train, frame.loc[test_mask], frame.loc[predict_mask], boundaries)
