"""The run_status decision log: who decided what about which run, and when.

The log is an append-only CSV in ``seeds/`` (``run_id, status, decided_at,
decided_by, reason``). A run's current status is its latest decision, else
``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

STATUSES = ("pending", "deployed", "persisted", "ignored")
COLUMNS = ("run_id", "status", "decided_at", "decided_by", "reason")


def current_statuses(decisions: pd.DataFrame, run_ids: Iterable[str]) -> pd.Series:
    """Current status of each run: its latest decision, else ``pending``.

    Parameters
    ----------
    decisions
        The decision log (columns ``COLUMNS``). Rows are ordered by
        ``decided_at``; equal times keep their order in the log.
    run_ids
        The runs to report on.

    Returns
    -------
    pandas.Series
        Status per run id, indexed by run id.
    """
    ids = pd.Index([str(run_id) for run_id in run_ids], name="run_id")
    if decisions.empty:
        return pd.Series("pending", index=ids, name="status", dtype=object)
    log = decisions.assign(
        run_id=decisions["run_id"].astype(str),
        decided_at=pd.to_datetime(decisions["decided_at"], utc=True),
        _order=range(len(decisions)),
    ).sort_values(["decided_at", "_order"], kind="stable")
    latest = log.groupby("run_id", sort=False)["status"].last()
    return latest.reindex(ids).fillna("pending").astype(object).rename("status")


def frozen_run_id(decisions: pd.DataFrame, run_ids: Iterable[str]) -> str | None:
    """The run that freezes a model: the one whose current status is persisted.

    Parameters
    ----------
    decisions
        The decision log.
    run_ids
        All runs of one ML model.

    Returns
    -------
    str or None
        The persisted run's id, or None when the model is not frozen.

    Raises
    ------
    ValueError
        When more than one run of the model is persisted (the log breaks the
        rule of at most one frozen run per model).
    """
    statuses = current_statuses(decisions, run_ids)
    persisted = statuses[statuses == "persisted"].index.tolist()
    if len(persisted) > 1:
        raise ValueError(
            f"runs {', '.join(persisted)} are all persisted, but a model can be "
            "frozen by one run at most: fix seeds/run_status.csv so that only one "
            "is persisted (record an unfreeze for the others)."
        )
    return persisted[0] if persisted else None
