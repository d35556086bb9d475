"""The month-by-month simulation of the synthetic company.

Determinism: the organisation and the initial population draw from
``default_rng([seed, 0])`` and ``default_rng([seed, 2])``; month ``m`` draws only from
``default_rng([seed, 1, m])`` and only depends on the state at the end of month
``m - 1``. Worker numbers are allocated in event order, so simulating more months
never changes anything dated on or before the end of an earlier run. No event of
month ``m`` is dated outside month ``m`` (terminations fall between the 1st and the
second-to-last day, so that successors start within the month).

Shocks (:mod:`people_ml.synthetic._shocks`) act at the start of their month on the
state at the end of the month before, and draw only from
``default_rng([seed, 3, index])``: the months before a shock are unchanged by it.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from people_ml.synthetic._calendar import (
    NEVER,
    add_months,
    from_day,
    month_end,
    month_index,
    month_index_of_days,
    to_day,
    weekdays_between,
)
from people_ml.synthetic._params import (
    ATTRITION_DRIVERS,
    C_HIRE,
    C_MARKET,
    C_MERIT,
    C_PROMOTION,
    C_REHIRE,
    FAMILIES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    FIRST_NAMES_N,
    FTE_CHANGE,
    FTE_VALUES,
    HIRE,
    INVOLUNTARY,
    LAST_NAMES,
    LOCATIONS,
    MANAGER_CHANGE,
    PROMOTION,
    REHIRE,
    TERM_REASONS,
    TRANSFER,
    VOL_REASONS,
    VOLUNTARY,
    AttritionCoefficients,
    InvoluntaryCoefficients,
    SimulationConfig,
)
from people_ml.synthetic._ratings import draw_ratings
from people_ml.synthetic._shocks import (
    HIRING_WAVE,
    MARKET_HOLD_MONTHS,
    PAY_CUT,
    SHOCK_STREAM,
    PlannedShock,
    ScheduledShock,
    plan_shocks,
    renamed_structure,
)
from people_ml.synthetic._state import Table, Workers
from people_ml.synthetic._structure import OrgStructure, build_structure


def organisation(employees: int, seed: int) -> OrgStructure:
    """The organisation of a simulation (it depends on nothing else)."""
    return build_structure(employees, np.random.default_rng([seed, 2]))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class SimulationResult:
    """Raw (integer-coded) output of a simulation."""

    structure: OrgStructure
    workers: dict[str, np.ndarray]
    job_history: dict[str, np.ndarray]
    compensation: dict[str, np.ndarray]
    ratings: dict[str, np.ndarray]
    promotions: dict[str, np.ndarray]
    terminations: dict[str, np.ndarray]
    band_years: list[int]
    band_mid: np.ndarray  # [year index, family, level - 1]
    band_spread: float
    as_of_day: int
    panel: dict[str, np.ndarray] | None = None
    monthly: list[dict[str, float]] = field(default_factory=list)


class Simulator:
    """Simulates ``employees`` people from ``start`` for a number of months.

    ``shocks`` are checked against the organisation here (a
    :class:`~people_ml.synthetic.GeneratorError` names the problem).
    """

    def __init__(
        self,
        employees: int,
        seed: int,
        start: dt.date,
        config: SimulationConfig,
        record_panel: bool = False,
        shocks: Sequence[ScheduledShock] = (),
    ) -> None:
        self.employees = employees
        self.seed = seed
        self.start = start
        self.start_day = to_day(start)
        self.cfg = config
        self.record_panel = record_panel
        self.structure = organisation(employees, seed)
        self.shocks: list[PlannedShock] = plan_shocks(
            shocks, self.structure, start, employees
        )
        # extra planned headcount per team from hiring waves (None: no wave yet)
        self.extra_target: np.ndarray | None = None
        self.w = Workers(int(employees * 1.6) + 64)
        self.tm = np.full(self.structure.n_teams, -1, dtype=np.int64)
        self.team_change_day = np.full(self.structure.n_teams, -1, dtype=np.int64)
        self.job = Table("worker", "day", "event", "team", "level", "mgr", "fte", "seq")
        self.comp = Table("worker", "day", "reason", "salary", "seq")
        self.ratings = Table("worker", "year", "day", "rating")
        self.promos = Table("worker", "day", "from_level", "to_level")
        self.terms = Table("worker", "day", "type", "reason", "regrettable")
        self.panel = (
            Table(
                "month",
                "worker",
                *ATTRITION_DRIVERS,
                "frailty",
                "compa_ratio",
                "gender",
                "ethnicity",
                "age",
                "tenure_months",
                "voluntary",
                "involuntary",
            )
            if record_panel
            else None
        )
        self._seq = 0
        pay = config.pay
        self.founded = dt.date(
            start.year - config.workforce.founded_years_before_start, start.month, 1
        )
        self.first_band_year = self.founded.year
        base = (
            np.array(pay.level1_midpoints)[:, None]
            * np.array(pay.level_multipliers)[None, :]
            * (1 + pay.band_increase) ** (start.year - pay.reference_year)
        )
        years = start.year - self.first_band_year
        back = (1 + pay.band_increase) ** -np.arange(years, -1, -1.0)
        mids = np.round(base[None, :, :] * back[:, None, None] / 100.0) * 100.0
        self.band_mid: list[np.ndarray] = list(mids)
        self.monthly: list[dict[str, float]] = []

    # ------------------------------------------------------------------ helpers
    def band(self, year: int) -> np.ndarray:
        """Midpoints ``[family, level - 1]`` in force in ``year``."""
        return self.band_mid[
            min(year, self.first_band_year + len(self.band_mid) - 1)
            - self.first_band_year
        ]

    def band_min(self, year: int, family: np.ndarray, level: np.ndarray) -> np.ndarray:
        spread = self.cfg.pay.band_spread
        mid = self.band(year)[family, level - 1]
        return np.round(mid * (1 - spread) / 100.0) * 100.0

    def next_seq(self, k: int) -> np.ndarray:
        out = np.arange(self._seq, self._seq + k, dtype=np.int64)
        self._seq += k
        return out

    def structural_manager(self, w: np.ndarray) -> np.ndarray:
        """The manager each worker reports to under the current structure."""
        st, s = self.w, self.structure
        own = st.tm_team[w]
        is_tm = own >= 0
        boss = s.boss_team[np.where(is_tm, own, 0)]
        mgr_tm = np.where(boss >= 0, self.tm[np.maximum(boss, 0)], -1)
        return np.where(is_tm, mgr_tm, self.tm[st.team[w]])

    def emit_job(self, w: np.ndarray, day: np.ndarray | int, event: int) -> None:
        st = self.w
        w = np.asarray(w, dtype=np.int64)
        if w.size == 0:
            return
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), w.shape).copy()
        mgr = self.structural_manager(w)
        if event in (HIRE, REHIRE):
            st.last_mgr_change_day[w] = NEVER
        else:
            changed = mgr != st.cur_mgr[w]
            st.last_mgr_change_day[w[changed]] = day[changed]
        st.cur_mgr[w] = mgr
        st.last_job_day[w] = day
        self.job.add(
            worker=w,
            day=day,
            event=event,
            team=st.team[w].copy(),
            level=st.level[w].copy(),
            mgr=mgr,
            fte=st.fte[w].copy(),
            seq=self.next_seq(w.size),
        )

    def emit_comp(self, w: np.ndarray, day: np.ndarray | int, reason: int) -> None:
        w = np.asarray(w, dtype=np.int64)
        if w.size == 0:
            return
        self.comp.add(
            worker=w,
            day=day,
            reason=reason,
            salary=self.w.salary[w].copy(),
            seq=self.next_seq(w.size),
        )

    def set_level_start(
        self, w: np.ndarray, day: np.ndarray | int, mi: int | np.ndarray
    ) -> None:
        self.w.level_start_day[w] = day
        self.w.level_start_mi[w] = mi

    def offer(
        self,
        rng: np.random.Generator,
        year: int,
        family: np.ndarray,
        level: np.ndarray,
        gender: np.ndarray,
        eth: np.ndarray,
    ) -> np.ndarray:
        """Starting salaries: band midpoint x noise x the documented group factors."""
        pay = self.cfg.pay
        mid = self.band(year)[family, level - 1]
        factor = (
            np.array(pay.offer_factor_gender)[gender]
            * np.array(pay.offer_factor_ethnicity)[eth]
        )
        raw = mid * np.exp(rng.normal(pay.offer_mean, pay.offer_sd, len(mid))) * factor
        lo = mid * (1 - pay.band_spread)
        hi = mid * (1 + pay.band_spread) * 0.95
        return np.round(np.clip(raw, lo, hi) / 100.0) * 100.0

    def demographics(
        self, rng: np.random.Generator, family: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Gender, ethnicity and name indexes for new people of these job families."""
        wf = self.cfg.workforce
        k = len(family)
        u = rng.random(k)
        female = np.array(wf.female_share)[family] * (
            1 - wf.nonbinary_share - wf.undisclosed_share
        )
        gender = np.where(
            u < female,
            0,
            np.where(
                u < 1 - wf.nonbinary_share - wf.undisclosed_share,
                1,
                np.where(u < 1 - wf.undisclosed_share, 2, 3),
            ),
        ).astype(np.int8)
        eth = rng.choice(len(wf.ethnicity_probs), size=k, p=wf.ethnicity_probs).astype(
            np.int8
        )
        nf, nm, nn = len(FIRST_NAMES_F), len(FIRST_NAMES_M), len(FIRST_NAMES_N)
        pick = rng.random(k)
        first = np.where(
            gender == 0,
            (pick * nf).astype(np.int64),
            np.where(
                gender == 1,
                nf + (pick * nm).astype(np.int64),
                np.where(
                    pick < 0.5,
                    (pick * 2 * nn).astype(np.int64) + nf + nm,
                    ((pick - 0.5) * 2 * (nf + nm)).astype(np.int64),
                ),
            ),
        )
        last = rng.integers(0, len(LAST_NAMES), size=k)
        return gender, eth, first.astype(np.int16), last.astype(np.int16)

    def register_people(
        self,
        rng: np.random.Generator,
        idx: np.ndarray,
        teams: np.ndarray,
        hire_days: np.ndarray,
        age_at_hire: np.ndarray,
        demographics: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """Set who newly allocated people are: dates, demographics, location,
        remote work, FTE and the unobserved performance and frailty.

        Shared by the initial population and monthly hires; the random draws
        come in a fixed order (location, remote, FTE, performance, frailty), so
        both paths stay deterministic per seed.
        """
        st, s, wf = self.w, self.structure, self.cfg.workforce
        k = len(idx)
        gender, eth, first, last = demographics
        st.active[idx] = True
        st.hire_day[idx] = hire_days
        st.orig_hire_day[idx] = hire_days
        st.hire_mi[idx] = month_index_of_days(hire_days)
        st.birth_day[idx] = hire_days - np.round(age_at_hire * 365.25).astype(np.int64)
        st.gender[idx], st.ethnicity[idx] = gender, eth
        st.first_name[idx], st.last_name[idx] = first, last
        own = rng.random(k) < 0.85
        st.location[idx] = np.where(
            own, s.team_location[teams], rng.integers(0, len(LOCATIONS), k)
        )
        st.remote[idx] = rng.random(k) < wf.remote_share
        st.fte[idx] = np.array(FTE_VALUES)[
            rng.choice(len(FTE_VALUES), size=k, p=wf.fte_probs)
        ]
        st.theta[idx] = rng.normal(0.0, 1.0, k)
        st.frailty[idx] = rng.normal(0.0, self.cfg.attrition.frailty_sd, k)

    def new_people(
        self,
        rng: np.random.Generator,
        teams: np.ndarray,
        levels: np.ndarray,
        hire_days: np.ndarray,
        year: int,
    ) -> np.ndarray:
        """Allocate and initialise external hires (state only, no rows)."""
        st, s = self.w, self.structure
        k = len(teams)
        idx = st.alloc(k)
        family = s.team_family[teams]
        gender, eth, first, last = self.demographics(rng, family)
        age = 21.0 + 3.0 * (levels - 1) + rng.gamma(2.0, 3.0, k)
        age = np.clip(age, 20.0, 62.0)
        self.register_people(
            rng, idx, teams, hire_days, age, (gender, eth, first, last)
        )
        st.team[idx] = teams
        st.family[idx] = family
        st.level[idx] = levels
        st.tm_team[idx] = -1
        st.salary[idx] = self.offer(rng, year, family, levels, gender, eth)
        st.last_rating[idx] = 0
        st.rating_year[idx] = 0
        self.set_level_start(idx, hire_days, month_index_of_days(hire_days))
        st.last_mgr_change_day[idx] = NEVER
        st.cur_mgr[idx] = -1
        return idx

    # --------------------------------------------------------------------- run
    def run(self, months: int) -> SimulationResult:
        """Simulate ``months`` months from the start population.

        The caller populates the start date first
        (:func:`people_ml.synthetic._population.populate`).
        """
        for m in range(months):
            self.step(m)
        last_first = add_months(self.start, months - 1)
        as_of_day = to_day(month_end(last_first))
        return self.result(as_of_day)

    def result(self, as_of_day: int) -> SimulationResult:
        st = self.w
        n = st.n
        workers = {
            "worker": np.arange(n, dtype=np.int64),
            "first_name": st.first_name[:n].astype(np.int64),
            "last_name": st.last_name[:n].astype(np.int64),
            "birth_day": st.birth_day[:n].copy(),
            "gender": st.gender[:n].astype(np.int64),
            "ethnicity": st.ethnicity[:n].astype(np.int64),
            "location": st.location[:n].astype(np.int64),
            "remote": st.remote[:n].copy(),
            "orig_hire_day": st.orig_hire_day[:n].copy(),
            "hire_day": st.hire_day[:n].copy(),
            "active": st.active[:n].copy(),
        }
        months = len(self.monthly)
        return SimulationResult(
            structure=renamed_structure(self.structure, self.shocks, months),
            workers=workers,
            job_history=_collapse(
                self.job.arrays(), "event", ("team", "level", "mgr", "fte")
            ),
            compensation=_collapse(self.comp.arrays(), "reason", ("salary",)),
            ratings=self.ratings.arrays(),
            promotions=self.promos.arrays(),
            terminations=self.terms.arrays(),
            band_years=list(
                range(self.first_band_year, self.first_band_year + len(self.band_mid))
            ),
            band_mid=np.stack(self.band_mid),
            band_spread=self.cfg.pay.band_spread,
            as_of_day=as_of_day,
            panel=self.panel.arrays() if self.panel is not None else None,
            monthly=self.monthly,
        )

    # -------------------------------------------------------------------- month
    def step(self, m: int) -> None:
        cfg, st, s = self.cfg, self.w, self.structure
        att, inv, pay, wf = cfg.attrition, cfg.involuntary, cfg.pay, cfg.workforce
        rng = np.random.default_rng([self.seed, 1, m])
        first = add_months(self.start, m)
        last = month_end(first)
        d0, d1 = to_day(first), to_day(last)
        dim = d1 - d0 + 1
        snap = first - dt.timedelta(days=1)
        snap_mi = month_index(first) - 1
        year, month = first.year, first.month
        n = st.n
        st.leaving[:n] = False
        st.blocked[:n] = False
        self.team_change_day[:] = -1
        act = np.flatnonzero(st.active[:n])

        # ---- January: new bands, market adjustments and last year's ratings
        new_ratings: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if month == 1:
            review_year = year - 1
            eligible = act[st.hire_day[act] < to_day(dt.date(review_year, 10, 1))]
            ratings = draw_ratings(
                rng, st.theta[eligible], wf.rating_signal, wf.rating_cuts
            )
            days = weekdays_between(
                to_day(dt.date(year, 1, 15)), to_day(dt.date(year, 1, 31))
            )
            rdays = days[rng.integers(0, len(days), len(eligible))]
            new_ratings = (eligible, ratings, rdays)
            if year > self.start.year:
                bump = (
                    1
                    + pay.band_increase
                    + rng.normal(0, pay.band_increase_sd, len(FAMILIES))
                )
                prev = self.band(year - 1)
                self.band_mid.append(np.round(prev * bump[:, None] / 100.0) * 100.0)

        # ---- hazards, measured on the last day of the previous month
        fam, lvl = st.family[act], st.level[act]
        compa = st.salary[act] / self.band(snap.year)[fam, lvl - 1]
        pay_gap = np.maximum(0.0, 1.0 - compa) / 0.1
        tenure_m = snap_mi - st.hire_mi[act]
        yil = np.minimum(
            (snap_mi - st.level_start_mi[act]) / 12.0, att.years_in_level_cap
        )
        mgr6 = st.last_mgr_change_day[act] > to_day(add_months(snap, -6))
        rating = st.last_rating[act]
        low = (rating >= 1) & (rating <= 2)
        top = rating == 5
        first_year = tenure_m < 12
        second_year = (tenure_m >= 12) & (tenure_m < 24)
        x = (
            att.base
            + att.pay * pay_gap
            + att.years_in_level * yil
            + att.manager_change * mgr6
            + att.low_rating * low
            + att.top_rating * top
            + att.first_year * first_year
            + att.second_year * second_year
            + st.frailty[act]
        )
        h_vol = _expit(x)
        h_perf = _expit(
            inv.base + inv.rating_1 * (rating == 1) + inv.rating_2 * (rating == 2)
        )
        u = rng.random(len(act))
        is_vol = u < h_vol
        is_res = ~is_vol & (u < h_vol + inv.restructuring)
        is_perf = ~is_vol & ~is_res & (u < h_vol + inv.restructuring + h_perf)
        is_leaver = is_vol | is_res | is_perf
        leavers = act[is_leaver]
        term_day = d0 + rng.integers(0, dim - 1, len(leavers))
        age = (d0 - 1 - st.birth_day[leavers]) / 365.25
        reasons = _reasons(
            rng,
            att,
            is_vol[is_leaver],
            is_res[is_leaver],
            rating[is_leaver],
            pay_gap[is_leaver],
            yil[is_leaver],
            mgr6[is_leaver],
            age,
            inv,
        )
        st.leaving[leavers] = True
        shocks = [p for p in self.shocks if p.month == m]
        if self.panel is not None:
            self.panel.add(
                month=m,
                worker=act,
                pay_gap=pay_gap,
                years_in_level=yil,
                manager_change=mgr6,
                low_rating=low,
                top_rating=top,
                first_year=first_year,
                second_year=second_year,
                frailty=st.frailty[act],
                compa_ratio=compa,
                gender=st.gender[act].astype(np.int64),
                ethnicity=st.ethnicity[act].astype(np.int64),
                age=(d0 - 1 - st.birth_day[act]) / 365.25,
                tenure_months=tenure_m,
                voluntary=is_vol,
                involuntary=is_res | is_perf,
            )

        # ---- day-one events
        for shock in shocks:
            if shock.shock.kind == PAY_CUT:
                self._pay_cut(shock, act, first)
        self._reorg(rng, d0)
        if month == 1 and year > self.start.year:
            floor = self.band_min(year, st.family[act], st.level[act])
            # a pay cut is not topped up to the band minimum for a year
            is_below = (st.salary[act] < floor) & (st.market_hold_day[act] <= d0)
            below = act[is_below]
            st.salary[below] = floor[is_below]
            self.emit_comp(below, d0, C_MARKET)
        if month == 4:
            merit_w = act[st.hire_day[act] < to_day(dt.date(year, 1, 1))]
            rated = st.rating_year[merit_w] == year - 1
            base_rate = np.where(
                rated,
                np.array((0.0, *pay.merit_by_rating))[st.last_rating[merit_w]],
                pay.merit_unrated,
            )
            rate = np.maximum(
                0.0, base_rate + rng.normal(0, pay.merit_sd, len(merit_w))
            )
            st.salary[merit_w] = np.round(st.salary[merit_w] * (1 + rate))
            self.emit_comp(merit_w, d0, C_MERIT)
        if month in (4, 10):
            self._promotions(rng, act, d0, month_index(first), year)
        self._transfers_and_fte(rng, act, d0)

        # ---- successors for managers who leave (the day after they leave)
        self._fill_vacancies(
            rng,
            leavers[st.tm_team[leavers] >= 0],
            term_day[st.tm_team[leavers] >= 0],
            year,
        )

        # ---- hires and rehires
        self._hire(rng, m, d0, d1, year)
        for shock in shocks:
            if shock.shock.kind == HIRING_WAVE:
                self._hiring_wave(shock, m, d0, d1, year)

        # ---- manager changes caused by someone else's move
        alive = np.flatnonzero(st.active[: st.n] & ~st.leaving[: st.n])
        mgr = self.structural_manager(alive)
        moved = alive[mgr != st.cur_mgr[alive]]
        if moved.size:
            own = st.tm_team[moved]
            src = np.where(own >= 0, s.boss_team[np.maximum(own, 0)], st.team[moved])
            day = np.where(src >= 0, self.team_change_day[np.maximum(src, 0)], -1)
            day = np.where(day < 0, d0, day)
            day = np.maximum(day, st.last_job_day[moved])
            self.emit_job(moved, day, MANAGER_CHANGE)

        # ---- ratings become known; leavers gone before their review get none
        if new_ratings is not None:
            rw, rr, rd = new_ratings
            keep = ~st.leaving[rw]
            if leavers.size:
                tday = np.full(st.n, NEVER, dtype=np.int64)
                tday[leavers] = term_day
                keep |= tday[rw] >= rd
            rw, rr, rd = rw[keep], rr[keep], rd[keep]
            self.ratings.add(worker=rw, year=year - 1, day=rd, rating=rr)
            st.last_rating[rw] = rr
            st.rating_year[rw] = year - 1
        if leavers.size:
            rating_at_exit = st.last_rating[leavers]
            vol = reasons < len(VOL_REASONS)
            regrettable = vol & (rating_at_exit >= 3)
            self.terms.add(
                worker=leavers,
                day=term_day,
                type=np.where(vol, VOLUNTARY, INVOLUNTARY),
                reason=reasons,
                regrettable=regrettable,
            )
            st.active[leavers] = False
            st.term_day[leavers] = term_day
            st.term_type[leavers] = np.where(vol, VOLUNTARY, INVOLUNTARY)
            st.regrettable[leavers] = regrettable
        self.monthly.append(
            {
                "month": float(m),
                "headcount_start": float(len(act)),
                "voluntary": float(is_vol.sum()),
                "involuntary": float((is_res | is_perf).sum()),
                "headcount_end": float(st.active[: st.n].sum()),
            }
        )

    # -------------------------------------------------------------- sub-steps
    def _reorg(self, rng: np.random.Generator, d0: int) -> None:
        """Swap the managers of two ordinary teams of a department now and then."""
        st, s = self.w, self.structure
        n_ordinary = np.diff(s.dept_teams_ptr) - 1
        hit = np.flatnonzero(
            (rng.random(s.n_depts) < self.cfg.workforce.reorg_rate) & (n_ordinary >= 2)
        )
        for dept in hit:
            pair = (
                s.dept_teams_ptr[dept]
                + 1
                + rng.choice(int(n_ordinary[dept]), 2, replace=False)
            )
            a, b = int(pair[0]), int(pair[1])
            wa, wb = int(self.tm[a]), int(self.tm[b])
            if min(wa, wb) < 0 or st.leaving[wa] or st.leaving[wb]:
                continue
            if st.blocked[wa] or st.blocked[wb]:
                continue
            self.tm[a], self.tm[b] = wb, wa
            st.team[wa], st.team[wb] = b, a
            st.tm_team[wa], st.tm_team[wb] = b, a
            st.blocked[[wa, wb]] = True
            self.team_change_day[[a, b]] = d0
            self.emit_job(np.array([wa, wb]), d0, TRANSFER)

    def _promotions(
        self, rng: np.random.Generator, act: np.ndarray, d0: int, mi: int, year: int
    ) -> None:
        st, wf = self.w, self.cfg.workforce
        months_in_level = mi - st.level_start_mi[act]
        ok = (
            (st.tm_team[act] < 0)
            & ~st.leaving[act]
            & ~st.blocked[act]
            & (st.level[act] <= 3)
            & (months_in_level >= 12)
        )
        cand = act[ok]
        r = st.last_rating[cand]
        logit = (
            wf.promotion_base
            + wf.promotion_rating * np.where(r > 0, r - 3, 0)
            + wf.promotion_years_in_level
            * np.minimum(months_in_level[ok] / 12.0 - 1.0, 3.0)
        )
        chosen = cand[rng.random(len(cand)) < _expit(logit)]
        if chosen.size == 0:
            return
        self._promote(rng, chosen, st.level[chosen] + 1, d0, mi, year)
        self.emit_job(chosen, d0, PROMOTION)

    def _promote(
        self,
        rng: np.random.Generator,
        w: np.ndarray,
        to_level: np.ndarray,
        day: int,
        mi: int,
        year: int,
    ) -> None:
        """Level, promotions row, pay raise and level start (job row by caller)."""
        st, pay = self.w, self.cfg.pay
        self.promos.add(
            worker=w, day=day, from_level=st.level[w].copy(), to_level=to_level
        )
        st.level[w] = to_level
        raise_ = rng.uniform(*pay.promotion_raise, len(w))
        floor = self.band_min(year, st.family[w], st.level[w])
        st.salary[w] = np.maximum(np.round(st.salary[w] * (1 + raise_)), floor)
        self.emit_comp(w, day, C_PROMOTION)
        self.set_level_start(w, day, mi)
        st.blocked[w] = True

    def _transfers_and_fte(
        self, rng: np.random.Generator, act: np.ndarray, d0: int
    ) -> None:
        st, s, wf = self.w, self.structure, self.cfg.workforce
        free = act[(st.tm_team[act] < 0) & ~st.leaving[act] & ~st.blocked[act]]
        u = rng.random(len(free))
        movers = free[u < wf.transfer_rate]
        fam = st.family[movers]
        count = s.family_ptr[fam + 1] - s.family_ptr[fam]
        movers, fam, count = movers[count >= 2], fam[count >= 2], count[count >= 2]
        if movers.size:
            pos = s.team_pos_in_family[st.team[movers]]
            shift = 1 + (rng.random(len(movers)) * (count - 1)).astype(np.int64)
            new_team = s.family_teams[s.family_ptr[fam] + (pos + shift) % count]
            st.team[movers] = new_team
            st.blocked[movers] = True
            self.emit_job(movers, d0, TRANSFER)
        changers = free[
            (u >= wf.transfer_rate) & (u < wf.transfer_rate + wf.fte_change_rate)
        ]
        changers = changers[~st.blocked[changers]]
        if changers.size:
            cur = st.fte[changers]
            v = rng.random(len(changers))
            st.fte[changers] = np.where(
                cur == 1.0,
                np.where(v < 0.7, 0.8, 0.5),
                np.where(
                    cur == 0.8,
                    np.where(v < 0.75, 1.0, 0.5),
                    np.where(v < 0.5, 1.0, 0.8),
                ),
            )
            st.blocked[changers] = True
            self.emit_job(changers, d0, FTE_CHANGE)

    def _fill_vacancies(
        self,
        rng: np.random.Generator,
        leaving_tms: np.ndarray,
        their_days: np.ndarray,
        year: int,
    ) -> None:
        """Appoint a successor the day after each leaving manager's last day."""
        st, s, wf = self.w, self.structure, self.cfg.workforce
        if leaving_tms.size == 0:
            return
        # (day the successor starts, -required level, team, leaving manager): the
        # leaver holds the post until that day; higher posts are filled first
        heap: list[tuple[int, int, int, int]] = []
        for w, day in zip(leaving_tms.tolist(), their_days.tolist(), strict=True):
            t = int(st.tm_team[w])
            heap.append((day + 1, -int(s.team_req_level[t]), t, w))
        heapq.heapify(heap)
        alive = np.flatnonzero(st.active[: st.n] & ~st.leaving[: st.n])
        by_team = alive[np.argsort(st.team[alive], kind="stable")]
        ptr = np.searchsorted(st.team[by_team], np.arange(s.n_teams + 1))
        while heap:
            day, neg_level, t, leaver = heapq.heappop(heap)
            level = -neg_level
            if leaver >= 0:
                self.tm[t] = -1
                st.tm_team[leaver] = -1
            mi = month_index_of_days(np.array([day]))[0]
            chosen = -1
            if rng.random() < wf.internal_successor_share:
                if level == 5:
                    pool = by_team[ptr[t] : ptr[t + 1]]
                    pool = pool[
                        (st.team[pool] == t)
                        & (st.tm_team[pool] < 0)
                        & (st.level[pool] == 4)
                    ]
                else:
                    kids = s.child_idx[s.child_ptr[t] : s.child_ptr[t + 1]]
                    pool = self.tm[kids]
                    want = 7 if t == s.ceo_team else level - 1
                    pool = pool[pool >= 0]
                    pool = pool[st.level[pool] == want]
                pool = pool[st.active[pool] & ~st.leaving[pool] & ~st.blocked[pool]]
                if pool.size:
                    score = st.theta[pool] + rng.normal(0, 0.5, pool.size)
                    chosen = int(pool[np.argmax(score)])
            if chosen >= 0:
                old = int(st.tm_team[chosen])
                if old >= 0:
                    self.tm[old] = -1
                    heapq.heappush(heap, (day, -int(s.team_req_level[old]), old, -1))
                st.team[chosen] = t
                st.family[chosen] = s.team_family[t]
                st.tm_team[chosen] = t
                self.tm[t] = chosen
                cw = np.array([chosen])
                if st.level[chosen] < level:
                    self._promote(rng, cw, np.array([level]), day, mi, year)
                    self.emit_job(cw, day, PROMOTION)
                else:
                    st.blocked[chosen] = True
                    self.emit_job(cw, day, TRANSFER)
            else:
                new = self.new_people(
                    rng, np.array([t]), np.array([level]), np.array([day]), year
                )
                st.tm_team[new] = t
                self.tm[t] = int(new[0])
                st.blocked[new] = True
                self.emit_job(new, day, HIRE)
                self.emit_comp(new, day, C_HIRE)
            self.team_change_day[t] = max(self.team_change_day[t], day)

    def _target(self, m: int) -> np.ndarray:
        """Planned headcount per team in month ``m`` (growth plus hiring waves)."""
        s, wf = self.structure, self.cfg.workforce
        target = s.team_size * (1 + wf.growth_per_year) ** (m / 12.0)
        if self.extra_target is not None:
            target = target + self.extra_target
        return target

    def _hire_days(
        self, rng: np.random.Generator, teams: np.ndarray, d0: int, d1: int
    ) -> np.ndarray:
        """Start days: a weekday of the month, not before a team's manager change."""
        workdays = weekdays_between(d0, d1)
        low = np.maximum(d0, self.team_change_day[teams])
        first = np.searchsorted(workdays, low)
        room = len(workdays) - first
        pick = first + (rng.random(len(teams)) * np.maximum(room, 1)).astype(np.int64)
        return np.where(room > 0, workdays[np.minimum(pick, len(workdays) - 1)], low)

    def _pay_cut(self, shock: PlannedShock, act: np.ndarray, first: dt.date) -> None:
        """Cut the base salary of everyone active in a division on the 1st."""
        st, s = self.w, self.structure
        division = s.dept_div[s.team_dept[st.team[act]]]
        cut = act[division == shock.target]
        if cut.size == 0:
            return
        keep = 1.0 - shock.shock.percent / 100.0
        st.salary[cut] = np.round(st.salary[cut] * keep)
        st.market_hold_day[cut] = to_day(add_months(first, MARKET_HOLD_MONTHS))
        self.emit_comp(cut, to_day(first), C_MARKET)

    def _hiring_wave(
        self, shock: PlannedShock, m: int, d0: int, d1: int, year: int
    ) -> None:
        """Extra external hires, spread over teams by their planned size."""
        st, s, wf = self.w, self.structure, self.cfg.workforce
        rng = np.random.default_rng([self.seed, SHOCK_STREAM, shock.index])
        target = self._target(m)
        per_team = rng.multinomial(shock.shock.count, target / target.sum())
        teams = np.repeat(np.arange(s.n_teams), per_team)
        levels = 1 + rng.choice(
            len(wf.hire_level_probs), size=teams.size, p=wf.hire_level_probs
        )
        days = self._hire_days(rng, teams, d0, d1)
        new = self.new_people(rng, teams, levels, days, year)
        st.blocked[new] = True
        self.emit_job(new, days, HIRE)
        self.emit_comp(new, days, C_HIRE)
        # the plan grows by the wave: ordinary hiring does not pause to offset it
        if self.extra_target is None:
            self.extra_target = np.zeros(s.n_teams)
        self.extra_target += per_team

    def _hire(
        self, rng: np.random.Generator, m: int, d0: int, d1: int, year: int
    ) -> None:
        st, s, wf, pay = self.w, self.structure, self.cfg.workforce, self.cfg.pay
        n = st.n
        alive = st.active[:n] & ~st.leaving[:n]
        size = np.bincount(st.team[:n][alive], minlength=s.n_teams)
        target = self._target(m)
        gap = np.maximum(0.0, target - size)
        # surplus teams offset short ones: never hire beyond the company's target
        net = max(0.0, float(target.sum() - size.sum()))
        if gap.sum() > net:
            gap *= net / gap.sum()
        gap = np.floor(gap + rng.random(s.n_teams)).astype(np.int64)
        slots = rng.binomial(gap, wf.monthly_fill_rate)

        # rehires: former regrettable resigners, 3 to 36 months after leaving
        lo_w, hi_w = wf.rehire_window_months
        month_first = from_day(d0)
        pool = np.flatnonzero(
            ~st.active[:n]
            & (st.term_type[:n] == VOLUNTARY)
            & st.regrettable[:n]
            & (st.term_day[:n] >= to_day(add_months(month_first, -hi_w)))
            & (st.term_day[:n] < to_day(add_months(month_first, -lo_w)))
        )
        back = pool[rng.random(len(pool)) < wf.rehire_rate]
        rehired: list[int] = []
        rehire_teams: list[int] = []
        for w in back.tolist():
            f = int(st.family[w])
            teams = s.family_teams[s.family_ptr[f] : s.family_ptr[f + 1]]
            teams = teams[slots[teams] > 0]
            if teams.size == 0:
                continue
            t = int(teams[rng.integers(0, teams.size)])
            slots[t] -= 1
            rehired.append(w)
            rehire_teams.append(t)
        if rehired:
            w = np.array(rehired, dtype=np.int64)
            t = np.array(rehire_teams, dtype=np.int64)
            days = self._hire_days(rng, t, d0, d1)
            level = np.minimum(st.level[w], 4)
            level = np.minimum(level + (rng.random(len(w)) < 0.3), 4)
            st.active[w] = True
            st.team[w] = t
            st.family[w] = s.team_family[t]
            st.level[w] = level
            st.tm_team[w] = -1
            st.fte[w] = 1.0
            st.hire_day[w] = days
            st.hire_mi[w] = month_index_of_days(days)
            self.set_level_start(w, days, month_index_of_days(days))
            raise_ = rng.uniform(*pay.rehire_raise, len(w))
            floor = self.band_min(year, st.family[w], level)
            st.salary[w] = np.maximum(np.round(st.salary[w] * (1 + raise_)), floor)
            st.blocked[w] = True
            st.term_type[w] = -1
            st.regrettable[w] = False
            self.emit_job(w, days, REHIRE)
            self.emit_comp(w, days, C_REHIRE)
        teams = np.repeat(np.arange(s.n_teams), slots)
        if teams.size:
            levels = 1 + rng.choice(
                len(wf.hire_level_probs), size=teams.size, p=wf.hire_level_probs
            )
            days = self._hire_days(rng, teams, d0, d1)
            new = self.new_people(rng, teams, levels, days, year)
            st.blocked[new] = True
            self.emit_job(new, days, HIRE)
            self.emit_comp(new, days, C_HIRE)


# ------------------------------------------------------------------ module helpers
def _reasons(
    rng: np.random.Generator,
    att: AttritionCoefficients,
    vol: np.ndarray,
    res: np.ndarray,
    rating: np.ndarray,
    pay_gap: np.ndarray,
    yil: np.ndarray,
    mgr6: np.ndarray,
    age: np.ndarray,
    inv: InvoluntaryCoefficients,
) -> np.ndarray:
    """Termination reason codes (index into TERM_REASONS)."""
    k = len(vol)
    pay_c = att.pay * pay_gap
    growth_c = att.years_in_level * np.maximum(0.0, yil - 2.0)
    weights = np.stack(
        [
            0.5 + pay_c,
            1.0 + 4.0 * growth_c + 2.0 * att.top_rating * (rating == 5),
            0.3
            + att.manager_change * mgr6
            + 0.5 * att.low_rating * ((rating >= 1) & (rating <= 2)),
            np.full(k, 0.4),
            np.full(k, 0.8),
            np.where(age >= 62, 6.0, np.where(age >= 58, 1.5, 0.0)),
        ],
        axis=1,
    )
    cum = np.cumsum(weights, axis=1)
    u = rng.random(k) * cum[:, -1]
    vol_reason = (u[:, None] >= cum).sum(axis=1)
    low = (rating >= 1) & (rating <= 2)
    mis_share = np.where(low, inv.misconduct_share_low, inv.misconduct_share_other)
    perf_reason = np.where(rng.random(k) < mis_share, 1, 0)
    inv_reason = np.where(res, 2, perf_reason)
    n_vol = len(VOL_REASONS)
    out = np.where(vol, vol_reason, n_vol + inv_reason).astype(np.int64)
    assert out.max(initial=0) < len(TERM_REASONS)
    return out


def _collapse(
    rows: dict[str, np.ndarray], kind: str, state: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """One row per worker and date: the last state, the most important event."""
    if rows["worker"].size == 0:
        return rows
    order = np.lexsort((rows["seq"], rows["day"], rows["worker"]))
    sorted_rows = {k: v[order] for k, v in rows.items()}
    w, d = sorted_rows["worker"], sorted_rows["day"]
    start = np.ones(len(w), dtype=bool)
    start[1:] = (w[1:] != w[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(start)
    ends = np.append(starts[1:], len(w)) - 1
    out = {k: sorted_rows[k][ends] for k in ("worker", "day", *state)}
    out[kind] = np.minimum.reduceat(sorted_rows[kind], starts)
    return out
