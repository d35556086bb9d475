"""Who may see whom: roles, org-unit scopes and the reader of the storyboard.

Aggregate pages are for any signed-in reader. Individual rows (a person's
risk, drivers, what-if, pay) only for a role that may see people, and only
for the people of the divisions the reader is allowed. The rules live here,
once: the seed ``seeds/storyboard_access.csv`` maps readers (the e-mail their
OpenID Connect login gives) to a role and divisions, and its dbt YAML's
accepted values are checked against :data:`ROLES` by a test.

Enforced in the data layer: every individual frame a page reads comes
through :class:`Reader`, which filters by scope and refuses a person outside
it (:class:`AccessDenied`); hiding a widget is not the control.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from people_ml.project import ACCESS_SEED, ACCESS_SEED_HEADER
from people_ml.storyboard import data

if TYPE_CHECKING:
    from people_ml.storyboard.data import Marts
    from people_ml.storyboard.whatif import RunModel

__all__ = [
    "ACCESS_FILE",
    "ACCESS_HEADER",
    "ALL_DIVISIONS",
    "LOCAL_READER",
    "ROLES",
    "AccessDenied",
    "AccessError",
    "Grant",
    "Reader",
    "load_grants",
    "reader_for",
]

#: The seed of grants, in the project (the user's state, like the decision log).
ACCESS_FILE = ACCESS_SEED
ACCESS_HEADER = tuple(ACCESS_SEED_HEADER.strip().split(","))
#: ``divisions`` value meaning every division.
ALL_DIVISIONS = "*"
#: Role -> whether it may see individual people (within its divisions).
ROLES: dict[str, bool] = {
    "viewer": False,
    "hr_business_partner": True,
    "people_analytics": True,
}
#: The role of a signed-in reader the seed does not list.
DEFAULT_ROLE = "viewer"
#: Who reads a storyboard served on this machine only, without a login: the
#: person who can already open the warehouse.
LOCAL_READER = "local"


class AccessError(ValueError):
    """The access seed breaks a rule (the message names file, line, fix)."""


class AccessDenied(PermissionError):
    """The reader may not see what was asked for."""


@dataclass(frozen=True)
class Grant:
    """One reader's role and divisions."""

    email: str
    role: str
    divisions: frozenset[str] = field(default_factory=frozenset)

    @property
    def all_divisions(self) -> bool:
        """Whether the grant covers every division."""
        return ALL_DIVISIONS in self.divisions


def load_grants(path: Path) -> dict[str, Grant]:
    """Read the access seed: e-mail (case-insensitive) -> grant.

    A missing file grants nothing beyond the default role.

    Raises
    ------
    AccessError
        A wrong header, an unknown role, a duplicate reader or a role that sees
        people without divisions; naming the file, the line and the fix.
    """
    if not path.is_file():
        return {}
    grants: dict[str, Grant] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(cell.strip() for cell in rows[0]) != ACCESS_HEADER:
        raise AccessError(
            f"{path}:1: the header must be {','.join(ACCESS_HEADER)}; fix the "
            "first line."
        )
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(ACCESS_HEADER):
            raise AccessError(
                f"{path}:{number}: {len(row)} fields, expected "
                f"{len(ACCESS_HEADER)} ({','.join(ACCESS_HEADER)}); quote a "
                "value that holds a comma."
            )
        email, role, divisions = (cell.strip() for cell in row)
        key = email.lower()
        if "@" not in email:
            raise AccessError(
                f"{path}:{number}: {email!r} is not an e-mail address (the login's "
                "`email` claim)."
            )
        if role not in ROLES:
            raise AccessError(
                f"{path}:{number}: unknown role {role!r}; one of {', '.join(ROLES)}."
            )
        if key in grants:
            raise AccessError(
                f"{path}:{number}: {email} is listed twice; keep one line per reader."
            )
        scope = frozenset(d.strip() for d in divisions.split(";") if d.strip())
        if ROLES[role] and not scope:
            raise AccessError(
                f"{path}:{number}: role {role} sees people but no divisions are "
                f"given; list them separated by ';', or {ALL_DIVISIONS} for all."
            )
        grants[key] = Grant(email=email, role=role, divisions=scope)
    return grants


