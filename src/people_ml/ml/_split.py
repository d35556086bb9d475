"""Time-aware train / test / predict split with a label-horizon embargo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from ._exceptions import DataError, SplitError
from ._hazard import FollowUp, censor_at, horizon_labels
from ._quality import check_spec_columns
from ._target import encode_target

if TYPE_CHECKING:
    from ._spec import MLModelSpec

__all__ = [
    "HazardSplit",
    "SplitBoundaries",
    "TimeSplit",
    "hazard_split",
    "holdout_split",
    "split_frame",
    "time_split",
]


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


def _unique_dates(frame: pd.DataFrame, spec: MLModelSpec, rule: str) -> pd.Series:
    """The sample dates, after checking one row per (entity, sample date)."""
    dates = _sample_dates(frame, spec.sample_date)
    dup = frame.duplicated([spec.entity_id, spec.sample_date])
    if dup.any():
        example = frame.loc[dup, [spec.entity_id, spec.sample_date]].iloc[0].tolist()
        raise DataError(
            f"model {spec.key!r}: {int(dup.sum())} duplicated (entity_id, "
            f"sample_date) pair(s), e.g. {example}; {rule}"
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
        check_spec_columns(frame, spec)
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
    dates = _unique_dates(
        frame, spec, "the input must hold one row per entity and sample date."
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
        labelled_dates = dates[labelled]
        first = labelled_dates.min().date()
        n_test = int(test_mask.sum())
        if labelled_dates.nunique() == 1:
            raise SplitError(
                f"model {spec.key!r}: empty training period: all {n_test} labelled "
                f"rows are at one sample date, {first}, and split: time makes the "
                "latest labelled date the test set, so none are left to train on. "
                "Fix: for a flat export (one row per person, no history), set "
                "split: holdout in the spec (a stratified share of the people is "
                "the test set); for a longitudinal extract, add older sample "
                "dates."
            )
        raise SplitError(
            f"model {spec.key!r}: empty training period: the test set is the "
            f"{n_test} labelled rows at {test_date.date()} (the latest labelled "
            f"sample date), and training rows must be on or before {cutoff.date()} "
            f"(that date minus label_horizon_months={spec.label_horizon_months}), "
            f"but the labelled data starts at {first}. Fix: add sample dates "
            f"before {cutoff.date()}, shorten label_horizon_months, or, for data "
            "without history, set split: holdout."
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


class HazardSplit(NamedTuple):
    """A person-month frame split for a hazard run (see :func:`hazard_split`).

    ``train`` is what was known at the test date (rows before it, follow-up
    censored at it); ``test`` the rows at the test date and ``test_labels``
    their outcome within each horizon (``within_<H>_months``, same index).
    """

    train: pd.DataFrame
    test: pd.DataFrame
    predict: pd.DataFrame
    boundaries: SplitBoundaries
    test_labels: pd.DataFrame


def hazard_split(
    frame: pd.DataFrame,
    spec: MLModelSpec,
    *,
    follow_up: FollowUp | None = None,
    require_training: bool = True,
) -> HazardSplit:
    """Split a person-month frame into what a hazard run trains, tests and predicts.

    * predict: rows at the latest month-end (the as-of date) whose target is
      null;
    * test: the rows at the test date, ``label_horizon_months`` before the
      as-of date (month ends map to month ends): the latest month-end whose
      outcome over the run's horizon is known for everyone, judged on whether
      each person left within ``H`` months for every horizon of ``spec``;
    * train: what was known at the test date: rows before it, whose next
      month resolved by then, with the follow-up censored at it (exits after
      the test date are unknown, as :func:`censor_at` does).

    The model a run evaluates is the model it deploys: it never saw the test
    date's outcomes. The labelled months after the test date are left to the
    next runs (``n_unused``).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per entity at risk at each month-end: features, the target
        (the event in the next month, null at the as-of date) and the
        follow-up columns.
    spec : MLModelSpec
        A hazard spec: contract columns, ``label_horizon_months`` (the run's
        horizon) and ``horizons``.
    follow_up : FollowUp or None, default=None
        The follow-up columns; None: :class:`FollowUp`'s defaults (the names
        of int_attrition_person_months_labelled).
    require_training : bool, default=True
        When False (scoring a frozen model) no training rows and no test date
        are allowed.

    Returns
    -------
    HazardSplit

    Raises
    ------
    SplitError
        No predict rows; too little history for a test date or for training.
    DataError
        Missing contract or follow-up columns, bad sample dates, duplicated
        (entity, month-end) pairs.
    """
    follow_up = FollowUp() if follow_up is None else follow_up
    check_contract(frame, spec)
    missing = [c for c in follow_up.columns() if c not in frame]
    if missing:
        raise DataError(
            f"model {spec.key!r}: a hazard needs the follow-up column(s) {missing} "
            "(how and when each spell ended, and months followed up to the as-of "
            "date), as in int_attrition_person_months_labelled. Fix: add them "
            "upstream, or set `formulation: classifier` on a one-row-per-sample "
            "frame."
        )
    dates = _unique_dates(
        frame,
        spec,
        "a person-month frame holds one row per entity at risk and month-end.",
    )
    horizon = spec.label_horizon_months
    labelled = frame[spec.target].notna().to_numpy()
    predict_date = dates.max()
    predict_mask = (dates == predict_date).to_numpy() & ~labelled
    if not predict_mask.any():
        raise SplitError(
            f"model {spec.key!r}: no rows to predict: every row at the latest "
            f"month-end {predict_date.date()} has a target. The predict set is the "
            "as-of date's rows, whose next month is not known yet."
        )
    test_date = _cutoff(predict_date, horizon)
    test_mask = (dates == test_date).to_numpy()
    if not test_mask.any():
        if require_training:
            first = dates.min().date()
            raise SplitError(
                f"model {spec.key!r}: no test date: the month-ends run from {first} "
                f"to {predict_date.date()}, and a hazard is tested on the month-end "
                f"{horizon} months before the latest ({test_date.date()}, "
                f"label_horizon_months={horizon}), whose outcomes are known by now. "
                "Fix: add older history, or shorten label_horizon_months (it must "
                "stay one of `horizons`)."
            )
        test_date = None
    if test_date is None:
        known = frame.iloc[0:0]
    else:
        # The labelled rows before the test date selected once, then censored
        # (censor_at copies that selection, not the frame): censoring is row
        # by row, so selecting first changes nothing but the copies (at
        # 100,000 employees each was 0.8 GB).
        before = (dates < test_date).to_numpy() & labelled
        known = censor_at(
            frame.loc[before],
            test_date,
            sample_date=spec.sample_date,
            follow_up=follow_up,
        )
    if require_training:
        if known.empty:
            raise SplitError(
                f"model {spec.key!r}: empty training period: no labelled month-end "
                f"before the test date {test_date.date()}. Fix: add older history."
            )
        y = encode_target(known[spec.target], spec.problem_type, spec.target)
        if len(np.unique(y)) < 2:
            raise SplitError(
                f"model {spec.key!r}: the {len(known)} person-months before the "
                f"test date {test_date.date()} hold a single class ({int(y[0])}) of "
                f"{spec.target!r}; a hazard needs events and non-events. Add "
                "history or check the target's definition."
            )
    test = frame.loc[test_mask]
    horizons = spec.horizons or (horizon,)
    labels = (
        horizon_labels(test, horizons, follow_up=follow_up)
        if len(test)
        else pd.DataFrame(index=test.index)
    )
    if len(test) and labels.isna().any().any():
        raise DataError(
            f"model {spec.key!r}: {int(labels.isna().any(axis=1).sum())} row(s) at "
            f"the test date {test_date.date()} have an unknown outcome within "
            f"{horizon} months although the as-of date is {horizon} months later; "
            f"check {follow_up.months_followed!r} upstream."
        )
    train_dates = pd.to_datetime(known[spec.sample_date])
    n_train = len(known)
    boundaries = SplitBoundaries(
        train_start=train_dates.min() if n_train else None,
        train_end=train_dates.max() if n_train else None,
        train_cutoff=test_date,
        test_date=test_date,
        predict_date=predict_date,
        label_horizon_months=horizon,
        n_train=n_train,
        n_test=int(test_mask.sum()),
        n_predict=int(predict_mask.sum()),
        n_unused=int(len(frame) - n_train - test_mask.sum() - predict_mask.sum()),
    )
    return HazardSplit(known, test, frame.loc[predict_mask], boundaries, labels)


def _entity_order(entities: pd.Series, random_state: int) -> np.ndarray:
    """A stable pseudo-random rank per entity: the same entity, the same key."""
    salt = pd.Series([str(random_state)] * len(entities), index=entities.index)
    keys = pd.util.hash_pandas_object(entities.astype(str) + "\x1f" + salt, index=False)
    return keys.to_numpy(dtype=np.uint64)


def _holdout_entities(
    entities: pd.Series, strata: pd.Series, share: float, random_state: int
) -> set[str]:
    """The entities held out: ``share`` of each stratum, by a stable hash order."""
    table = pd.DataFrame(
        {"entity": entities.astype(str).to_numpy(), "stratum": strata.to_numpy()}
    ).drop_duplicates("entity")
    table["key"] = _entity_order(table["entity"], random_state)
    held: set[str] = set()
    for _, group in table.groupby("stratum", sort=True):
        n = round(share * len(group))
        held |= set(group.sort_values(["key", "entity"])["entity"].head(n))
    return held


def holdout_split(
    frame: pd.DataFrame, spec: MLModelSpec, *, require_training: bool = True
) -> TimeSplit:
    """Split a cross-sectional frame (a flat export) into train, test and predict.

    For data with no history to split by time: one row per person (or a few
    sample dates per person), the outcome known for most of them.

    * test: ``test_share`` of the labelled entities, stratified by outcome
      (classification: the entity's latest label; regression: its quartile)
      and drawn by entity, so a person's rows are never on both sides. The
      draw is a stable hash of the entity id and ``random_state``: the same
      person is in the test set in every run (a frozen model's test set is
      still people it never trained on, apart from a few near the cut when
      people are added);
    * train: every other labelled row; AutoML tunes on it with CV grouped by
      entity;
    * predict (``predict_rows``): ``unlabelled``, the rows at the latest
      sample date whose target is null; ``negative_class``, the rows at the
      latest sample date whose target is 0 (the people still employed in an
      export of current and former employees).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per (entity_id, sample_date) with features and target; the
        sample date is the export date in a flat export.
    spec : MLModelSpec
        ``split: holdout``, ``test_share``, ``predict_rows``.
    require_training : bool, default=True
        When False (scoring a frozen model), no labelled rows are needed.

    Returns
    -------
    TimeSplit
        ``train_cutoff`` is None (no embargo); ``test_date`` the latest test
        row's sample date.

    Raises
    ------
    SplitError
        Nothing to predict, no labelled rows, one class, or too few entities
        to hold out; each message counts the rows found and names a fix.
    DataError
        Missing contract columns, unreadable sample dates, duplicates.
    """
    check_contract(frame, spec)
    dates = _unique_dates(
        frame,
        spec,
        "a flat export holds one row per person: deduplicate it in the staging model.",
    )
    labelled = frame[spec.target].notna().to_numpy()
    predict_date = dates.max()
    latest = (dates == predict_date).to_numpy()
    n_labelled = int(labelled.sum())
    if spec.predict_rows == "negative_class":
        y_all = np.full(len(frame), -1)
        if labelled.any():
            y_all[labelled] = encode_target(
                frame.loc[labelled, spec.target], spec.problem_type, spec.target
            )
        predict_mask = latest & (y_all == 0)
        rule = f"rows at {predict_date.date()} whose {spec.target!r} is 0"
        fix = "check the target's encoding (0 = still employed)"
    else:
        predict_mask = latest & ~labelled
        rule = f"rows at {predict_date.date()} whose {spec.target!r} is null"
        fix = (
            "in an export where everyone has an outcome, set predict_rows: "
            "negative_class to score the people whose outcome has not happened "
            "(target 0), or add the people to score with a null target"
        )
    if not predict_mask.any():
        raise SplitError(
            f"model {spec.key!r}: nothing to predict: split: holdout predicts the "
            f"{rule}, and there are none ({len(frame)} rows, {n_labelled} "
            f"labelled, {int(latest.sum())} at the latest sample date). Fix: {fix}."
        )
    if not labelled.any():
        if require_training:
            raise SplitError(
                f"model {spec.key!r}: no labelled rows: {spec.target!r} is null in "
                f"all {len(frame)} rows; training needs known outcomes. Fix: set "
                "the target for the people whose outcome is known."
            )
        empty = np.zeros(len(frame), dtype=bool)
        return _holdout_result(frame, spec, dates, empty, empty, predict_mask)
    learn = frame.loc[labelled]
    entities = learn[spec.entity_id]
    y = encode_target(learn[spec.target], spec.problem_type, spec.target)
    if spec.problem_type == "binary_classification":
        # An entity's stratum is its latest label (a leaver is a leaver).
        strata = (
            pd.Series(y, index=learn.index)
            .groupby(entities.to_numpy())
            .transform("last")
        )
    else:
        strata = pd.Series(
            pd.qcut(y, q=4, labels=False, duplicates="drop"), index=learn.index
        )
    n_entities = entities.nunique()
    if require_training and n_entities * spec.test_share < 2:
        raise SplitError(
            f"model {spec.key!r}: {n_entities} labelled entities are too few to "
            f"hold out test_share={spec.test_share} of them. Fix: add rows, or "
            "raise test_share."
        )
    held = _holdout_entities(entities, strata, spec.test_share, spec.random_state)
    in_test = entities.astype(str).isin(held).to_numpy()
    test_mask = np.zeros(len(frame), dtype=bool)
    train_mask = np.zeros(len(frame), dtype=bool)
    test_mask[np.flatnonzero(labelled)[in_test]] = True
    train_mask[np.flatnonzero(labelled)[~in_test]] = True
    if require_training and spec.problem_type == "binary_classification":
        classes = np.unique(y[~in_test])
        if len(classes) < 2:
            raise SplitError(
                f"model {spec.key!r}: the {int(train_mask.sum())} training rows "
                f"hold a single class ({int(classes[0])}) of {spec.target!r}; a "
                "classifier needs both. Fix: check the target's definition (1 = "
                "the outcome happened, 0 = it did not)."
            )
    return _holdout_result(frame, spec, dates, train_mask, test_mask, predict_mask)


def _holdout_result(
    frame: pd.DataFrame,
    spec: MLModelSpec,
    dates: pd.Series,
    train_mask: np.ndarray,
    test_mask: np.ndarray,
    predict_mask: np.ndarray,
) -> TimeSplit:
    train_dates = dates[train_mask]
    test_dates = dates[test_mask]
    used = train_mask | test_mask | predict_mask
    boundaries = SplitBoundaries(
        train_start=train_dates.min() if len(train_dates) else None,
        train_end=train_dates.max() if len(train_dates) else None,
        train_cutoff=None,
        test_date=test_dates.max() if len(test_dates) else None,
        predict_date=dates.max(),
        label_horizon_months=spec.label_horizon_months,
        n_train=int(train_mask.sum()),
        n_test=int(test_mask.sum()),
        n_predict=int(predict_mask.sum()),
        n_unused=int((~used).sum()),
    )
    return TimeSplit(
        frame.loc[train_mask],
        frame.loc[test_mask],
        frame.loc[predict_mask],
        boundaries,
    )


def split_frame(
    frame: pd.DataFrame, spec: MLModelSpec, *, require_training: bool = True
) -> TimeSplit:
    """The spec's split of a one-row-per-sample frame: by time, or a holdout."""
    if spec.split == "holdout":
        return holdout_split(frame, spec, require_training=require_training)
    return time_split(frame, spec, require_training=require_training)
