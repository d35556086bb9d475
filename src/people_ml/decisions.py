"""The run_status decision log: who decided what about which run, when and why.

The log is an append-only CSV in ``seeds/`` (``run_id, status, decided_at,
decided_by, reason``), loaded by ``dbt seed``. A run's current status is its
latest decision, else ``pending``. The rules, from the platform this follows:

- only a pending run can be deployed, persisted or ignored;
- ignoring is final for that run (later runs of the model are unaffected);
- persisting deploys the run and freezes its model: later builds score with
  its pickle; at most one frozen run per model;
- unfreezing sets the persisted run to ``deployed`` (it stays visible to BI,
  and the next build trains anew); it is the only decision a persisted run
  takes.

Runs scored by a frozen model are deployed by the system unless the model's
spec says ``auto_deploy_scored_runs: false``; those decisions are derived from
the run records (``decided_by`` = :data:`SYSTEM_ACTOR`), not written here.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

STATUSES = ("pending", "deployed", "persisted", "ignored")
COLUMNS = ("run_id", "status", "decided_at", "decided_by", "reason")
SYSTEM_ACTOR = "people-ml"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class DecisionLogError(ValueError):
    """The decision log file is not well-formed; names the line."""


class RuleError(ValueError):
    """A decision that breaks a rule; names the run and the rule."""


@dataclass(frozen=True)
class Decision:
    """One row of the decision log."""

    run_id: str
    status: str
    decided_at: dt.datetime
    decided_by: str
    reason: str

    def as_row(self) -> list[str]:
        """The CSV fields of this decision."""
        return [
            self.run_id,
            self.status,
            self.decided_at.strftime(TIME_FORMAT),
            self.decided_by,
            self.reason,
        ]


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def parse_log(text: str, *, source: str = "seeds/run_status.csv") -> list[Decision]:
    """Parse the decision log, refusing anything that is not well-formed.

    Raises
    ------
    DecisionLogError
        With the line number and what is wrong with it.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(field.strip() for field in rows[0]) != COLUMNS:
        raise DecisionLogError(
            f"{source}, line 1: the header must be {','.join(COLUMNS)}"
        )
    decisions = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        where = f"{source}, line {number}"
        if len(row) != len(COLUMNS):
            raise DecisionLogError(
                f"{where}: expected {len(COLUMNS)} fields ({', '.join(COLUMNS)}), "
                f"found {len(row)}; quote a reason that contains a comma"
            )
        run_id, status, decided_at, decided_by, reason = (f.strip() for f in row)
        if not run_id:
            raise DecisionLogError(f"{where}: run_id is empty")
        if status not in STATUSES:
            raise DecisionLogError(
                f"{where}: status {status!r} is not one of {', '.join(STATUSES)}"
            )
        try:
            when = _parse_time(decided_at)
        except ValueError:
            raise DecisionLogError(
                f"{where}: decided_at {decided_at!r} is not a timestamp "
                "(YYYY-MM-DD HH:MM:SS, UTC)"
            ) from None
        if not decided_by:
            raise DecisionLogError(f"{where}: decided_by is empty")
        if not reason:
            raise DecisionLogError(
                f"{where}: reason is empty; every decision needs one"
            )
        decisions.append(Decision(run_id, status, when, decided_by, reason))
    return decisions


def read_log(path: Path) -> list[Decision]:
    """Read and parse the decision log at ``path`` (missing: no decisions)."""
    if not path.exists():
        return []
    return parse_log(path.read_text(encoding="utf-8"), source=str(path))


def to_frame(decisions: Iterable[Decision]) -> pd.DataFrame:
    """The decisions as a DataFrame with the log's columns."""
    return pd.DataFrame(
        [(d.run_id, d.status, d.decided_at, d.decided_by, d.reason) for d in decisions],
        columns=list(COLUMNS),
    )


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
        decided_at=pd.to_datetime(decisions["decided_at"]),
        _order=range(len(decisions)),
    ).sort_values(["decided_at", "_order"], kind="stable")
    latest = log.groupby("run_id", sort=False)["status"].last()
    return latest.reindex(ids).fillna("pending").astype(object).rename("status")


def frozen_run_id(decisions: pd.DataFrame, run_ids: Iterable[str]) -> str | None:
    """The run that freezes a model: the one whose current status is persisted.

    Raises
    ------
    RuleError
        When more than one run of the model is persisted.
    """
    statuses = current_statuses(decisions, run_ids)
    persisted = statuses[statuses == "persisted"].index.tolist()
    if len(persisted) > 1:
        raise RuleError(
            f"runs {', '.join(persisted)} are all persisted, but a model can be "
            "frozen by one run at most: record an unfreeze (`people-ml unfreeze "
            "MODEL`) or fix seeds/run_status.csv so that only one is persisted."
        )
    return persisted[0] if persisted else None


def check_transition(run_id: str, current: str, new: str) -> None:
    """Refuse a decision the rules do not allow from the run's current status.

    Raises
    ------
    RuleError
        Naming the run and the rule it would break.
    """
    if new not in STATUSES or new == "pending":
        raise RuleError(f"run {run_id}: {new!r} is not a decision")
    if current == "pending":
        return
    if current == "persisted" and new == "deployed":
        return  # unfreeze
    if current == "ignored":
        rule = "ignoring is final: an ignored run can never be deployed or persisted"
    elif current == "persisted":
        rule = (
            "only a pending run can be acted on; it is persisted (to stop scoring "
            "with it, use `people-ml unfreeze MODEL`)"
        )
    else:
        rule = f"only a pending run can be acted on; it is already {current}"
    raise RuleError(f"run {run_id} cannot be {new}: {rule}")


def check_log(decisions: list[Decision]) -> None:
    """Check that a whole log follows the rules, decision by decision.

    Raises
    ------
    RuleError
        At the first decision that breaks a rule.
    """
    status: dict[str, str] = {}
    seen: set[tuple[str, dt.datetime]] = set()
    for decision in sorted(decisions, key=lambda d: d.decided_at):
        key = (decision.run_id, decision.decided_at)
        if key in seen:
            raise RuleError(
                f"run {decision.run_id}: two decisions at {decision.decided_at}; "
                "decisions on a run must be ordered in time"
            )
        seen.add(key)
        check_transition(
            decision.run_id, status.get(decision.run_id, "pending"), decision.status
        )
        status[decision.run_id] = decision.status


def now(after: Iterable[Decision] = ()) -> dt.datetime:
    """UTC now (naive), strictly later than every decision in ``after``."""
    moment = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    latest = max((d.decided_at for d in after), default=None)
    if latest is not None and moment <= latest:
        moment = latest + dt.timedelta(microseconds=1)
    return moment


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the log while reading and writing it."""
    lock_path = path.with_name(f".{path.name}.lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append(path: Path, decision: Decision, *, expected: list[Decision]) -> None:
    """Append one decision to the log atomically, if nobody wrote meanwhile.

    The caller holds :func:`locked`. The file is rewritten to a temporary file
    and renamed, so a crash never leaves half a line; ``expected`` (what the
    caller read and checked) must still be the log's content.

    Raises
    ------
    DecisionLogError
        When the log changed since the caller read it.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if parse_log(text or ",".join(COLUMNS) + "\n", source=str(path)) != expected:
        raise DecisionLogError(f"{path} changed while deciding: run the command again")
    if not text:
        text = ",".join(COLUMNS) + "\n"
    if not text.endswith("\n"):
        text += "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(decision.as_row())
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text + buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