@dataclass(frozen=True)
class Reader:
    """The person reading the storyboard, and what they may see."""

    identity: str
    role: str
    divisions: frozenset[str] = frozenset({ALL_DIVISIONS})

    @property
    def sees_people(self) -> bool:
        """Whether the reader's role may see individual people at all."""
        return ROLES.get(self.role, False)

    @property
    def all_divisions(self) -> bool:
        """Whether the reader's scope is every division."""
        return ALL_DIVISIONS in self.divisions

    @property
    def scope_note(self) -> str:
        """'You see the people of Sales and Ops only.' ('' for everyone)."""
        if self.all_divisions or not self.sees_people:
            return ""
        names = " and ".join(sorted(self.divisions))
        return f"Signed in as {self.identity}: you see the people of {names} only."

    def _check_role(self) -> None:
        if not self.sees_people:
            raise AccessDenied(
                f"{self.identity} ({self.role}) may see the storyboard's group "
                "figures, not individual people. Ask the storyboard's owner for "
                "the hr_business_partner role for your divisions "
                f"({ACCESS_FILE})."
            )

    def allowed(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows of a frame with ``division_name`` the reader may see."""
        if self.all_divisions:
            return pd.Series(True, index=frame.index)
        return frame["division_name"].isin(self.divisions).fillna(False)

    def people(self, marts: Marts, model_key: str) -> pd.DataFrame:
        """The shown run's predictions of the people the reader may see."""
        self._check_role()
        predictions = marts.predictions(model_key)
        return predictions[self.allowed(predictions)]

    def worker_ids(self, marts: Marts, model_key: str) -> set[str]:
        """The ids of the people the reader may see."""
        return set(self.people(marts, model_key)["worker_id"].astype(str))

    def _check_people(
        self, marts: Marts, model_key: str, worker_ids: Iterable[str]
    ) -> list[str]:
        wanted = [str(w) for w in worker_ids]
        allowed = self.worker_ids(marts, model_key)
        refused = [w for w in wanted if w not in allowed]
        if refused:
            raise AccessDenied(
                f"{self.identity} may not see {', '.join(refused[:5])}: not in "
                "the divisions they are allowed (or not predicted by the shown run)."
            )
        return wanted

    def person_drivers(
        self, marts: Marts, model_key: str, worker_id: str
    ) -> pd.DataFrame:
        """A person's drivers (see :func:`data.person_drivers`), if allowed."""
        self._check_people(marts, model_key, [worker_id])
        return data.person_drivers(marts, model_key, worker_id)

    def person_history(
        self, marts: Marts, model_key: str, worker_id: str
    ) -> pd.DataFrame:
        """A person's risk across runs, if allowed."""
        self._check_people(marts, model_key, [worker_id])
        return data.person_history(marts, model_key, worker_id)

    def feature_rows(
        self, marts: Marts, model: RunModel, worker_ids: list[str]
    ) -> pd.DataFrame:
        """The model's input rows of some people, if allowed (for a what-if)."""
        from people_ml.storyboard.whatif import feature_rows

        wanted = self._check_people(marts, model.model_key, worker_ids)
        return feature_rows(marts, model, wanted)

    def pay(self, marts: Marts) -> pd.DataFrame:
        """Individual expected pay of the people the reader may see."""
        self._check_role()
        pay = marts.table("fct_ml_expected_pay")
        return pay[self.allowed(pay)]


def reader_for(identity: str, grants: dict[str, Grant]) -> Reader:
    """The reader ``identity`` is: the local owner, a granted or a default one."""
    if identity == LOCAL_READER:
        return Reader(LOCAL_READER, "people_analytics")
    grant = grants.get(identity.lower())
    if grant is None:
        return Reader(identity, DEFAULT_ROLE, frozenset())
    return Reader(identity, grant.role, grant.divisions)
