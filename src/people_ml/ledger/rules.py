"""The status rules as data, and the one reading of a log they give.

A run is ``pending`` until its first decision; its status is then its latest
decision. Decisions come from two places: the people's lines of the log and
the system's (a run scored by a frozen model is deployed when it is recorded,
unless its spec says ``auto_deploy_scored_runs: false``), which are derived
from the run records, never written. Both are put in one order: by
``decided_at``, the system's before a line at the same instant, then by line
number (then run id), and checked decision by decision against:

- :data:`TRANSITIONS`: the only allowed (from status, to status, actor)
  triples; every other triple has a rule code in :func:`transition_matrix`;
- ``same_time``: two decisions on one run at the same ``decided_at``;
- ``one_frozen_run``: persisting a run while another run of its model is
  persisted (at most one frozen run per model).

The first decision that breaks a rule is reported, with its line. The SQL
model ``int_ml_decisions_validated`` reads the same matrix and rule texts
(rendered into the macros by :mod:`people_ml.ledger.render`); a parity test
proves that Python and SQL agree on random logs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .log import DEFAULT_NAME, STATUSES, SYSTEM_ACTOR, Decision, DecisionLogError

__all__ = [
    "ACTORS",
    "OVERRIDE_PREFIX",
    "ROLLBACK_PREFIX",
    "RULES",
    "TRANSITIONS",
    "Ledger",
    "RuleError",
    "RunFacts",
    "Transition",
    "Violation",
    "broken_rule",
    "check_nothing_lost",
    "check_run_ids",
    "system_decisions",
    "transition_matrix",
    "validate",
]

ACTORS = ("person", "system")


@dataclass(frozen=True)
class Transition:
    """An allowed decision: from a status, to a status, by an actor.

    ``reason_prefix``: the decision is allowed only when its reason starts
    with it (the log's record of which action it was).
    """

    from_status: str
    to_status: str
    actor: str
    action: str
    reason_prefix: str | None = None


#: The reason of a rollback starts with this (``rollback to RUN: why``).
ROLLBACK_PREFIX = "rollback to "
#: The reason of a deployment past a failed gate starts with this.
OVERRIDE_PREFIX = "override gates"

TRANSITIONS: tuple[Transition, ...] = (
    Transition("pending", "deployed", "person", "deploy"),
    Transition("pending", "persisted", "person", "deploy and persist"),
    Transition("pending", "ignored", "person", "ignore"),
    Transition("persisted", "deployed", "person", "unfreeze"),
    # A rollback ignores the run BI shows, so the one shown before it is
    # shown again; ignoring is final, so it can never silently come back.
    Transition("deployed", "ignored", "person", "rollback", ROLLBACK_PREFIX),
    Transition("persisted", "ignored", "person", "rollback", ROLLBACK_PREFIX),
    Transition("pending", "deployed", "system", "auto-deploy a scored run"),
)

#: Every rule a decision can break, by code: what it says.
RULES: dict[str, str] = {
    "not_a_decision": (
        "pending is not a decision: a run is pending until its first decision"
    ),
    "ignored_is_final": (
        "ignoring is final: an ignored run can never be deployed, persisted or "
        "ignored again"
    ),
    "already_deployed": "only a pending run can be acted on; it is already deployed",
    "persisted_only_unfreezes": (
        "a persisted run can only be unfrozen (`people-ml unfreeze MODEL` sets "
        "it to deployed) or rolled back (`people-ml rollback MODEL`)"
    ),
    "decided_before_run": (
        "a decision is dated before the run it decides on was recorded"
    ),
    "gates_failed": (
        "the run failed a gate of its model's review policy: deploying it needs "
        "`people-ml deploy RUN --override-gates`, which records why (a reason "
        "starting with 'override gates')"
    ),
    "system_only_deploys": "the system only deploys a pending run it scored",
    "same_time": (
        "two decisions on one run at the same decided_at: decisions on a run "
        "must be ordered in time"
    ),
    "one_frozen_run": (
        "at most one frozen run per model: another run of the model is persisted"
    ),
}


def _refusal(from_status: str, to_status: str, actor: str) -> str | None:
    """The rule a (from, to, actor) triple breaks; None when it is allowed.

    A transition allowed only with a reason prefix still has its rule: it is
    broken when the reason lacks the prefix.
    """
    allowed = {
        (t.from_status, t.to_status, t.actor)
        for t in TRANSITIONS
        if t.reason_prefix is None
    }
    if (from_status, to_status, actor) in allowed:
        return None
    if to_status == "pending":
        return "not_a_decision"
    if from_status == "ignored":
        return "ignored_is_final"
    if from_status == "deployed":
        return "already_deployed"
    if from_status == "persisted":
        return "persisted_only_unfreezes"
    return "system_only_deploys"


def _prefix(from_status: str, to_status: str, actor: str) -> str | None:
    for t in TRANSITIONS:
        if (t.from_status, t.to_status, t.actor) == (from_status, to_status, actor):
            return t.reason_prefix
    return None


def transition_matrix() -> list[tuple[str, str, str, str | None, str | None]]:
    """Every (from, to, actor) triple: its rule code and allowing reason prefix.

    A decision is allowed when the rule code is None, or when the reason
    starts with the prefix. The one table both the CLI and the SQL models
    check a decision against.
    """
    return [
        (
            from_status,
            to_status,
            actor,
            _refusal(from_status, to_status, actor),
            _prefix(from_status, to_status, actor),
        )
        for from_status in STATUSES
        for to_status in STATUSES
        for actor in ACTORS
    ]


_MATRIX = {(f, t, a): (rule, prefix) for f, t, a, rule, prefix in transition_matrix()}


def broken_rule(previous: str, decision: Decision) -> str | None:
    """The transition rule a decision breaks from ``previous``, if any."""
    actor = "system" if decision.line is None else "person"
    rule, prefix = _MATRIX[(previous, decision.status, actor)]
    if rule is not None and prefix is not None and decision.reason.startswith(prefix):
        return None
    return rule


@dataclass(frozen=True)
class RunFacts:
    """What the rules need to know of a recorded run."""

    run_id: str
    model_key: str
    run_number: int
    created_at: dt.datetime
    is_auto_deployed: bool = False
    frozen_run_id: str | None = None
    has_failed_gates: bool = False


def run_facts(runs: pd.DataFrame) -> dict[str, RunFacts]:
    """Run facts by run id, from a frame of run records."""
    facts = {}
    for row in runs.itertuples(index=False):
        auto = getattr(row, "is_auto_deployed", False)
        frozen = getattr(row, "frozen_run_id", None)
        gates = getattr(row, "failed_gate_count", 0)
        facts[str(row.run_id)] = RunFacts(
            run_id=str(row.run_id),
            model_key=str(row.model_key),
            run_number=int(row.run_number),
            created_at=pd.Timestamp(row.created_at).to_pydatetime(),
            is_auto_deployed=bool(auto) if not pd.isna(auto) else False,
            frozen_run_id=None if frozen is None or pd.isna(frozen) else str(frozen),
            has_failed_gates=bool(gates) and not pd.isna(gates),
        )
    return facts


def system_decisions(runs: Iterable[RunFacts]) -> list[Decision]:
    """The system's decisions: each auto-deployed scored run, when recorded."""
    return [
        Decision(
            run_id=run.run_id,
            status="deployed",
            decided_at=run.created_at,
            decided_by=SYSTEM_ACTOR,
            reason=(
                f"scored with frozen run {run.frozen_run_id}: deployed automatically"
            ),
        )
        for run in runs
        if run.is_auto_deployed
    ]


def order_key(decision: Decision) -> tuple[dt.datetime, int, int, str]:
    """The one order of decisions: time, the system's first, line, run id."""
    is_log = 0 if decision.line is None else 1
    return (decision.decided_at, is_log, decision.line or 0, decision.run_id)


@dataclass(frozen=True)
class Violation:
    """The first decision that breaks a rule."""

    rule: str
    decision: Decision
    previous_status: str
    model_key: str | None = None
    other_run_id: str | None = None

    def message(self, source: str = DEFAULT_NAME) -> str:
        """What is wrong, where, and the fix."""
        d = self.decision
        if d.line is None:
            place = (
                f"the system's auto-deploy of run {d.run_id} (recorded "
                f"{d.decided_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
            fix = f"remove the line of {source} that decided on this run before it"
        else:
            place = f"{source}, line {d.line}: run {d.run_id} set to {d.status}"
            fix = "fix or remove that line"
        detail = ""
        if self.rule == "one_frozen_run":
            detail = (
                f" (model {self.model_key} is frozen by run {self.other_run_id}; "
                f"unfreeze it first: `people-ml unfreeze {self.model_key}`)"
            )
        return (
            f"{place} breaks a rule: {RULES[self.rule]}{detail}. "
            f"{fix.capitalize()}. [rule {self.rule}]"
        )


class RuleError(ValueError):
    """A decision that breaks a rule; names the run, the line and the rule."""

    def __init__(self, message: str, violation: Violation | None = None) -> None:
        super().__init__(message)
        self.violation = violation


@dataclass(frozen=True)
class Ledger:
    """A valid log read with the run records: every decision and every status."""

    decisions: tuple[Decision, ...]
    runs: Mapping[str, RunFacts]

    def status(self, run_id: str) -> str:
        """A run's current status: its latest decision, else pending."""
        return self.statuses().get(run_id, "pending")

    def statuses(self) -> dict[str, str]:
        """Current status of every run decided on or recorded."""
        current = dict.fromkeys(self.runs, "pending")
        for decision in self.decisions:
            current[decision.run_id] = decision.status
        return current

    def history(self, run_id: str) -> list[Decision]:
        """The decisions on one run, in order."""
        return [d for d in self.decisions if d.run_id == run_id]

    def frozen_run(self, model_key: str) -> str | None:
        """The run that freezes a model (status persisted), if any."""
        statuses = self.statuses()
        frozen = [
            run.run_id
            for run in self.runs.values()
            if run.model_key == model_key and statuses[run.run_id] == "persisted"
        ]
        return frozen[0] if frozen else None

    def shown_runs(self) -> dict[str, str]:
        """The run BI shows per model: the latest deployed (see int_ml_runs_shown).

        A run counts while deployed or persisted, ordered by when it was first
        deployed, then run number, then run id.
        """
        statuses = self.statuses()
        first: dict[str, dt.datetime] = {}
        for decision in self.decisions:
            if decision.status in ("deployed", "persisted"):
                first.setdefault(decision.run_id, decision.decided_at)
        best: dict[str, tuple[dt.datetime, int, str]] = {}
        for run in self.runs.values():
            if statuses[run.run_id] not in ("deployed", "persisted"):
                continue
            key = (first[run.run_id], run.run_number, run.run_id)
            if run.model_key not in best or key > best[run.model_key]:
                best[run.model_key] = key
        return {model: key[2] for model, key in best.items()}

    def unknown_runs(self) -> list[str]:
        """Runs the log decides on that no run record knows (in first order)."""
        seen: dict[str, None] = {}
        for decision in self.decisions:
            if decision.run_id not in self.runs:
                seen.setdefault(decision.run_id)
        return list(seen)


def _person_rule(decision: Decision, run: RunFacts | None) -> str | None:
    """A line of the log dated before its run was recorded."""
    if (
        decision.line is not None
        and run is not None
        and decision.decided_at < run.created_at
    ):
        return "decided_before_run"
    return None


def _needs_override(decision: Decision, previous: str, run: RunFacts | None) -> bool:
    """A person deploying a run that failed a gate, without saying so."""
    return (
        decision.line is not None
        and run is not None
        and run.has_failed_gates
        and previous == "pending"
        and decision.status in ("deployed", "persisted")
        and not decision.reason.startswith(OVERRIDE_PREFIX)
    )


def first_violation(
    decisions: Sequence[Decision], runs: Mapping[str, RunFacts]
) -> tuple[tuple[Decision, ...], Violation | None]:
    """All decisions in order, and the first that breaks a rule (or None)."""
    ordered = tuple(
        sorted([*decisions, *system_decisions(runs.values())], key=order_key)
    )
    status: dict[str, str] = {}
    seen: set[tuple[str, dt.datetime]] = set()
    persisted: dict[str, str] = {}  # model -> the run persisted
    for decision in ordered:
        previous = status.get(decision.run_id, "pending")
        run = runs.get(decision.run_id)
        model = run.model_key if run else None
        key = (decision.run_id, decision.decided_at)
        rule = "same_time" if key in seen else _person_rule(decision, run)
        rule = rule or broken_rule(previous, decision)
        if rule is None and _needs_override(decision, previous, run):
            rule = "gates_failed"
        other = None
        if rule is None and decision.status == "persisted" and model is not None:
            other = persisted.get(model)
            if other is not None and other != decision.run_id:
                rule = "one_frozen_run"
        if rule is not None:
            return ordered, Violation(rule, decision, previous, model, other)
        seen.add(key)
        status[decision.run_id] = decision.status
        if model is not None:
            if decision.status == "persisted":
                persisted[model] = decision.run_id
            elif persisted.get(model) == decision.run_id:
                del persisted[model]
    return ordered, None


def check_run_ids(
    decisions: Sequence[Decision],
    runs: Mapping[str, RunFacts],
    *,
    source: str = DEFAULT_NAME,
) -> None:
    """Refuse a line naming a run by a prefix of its id (as `runs` prints it).

    A shortened id matches no run, so the decision would silently do nothing.

    Raises
    ------
    DecisionLogError
        Naming the line and the full id to write.
    """
    known = sorted(runs)
    for decision in decisions:
        if decision.line is None or decision.run_id in runs:
            continue
        matches = [run_id for run_id in known if run_id.startswith(decision.run_id)]
        if matches:
            raise DecisionLogError(
                f"{source}, line {decision.line}: run id {decision.run_id!r} is "
                f"only the start of run {matches[0]}"
                + (f" (and {len(matches) - 1} more)" if len(matches) > 1 else "")
                + ": the log holds full run ids; write the full id (the commands "
                "do it for you)"
            )


def check_nothing_lost(
    previous: Sequence[Decision],
    current: Sequence[Decision],
    runs: Mapping[str, RunFacts],
    *,
    source: str = DEFAULT_NAME,
) -> None:
    """Refuse a log that lost decisions a build already read.

    The log is append-only: every decision on a recorded run that an earlier
    build read must still be in it (anywhere: a merge may reorder lines).
    Lines about runs no warehouse knows (a typo) may be removed.

    Raises
    ------
    DecisionLogError
        Naming the decisions lost and how to restore them.
    """

    def key(d: Decision) -> tuple[str, str, dt.datetime, str, str]:
        return (d.run_id, d.status, d.decided_at, d.decided_by, d.reason)

    now = {key(d) for d in current}
    lost = [d for d in previous if d.run_id in runs and key(d) not in now]
    if lost:
        first = lost[0]
        raise DecisionLogError(
            f"{source} lost {len(lost)} decision(s) that the last build read, "
            f"e.g. run {first.run_id} set to {first.status} at "
            f"{first.decided_at:%Y-%m-%d %H:%M:%S} by {first.decided_by} "
            f"({first.reason}). The log is append-only and is the audit trail of "
            "what BI showed: restore the lines (`git log -p seeds/run_status.csv` "
            "shows them); to change a decision, record a new one"
        )


def validate(
    decisions: Sequence[Decision],
    runs: Mapping[str, RunFacts],
    *,
    source: str = DEFAULT_NAME,
) -> Ledger:
    """Check a whole log with the run records; the ledger it gives.

    Raises
    ------
    DecisionLogError
        A line names a run by a prefix of its id.
    RuleError
        At the first decision (in the one order) that breaks a rule.
    """
    check_run_ids(decisions, runs, source=source)
    ordered, violation = first_violation(decisions, runs)
    if violation is not None:
        raise RuleError(violation.message(source), violation)
    return Ledger(ordered, dict(runs))


def check_decision(
    ledger: Ledger, decision: Decision, action: str | None = None
) -> Ledger:
    """The ledger with one more decision, if it breaks no rule.

    ``action`` is what the person asked for (a :class:`Transition` action,
    e.g. ``deploy``): the transition must be that one, so ``deploy`` on a
    persisted run is refused rather than read as an unfreeze.

    Raises
    ------
    RuleError
        Naming the run and the rule; nothing is changed.
    """
    logged = [d for d in ledger.decisions if d.line is not None]
    previous = ledger.status(decision.run_id)
    if action is not None:
        allowed = {
            t.action
            for t in TRANSITIONS
            if (t.from_status, t.to_status, t.actor)
            == (previous, decision.status, "person")
        }
        if allowed and action not in allowed:
            # A transition that is another action's (persisted -> deployed is
            # an unfreeze, deployed -> ignored a rollback) is refused.
            rule = _refusal(previous, decision.status, "person") or (
                "persisted_only_unfreezes"
                if previous == "persisted"
                else "already_deployed"
            )
            raise RuleError(
                f"run {decision.run_id} cannot be {decision.status}: {RULES[rule]}",
                Violation(rule, decision, previous),
            )
    _, violation = first_violation([*logged, decision], ledger.runs)
    if violation is not None:
        d = violation.decision
        detail = ""
        if violation.rule == "one_frozen_run":
            detail = (
                f": model {violation.model_key} is already frozen by run "
                f"{violation.other_run_id}; unfreeze it first with "
                f"`people-ml unfreeze {violation.model_key}`"
            )
        elif violation.rule == "already_deployed" and d.status == "ignored":
            detail = (
                "; to stop BI showing it, roll it back (`people-ml rollback "
                f"{violation.model_key or 'MODEL'}`)"
            )
        raise RuleError(
            f"run {d.run_id} cannot be {d.status}: {RULES[violation.rule]}{detail}",
            violation,
        )
    return validate([*logged, decision], ledger.runs)
