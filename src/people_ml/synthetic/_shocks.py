"""Known shocks that ``advance`` can inject, so drift detection has a ground truth.

A shock is written ``KIND:ARGS`` (see :data:`SHOCK_SYNTAX`) and starts on the first
day of a month: ``advance`` schedules it in the first new month and records it in
the manifest, and every later re-simulation replays it there. A shock changes
nothing dated before its month: it acts on the state at the start of that month
and draws only from its own stream ``default_rng([seed, 3, index])`` (``index`` is
its position in the manifest's list), never from the month's own stream.

- ``rename-department:OLD=NEW``: the department OLD (and the department prefix of
  its teams' names) is called NEW. The ``org_units`` extract has one row per unit
  with its current name and no name history, like an HRIS export of today's
  structure, so the new name replaces the old one in the whole extract.
- ``pay-cut:DIVISION:PERCENT``: on the first day of the month every worker active
  in the division has base salary cut by PERCENT % (a ``market_adjustment`` row).
  Those workers are exempt from the January top-up to the band minimum for 12
  months, so the cut is not undone at the next new year; merit and promotion
  raises continue on the lower base.
- ``hiring-wave:COUNT``: COUNT extra external hires during the month, spread over
  the teams in proportion to their planned size (levels and start days drawn as
  for ordinary hires). The headcount plan grows by COUNT, so ordinary hiring
  carries on afterwards instead of pausing until attrition catches up.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from people_ml.synthetic._calendar import add_months
from people_ml.synthetic._errors import GeneratorError

if TYPE_CHECKING:
    from people_ml.synthetic._structure import OrgStructure

RENAME_DEPARTMENT = "rename-department"
PAY_CUT = "pay-cut"
HIRING_WAVE = "hiring-wave"
SHOCK_SYNTAX = {
    RENAME_DEPARTMENT: "rename-department:OLD=NEW",
    PAY_CUT: "pay-cut:DIVISION:PERCENT",
    HIRING_WAVE: "hiring-wave:COUNT",
}
SHOCK_EXAMPLES = {
    RENAME_DEPARTMENT: "rename-department:Platform=Core Platform",
    PAY_CUT: "pay-cut:Sales:10",
    HIRING_WAVE: "hiring-wave:40",
}
# Above 50 % a cut would push compa ratios below the 0.3 the dbt tests accept.
PAY_CUT_MAX_PERCENT = 50.0
# The random stream of shock number i is default_rng([seed, SHOCK_STREAM, i]).
SHOCK_STREAM = 3
MARKET_HOLD_MONTHS = 12


@dataclass(frozen=True)
class Shock:
    """One parsed shock; which fields are set depends on ``kind``.

    Attributes
    ----------
    kind : {"rename-department", "pay-cut", "hiring-wave"}
        What happens.
    department, new_name : str
        ``rename-department``: the department's current name and its new one.
    division : str
        ``pay-cut``: the division (by name) whose workers are cut.
    percent : float
        ``pay-cut``: the cut, in percent of base salary (above 0, at most 50).
    count : int
        ``hiring-wave``: the number of extra hires.
    """

    kind: str
    department: str = ""
    new_name: str = ""
    division: str = ""
    percent: float = 0.0
    count: int = 0

    @property
    def spec(self) -> str:
        """The shock written as ``KIND:ARGS`` (what :func:`parse_shock` reads)."""
        if self.kind == RENAME_DEPARTMENT:
            return f"{self.kind}:{self.department}={self.new_name}"
        if self.kind == PAY_CUT:
            return f"{self.kind}:{self.division}:{self.percent:g}"
        return f"{self.kind}:{self.count}"


@dataclass(frozen=True)
class ScheduledShock:
    """A shock and the first month it acts in (as recorded in the manifest).

    Attributes
    ----------
    shock : Shock
        What happens.
    start_month : datetime.date
        The first day of the month the shock starts in.
    """

    shock: Shock
    start_month: dt.date

    def to_manifest(self) -> dict[str, str]:
        """The manifest entry: ``{"shock": "KIND:ARGS", "start_month": "..."}``."""
        return {"shock": self.shock.spec, "start_month": self.start_month.isoformat()}


@dataclass(frozen=True)
class PlannedShock:
    """A checked shock as the engine applies it."""

    shock: Shock
    month: int  # months after the start date (0 = the first simulated month)
    index: int  # position in the manifest: selects the random stream
    target: int = -1  # department (rename) or division (pay cut) index


def _refuse(
    text: str, problem: str, kind: str | None = None, fix: str = ""
) -> GeneratorError:
    if fix:
        return GeneratorError(f"shock {text!r}: {problem}; {fix}")
    if kind is None:
        forms = "; ".join(
            f"{SHOCK_SYNTAX[k]} (e.g. {SHOCK_EXAMPLES[k]})" for k in SHOCK_SYNTAX
        )
        fix = f"write one of: {forms}"
    else:
        fix = f"write it as {SHOCK_SYNTAX[kind]}, e.g. {SHOCK_EXAMPLES[kind]}"
    return GeneratorError(f"shock {text!r}: {problem}; {fix}")


def parse_shock(text: Any) -> Shock:
    """Read one shock written ``KIND:ARGS``.

    Parameters
    ----------
    text : str
        ``rename-department:OLD=NEW``, ``pay-cut:DIVISION:PERCENT`` (``10`` or
        ``7.5``, a trailing ``%`` allowed) or ``hiring-wave:COUNT``.

    Returns
    -------
    Shock
        The parsed shock (names are not checked against an organisation here).

    Raises
    ------
    GeneratorError
        Not a string, an unknown kind or malformed arguments; the message shows
        the syntax with an example.
    """
    if not isinstance(text, str):
        raise _refuse(str(text), f"a shock is a string, not {type(text).__name__}")
    kind, sep, args = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in SHOCK_SYNTAX:
        known = ", ".join(SHOCK_SYNTAX)
        raise _refuse(text, f"unknown kind {kind!r} (the kinds are {known})")
    if not sep or not args.strip():
        raise _refuse(text, "the arguments after the kind are missing", kind)
    if kind == RENAME_DEPARTMENT:
        old, eq, new = args.partition("=")
        old, new = old.strip(), new.strip()
        if not eq or "=" in new:
            raise _refuse(text, "give the old and the new name around one '='", kind)
        if not old or not new:
            raise _refuse(text, "both the old and the new name are needed", kind)
        if old == new:
            raise _refuse(text, "the new name is the old one", kind)
        return Shock(kind, department=old, new_name=new)
    if kind == PAY_CUT:
        division, colon, raw = args.rpartition(":")
        division = division.strip()
        if not colon or not division:
            raise _refuse(text, "give the division and the percent", kind)
        try:
            percent = float(raw.strip().removesuffix("%"))
        except ValueError:
            raise _refuse(text, f"the percent {raw!r} is not a number", kind) from None
        if not math.isfinite(percent) or not 0 < percent <= PAY_CUT_MAX_PERCENT:
            raise _refuse(
                text,
                f"the percent must be above 0 and at most {PAY_CUT_MAX_PERCENT:g}; "
                f"got {raw.strip()}",
                kind,
            )
        return Shock(kind, division=division, percent=percent)
    raw = args.strip()
    if not raw.isdigit() or int(raw) < 1:
        raise _refuse(
            text, f"COUNT must be a whole number of at least 1; got {raw}", kind
        )
    return Shock(kind, count=int(raw))


def _unknown(
    shock: Shock, what: str, name: str, valid: Sequence[str], where: str
) -> GeneratorError:
    """Refuse an unknown name, listing the valid ones and a corrected shock."""
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    names = ", ".join(valid)
    suggestion = close[0] if close else valid[0]
    if what == "department":
        fixed = replace(shock, department=suggestion)
    else:
        fixed = replace(shock, division=suggestion)
    return _refuse(
        shock.spec,
        f"unknown {what} {name!r}{hint}; the {what}s are {names}{where}",
        fix=f"use one of those names, e.g. {fixed.spec}",
    )


def plan_shocks(
    schedule: Sequence[ScheduledShock],
    structure: OrgStructure,
    start: dt.date,
    employees: int,
    recorded: int = 0,
) -> list[PlannedShock]:
    """Check shocks against the organisation, in order, and plan them.

    Names are checked as they stand when each shock starts: a department
    renamed by an earlier shock is known by its new name.

    Parameters
    ----------
    schedule : sequence of ScheduledShock
        In manifest order (start months never decrease).
    structure : OrgStructure
        The organisation before any shock.
    start : datetime.date
        The first simulated day (the first of a month).
    employees : int
        The starting headcount: a hiring wave may add at most this many people.
    recorded : int, default 0
        How many leading shocks come from the manifest (for the error message).

    Returns
    -------
    list of PlannedShock

    Raises
    ------
    GeneratorError
        An unknown department or division (the message lists the valid ones), a
        new name that is taken, a wave larger than the company or a start month
        out of order.
    """
    depts = list(structure.dept_names)
    divs = list(structure.div_names)
    planned: list[PlannedShock] = []
    last_month = 0
    for index, item in enumerate(schedule):
        shock = item.shock
        month = (item.start_month.year - start.year) * 12 + (
            item.start_month.month - start.month
        )
        where = (
            " (recorded in _manifest.json: correct or remove that entry, or run "
            "`people-ml generate` again)"
            if index < recorded
            else ""
        )
        if (
            item.start_month.day != 1
            or add_months(start, month) != item.start_month
            or month < last_month
        ):
            raise GeneratorError(
                f"shock {shock.spec!r} starts on {item.start_month.isoformat()}, "
                "not the first of a month on or after the previous shock's" + where
            )
        last_month = month
        if shock.kind == RENAME_DEPARTMENT:
            if shock.department not in depts:
                raise _unknown(shock, "department", shock.department, depts, where)
            if shock.new_name in depts:
                raise _refuse(
                    shock.spec,
                    f"a department is already called {shock.new_name!r}; choose a "
                    "new name no department has" + where,
                    shock.kind,
                )
            target = depts.index(shock.department)
            depts[target] = shock.new_name
        elif shock.kind == PAY_CUT:
            if shock.division not in divs:
                raise _unknown(shock, "division", shock.division, divs, where)
            target = divs.index(shock.division)
        else:
            if shock.count > employees:
                raise _refuse(
                    shock.spec,
                    f"COUNT may be at most the starting headcount ({employees:,}), "
                    "so that a wave at most doubles the company" + where,
                    shock.kind,
                )
            target = -1
        planned.append(PlannedShock(shock, month, index, target))
    return planned


def renamed_structure(
    structure: OrgStructure, planned: Sequence[PlannedShock], months: int
) -> OrgStructure:
    """The organisation with the renames that start within ``months`` applied.

    A department's teams are named ``<department> <suffix>``; their department
    prefix changes with it, so the old name leaves the extract entirely.
    """
    renames = [
        p for p in planned if p.shock.kind == RENAME_DEPARTMENT and p.month < months
    ]
    if not renames:
        return structure
    depts = list(structure.dept_names)
    teams = list(structure.team_names)
    for p in renames:
        old, new = depts[p.target], p.shock.new_name
        depts[p.target] = new
        for t in range(
            structure.dept_teams_ptr[p.target], structure.dept_teams_ptr[p.target + 1]
        ):
            if teams[t].startswith(old):
                teams[t] = new + teams[t][len(old) :]
    return replace(structure, dept_names=depts, team_names=teams)
