"""The organisation: divisions, departments and teams, and who reports to whom.

Every worker sits in a team. Each team has one manager. The manager of a
department's first team (its *lead team*) heads the department, the manager of a
division's first department's lead team heads the division, and the head of the
first division is the top executive. So ``boss_team[t]`` is the team whose manager
the manager of team ``t`` reports to: the department lead team for an ordinary team,
the division lead team for a department lead team and the top executive's team for a
division lead team. Required manager levels: 5 (team), 6 (department), 7 (division
and the top executive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from people_ml.synthetic._params import (
    COMPANY_NAME,
    DEPARTMENT_NAMES,
    DIVISIONS,
    LOCATIONS,
    TEAM_NAMES,
)


@dataclass(frozen=True)
class OrgStructure:
    """Static organisation (independent of the number of simulated months)."""

    div_names: list[str]
    dept_names: list[str]
    dept_div: np.ndarray
    team_names: list[str]
    team_dept: np.ndarray
    team_family: np.ndarray
    team_location: np.ndarray
    team_size: np.ndarray
    team_req_level: np.ndarray
    boss_team: np.ndarray
    ceo_team: int
    child_ptr: np.ndarray
    child_idx: np.ndarray
    family_ptr: np.ndarray
    family_teams: np.ndarray
    team_pos_in_family: np.ndarray
    dept_teams_ptr: np.ndarray

    @property
    def n_teams(self) -> int:
        return len(self.team_names)

    @property
    def n_depts(self) -> int:
        return len(self.dept_names)

    @property
    def n_divs(self) -> int:
        return len(self.div_names)

    def org_unit_rows(self) -> dict[str, list]:
        """The org_units table as columns (ids are assigned by the writer)."""
        n_div, n_dept, n_team = self.n_divs, self.n_depts, self.n_teams
        names = [COMPANY_NAME, *self.div_names, *self.dept_names, *self.team_names]
        types = (
            ["company"]
            + ["division"] * n_div
            + ["department"] * n_dept
            + ["team"] * n_team
        )
        parents = (
            [-1]
            + [0] * n_div
            + [1 + int(d) for d in self.dept_div]
            + [1 + n_div + int(d) for d in self.team_dept]
        )
        return {"name": names, "type": types, "parent": parents}

    @property
    def team_org_offset(self) -> int:
        """Position of team 0 in the org_units table."""
        return 1 + self.n_divs + self.n_depts


def _largest_remainder(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    raw = weights * rest
    counts = np.floor(raw).astype(np.int64)
    short = rest - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:short]] += 1
    return base + counts


def build_structure(employees: int, rng: np.random.Generator) -> OrgStructure:
    """Build the organisation for ``employees`` people (teams of about 8-12)."""
    n_team = max(1, round(employees / 10))
    n_div = min(len(DIVISIONS), n_team)
    div_weights = np.array([d[2] for d in DIVISIONS[:n_div]])
    div_teams = _largest_remainder(n_team, div_weights, 1)

    div_names: list[str] = []
    dept_names: list[str] = []
    dept_div: list[int] = []
    dept_family: list[int] = []
    team_dept: list[int] = []
    team_names: list[str] = []
    used_dept_names: dict[str, int] = {}
    for d in range(n_div):
        name, families, _ = DIVISIONS[d]
        div_names.append(name)
        n_dept = max(1, round(int(div_teams[d]) / 6))
        splits = np.array_split(np.arange(int(div_teams[d])), n_dept)
        for k, members in enumerate(splits):
            family = families[k % len(families)]
            pool = DEPARTMENT_NAMES[family]
            base = pool[(k // len(families)) % len(pool)]
            count = used_dept_names.get(base, 0) + 1
            used_dept_names[base] = count
            dname = base if count == 1 else f"{base} {count}"
            dept_id = len(dept_names)
            dept_names.append(dname)
            dept_div.append(d)
            dept_family.append(family)
            for j in range(len(members)):
                suffix = TEAM_NAMES[j % len(TEAM_NAMES)]
                rnd = j // len(TEAM_NAMES)
                team_names.append(f"{dname} {suffix}" + (f" {rnd + 1}" if rnd else ""))
                team_dept.append(dept_id)

    team_dept_a = np.array(team_dept, dtype=np.int64)
    dept_div_a = np.array(dept_div, dtype=np.int64)
    team_family = np.array(dept_family, dtype=np.int64)[team_dept_a]
    n_dept = len(dept_names)

    # lead teams: first team of each department / division
    dept_lead = np.full(n_dept, -1, dtype=np.int64)
    for t in range(n_team - 1, -1, -1):
        dept_lead[team_dept_a[t]] = t
    div_lead = np.full(n_div, -1, dtype=np.int64)
    for dp in range(n_dept - 1, -1, -1):
        div_lead[dept_div_a[dp]] = dept_lead[dp]
    ceo_team = int(div_lead[0])

    is_dept_lead = np.zeros(n_team, dtype=bool)
    is_dept_lead[dept_lead] = True
    is_div_lead = np.zeros(n_team, dtype=bool)
    is_div_lead[div_lead] = True
    req_level = np.where(is_div_lead, 7, np.where(is_dept_lead, 6, 5)).astype(np.int64)

    team_div = dept_div_a[team_dept_a]
    boss = np.where(
        is_div_lead,
        ceo_team,
        np.where(is_dept_lead, div_lead[team_div], dept_lead[team_dept_a]),
    ).astype(np.int64)
    boss[ceo_team] = -1

    # children (teams whose manager reports to this team's manager), CSR
    has_boss = boss >= 0
    order = np.argsort(np.where(has_boss, boss, n_team), kind="stable")
    child_idx = order[: has_boss.sum()]
    child_ptr = np.searchsorted(
        boss[child_idx], np.arange(n_team + 1), side="left"
    ).astype(np.int64)

    fam_order = np.argsort(team_family, kind="stable")
    family_ptr = np.searchsorted(
        team_family[fam_order], np.arange(len(DEPARTMENT_NAMES) + 1)
    ).astype(np.int64)
    pos = np.empty(n_team, dtype=np.int64)
    pos[fam_order] = np.arange(n_team) - family_ptr[team_family[fam_order]]

    dept_teams_ptr = np.searchsorted(team_dept_a, np.arange(n_dept + 1)).astype(
        np.int64
    )

    # team sizes: 2 + multinomial, about 10 on average, summing to `employees`
    loc_weights = np.array([loc[3] for loc in LOCATIONS])
    team_location = rng.choice(
        len(LOCATIONS), size=n_team, p=loc_weights / loc_weights.sum()
    )
    minimum = 2 if employees >= 2 * n_team else 1
    shares = rng.gamma(25.0, size=n_team)
    sizes = minimum + rng.multinomial(
        employees - minimum * n_team, shares / shares.sum()
    )

    return OrgStructure(
        div_names=div_names,
        dept_names=dept_names,
        dept_div=dept_div_a,
        team_names=team_names,
        team_dept=team_dept_a,
        team_family=team_family,
        team_location=team_location.astype(np.int64),
        team_size=sizes.astype(np.int64),
        team_req_level=req_level,
        boss_team=boss,
        ceo_team=ceo_team,
        child_ptr=child_ptr,
        child_idx=child_idx.astype(np.int64),
        family_ptr=family_ptr,
        family_teams=fam_order.astype(np.int64),
        team_pos_in_family=pos,
        dept_teams_ptr=dept_teams_ptr,
    )
