"""The population on the start date, with a consistent back-filled history.

Everyone employed on the start date gets a ``hire`` row at their hire date, their
earlier promotions (on the 1 April / 1 October promotion cycles), a
``manager_change`` row whenever a manager in their current reporting line joined the
company after them (before that, the first manager up the line who was already
employed is shown), every April merit raise since their first full year and the last
two completed annual ratings. Salaries are back-computed from today's salary so that
the history ends exactly at the current pay. The top executive founded the company
``founded_years_before_start`` years before the start date, so somebody is always in
post to be the manager of record.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from people_ml.synthetic._calendar import (
    NEVER,
    month_index_of_days,
    to_day,
    to_weekday_on_or_before,
    weekdays_between,
    year_of_days,
)
from people_ml.synthetic._params import (
    C_HIRE,
    C_MERIT,
    C_PROMOTION,
    HIRE,
    MANAGER_CHANGE,
    PROMOTION,
)
from people_ml.synthetic._ratings import draw_ratings

if TYPE_CHECKING:
    from people_ml.synthetic._engine import Simulator

_BIG = 1 << 40
_DAY_OFFSET = 1 << 20


def _key(worker: np.ndarray, day: np.ndarray) -> np.ndarray:
    return worker.astype(np.int64) * (1 << 22) + (day.astype(np.int64) + _DAY_OFFSET)


def _group_rank(groups: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (sorted input)."""
    n = len(groups)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = groups[1:] != groups[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    return np.arange(n) - first


def _draw_rating_days(rng: np.random.Generator, year: int, k: int) -> np.ndarray:
    days = weekdays_between(to_day(dt.date(year, 1, 15)), to_day(dt.date(year, 1, 31)))
    return days[rng.integers(0, len(days), k)]


def populate(sim: Simulator) -> None:
    """Create the start-date population and its history in ``sim``."""

    cfg, s, st = sim.cfg, sim.structure, sim.w
    wf, pay = cfg.workforce, cfg.pay
    rng = np.random.default_rng([sim.seed, 0])
    n_people = int(s.team_size.sum())
    start_day = sim.start_day
    founded_years = wf.founded_years_before_start

    # ---- roles: the first member of every team manages it
    team_of = np.repeat(np.arange(s.n_teams), s.team_size)
    first_pos = np.concatenate([[0], np.cumsum(s.team_size)[:-1]]).astype(np.int64)
    is_tm = np.zeros(n_people, dtype=bool)
    is_tm[first_pos] = True
    req = s.team_req_level[team_of]

    # ---- tenure: exponential, managers longer, the top executive founded the firm
    tenure = rng.exponential(wf.tenure_mean_years, n_people)
    tm_tenure = np.where(
        req == 5,
        rng.exponential(5.0, n_people),
        np.where(
            req == 6,
            0.5 + rng.exponential(7.0, n_people),
            1 + rng.exponential(8.0, n_people),
        ),
    )
    tenure = np.minimum(np.where(is_tm, tm_tenure, tenure), founded_years - 0.1)
    ceo_pos = int(first_pos[s.ceo_team])
    tenure[ceo_pos] = founded_years
    hire = np.minimum(
        start_day - np.round(tenure * 365.25).astype(np.int64), start_day - 1
    )
    hire[ceo_pos] = to_day(sim.founded)
    hire = to_weekday_on_or_before(hire)

    # worker numbers follow the hiring order, like a real HRIS
    order = np.lexsort((rng.random(n_people), hire))
    team_of, is_tm, req = team_of[order], is_tm[order], req[order]
    tenure, hire = tenure[order], hire[order]
    idx = st.alloc(n_people)
    ceo_pos_sorted = int(np.flatnonzero(order == ceo_pos)[0])
    family = s.team_family[team_of]
    st.team[idx] = team_of
    st.family[idx] = family
    st.tm_team[idx] = np.where(is_tm, team_of, -1)
    sim.tm[team_of[is_tm]] = idx[is_tm]

    # ---- levels (rising with tenure) and earlier promotions
    p = 0.2 + 0.5 * (1 - np.exp(-tenure / 6.0))
    level = np.where(is_tm, req, 1 + rng.binomial(3, p)).astype(np.int64)
    first_year, start_year = sim.founded.year, sim.start.year
    cycles = np.array(
        sorted(
            to_day(dt.date(y, mth, 1))
            for y in range(first_year, start_year + 1)
            for mth in (4, 10)
        ),
        dtype=np.int64,
    )
    first_c = np.searchsorted(cycles, hire + 365)
    last_c = np.searchsorted(cycles, start_day)
    avail = np.maximum(0, last_c - first_c)
    n_promo = np.minimum(
        level - 1, rng.poisson(np.maximum(tenure - 1, 0) / 7.0) + is_tm
    )
    n_promo = np.minimum(n_promo, avail)
    n_promo[ceo_pos_sorted] = 0  # the founder started as the top executive
    has = np.flatnonzero(n_promo > 0)
    rep_w = np.repeat(has, avail[has])
    rep_c = first_c[rep_w] + _group_rank(rep_w)
    shuffle = np.lexsort((rng.random(len(rep_w)), rep_w))
    rep_w, rep_c = rep_w[shuffle], rep_c[shuffle]
    take = _group_rank(rep_w) < n_promo[rep_w]
    promo_w, promo_day = rep_w[take], cycles[rep_c[take]]
    porder = np.lexsort((promo_day, promo_w))
    promo_w, promo_day = promo_w[porder], promo_day[porder]
    hire_level = level - n_promo
    promo_from = hire_level[promo_w] + _group_rank(promo_w)

    # ---- people
    gender, eth, first_name, last_name = sim.demographics(rng, family)
    age_hire = np.clip(
        21.0 + 3.0 * (hire_level - 1) + rng.gamma(2.0, 3.0, n_people), 20.0, 60.0
    )
    age_hire = np.maximum(np.minimum(age_hire, 66.5 - tenure), 20.0)
    sim.register_people(
        rng, idx, team_of, hire, age_hire, (gender, eth, first_name, last_name)
    )
    st.level[idx] = level

    # ---- the last two completed annual reviews
    last_review = start_year - 1 if sim.start.month > 1 else start_year - 2
    rating_by_year: dict[int, np.ndarray] = {}
    for year in (last_review - 1, last_review):
        eligible = np.flatnonzero(hire < to_day(dt.date(year, 10, 1)))
        ratings = draw_ratings(
            rng, st.theta[eligible], wf.rating_signal, wf.rating_cuts
        )
        days = _draw_rating_days(rng, year + 1, len(eligible))
        sim.ratings.add(worker=eligible, year=year, day=days, rating=ratings)
        full = np.zeros(n_people, dtype=np.int64)
        full[eligible] = ratings
        rating_by_year[year] = full
        st.last_rating[eligible] = ratings
        st.rating_year[eligible] = year

    # ---- current pay (with the documented group offer gap) and its history
    factor = (
        np.array(pay.offer_factor_gender)[gender]
        * np.array(pay.offer_factor_ethnicity)[eth]
    )
    r = st.last_rating[idx]
    perf = np.where(r > 0, 1 + 0.02 * (r - 3), 1.0)
    compa = np.clip(
        np.exp(rng.normal(0.0, 0.07, n_people)) * factor * perf,
        1 - pay.band_spread,
        1 + pay.band_spread,
    )
    salary_now = np.round(compa * sim.band(start_year)[family, level - 1])
    st.salary[idx] = salary_now

    aprils = np.array(
        [to_day(dt.date(y, 4, 1)) for y in range(first_year + 1, start_year + 1)]
    )
    aprils = aprils[aprils < start_day]
    april_years = year_of_days(aprils)
    first_a = np.searchsorted(april_years, year_of_days(hire) + 1)
    n_a = np.maximum(0, len(aprils) - first_a)
    merit_w = np.repeat(idx, n_a)
    merit_i = first_a[merit_w] + _group_rank(merit_w)
    merit_day = aprils[merit_i]
    merit_year = april_years[merit_i]
    prior = np.zeros(len(merit_w), dtype=np.int64)
    for year, full in rating_by_year.items():
        at = merit_year == year + 1
        prior[at] = full[merit_w[at]]
    merit_rate = np.where(
        prior > 0,
        np.array((0.0, *pay.merit_by_rating))[prior]
        + rng.normal(0, pay.merit_sd, len(merit_w)),
        rng.normal(0.03, 0.01, len(merit_w)),
    )
    merit_rate = np.clip(merit_rate, 0.0, 0.08)
    promo_rate = rng.uniform(*pay.promotion_raise, len(promo_w))

    c_w = np.concatenate([idx, promo_w, merit_w])
    c_day = np.concatenate([hire, promo_day, merit_day])
    c_log = np.concatenate(
        [np.zeros(n_people), np.log1p(promo_rate), np.log1p(merit_rate)]
    )
    c_reason = np.concatenate(
        [
            np.full(n_people, C_HIRE),
            np.full(len(promo_w), C_PROMOTION),
            np.full(len(merit_w), C_MERIT),
        ]
    )
    c_order = np.lexsort((c_reason, c_day, c_w))
    c_w, c_day, c_log, c_reason = (a[c_order] for a in (c_w, c_day, c_log, c_reason))
    start_mask = np.ones(len(c_w), dtype=bool)
    start_mask[1:] = (c_w[1:] != c_w[:-1]) | (c_day[1:] != c_day[:-1])
    starts = np.flatnonzero(start_mask)
    c_log = np.add.reduceat(c_log, starts)
    c_reason = c_reason[starts]  # the smallest code sorts first: hire > promotion
    c_w, c_day = c_w[starts], c_day[starts]
    cum = np.cumsum(c_log)
    worker_end = np.append(np.flatnonzero(c_w[1:] != c_w[:-1]), len(c_w) - 1)
    total = np.repeat(cum[worker_end], np.diff(np.concatenate([[-1], worker_end])))
    c_salary = np.round(salary_now[c_w] * np.exp(-(total - cum)))
    sim.comp.add(
        worker=c_w,
        day=c_day,
        reason=c_reason,
        salary=c_salary,
        seq=sim.next_seq(len(c_w)),
    )

    # ---- reporting line today, and who was in post at each earlier date
    chain = [sim.structural_manager(idx)]
    for _ in range(8):
        prev = chain[-1]
        if (prev < 0).all():
            break
        up = np.where(prev >= 0, sim.structural_manager(np.maximum(prev, 0)), -1)
        chain.append(up)
    chain_hire = [np.where(c >= 0, hire[np.maximum(c, 0)], _BIG) for c in chain]
    mc_w_parts, mc_day_parts = [], []
    running = np.full(n_people, _BIG, dtype=np.int64)
    for c, h in zip(chain, chain_hire, strict=True):
        record = (c >= 0) & (h < running) & (h > hire)
        mc_w_parts.append(idx[record])
        mc_day_parts.append(h[record])
        running = np.minimum(running, h)
    mc_w = np.concatenate(mc_w_parts)
    mc_day = np.concatenate(mc_day_parts)

    j_w = np.concatenate([idx, promo_w, mc_w])
    j_day = np.concatenate([hire, promo_day, mc_day])
    j_event = np.concatenate(
        [
            np.full(n_people, HIRE),
            np.full(len(promo_w), PROMOTION),
            np.full(len(mc_w), MANAGER_CHANGE),
        ]
    )
    j_order = np.lexsort((j_event, j_day, j_w))
    j_w, j_day, j_event = j_w[j_order], j_day[j_order], j_event[j_order]
    keep = np.ones(len(j_w), dtype=bool)
    keep[1:] = (j_w[1:] != j_w[:-1]) | (j_day[1:] != j_day[:-1])
    j_w, j_day, j_event = j_w[keep], j_day[keep], j_event[keep]
    promo_keys = _key(promo_w, promo_day)
    done = np.searchsorted(
        promo_keys, _key(j_w, j_day), side="right"
    ) - np.searchsorted(promo_keys, _key(j_w, np.full(len(j_w), -_DAY_OFFSET)))
    j_level = hire_level[j_w] + done
    j_mgr = np.full(len(j_w), -1, dtype=np.int64)
    unset = np.ones(len(j_w), dtype=bool)
    for c, h in zip(chain, chain_hire, strict=True):
        hit = unset & (h[j_w] <= j_day)
        j_mgr[hit] = c[j_w[hit]]
        unset &= ~hit
    sim.job.add(
        worker=j_w,
        day=j_day,
        event=j_event,
        team=st.team[j_w],
        level=j_level,
        mgr=j_mgr,
        fte=st.fte[j_w],
        seq=sim.next_seq(len(j_w)),
    )
    sim.promos.add(
        worker=promo_w, day=promo_day, from_level=promo_from, to_level=promo_from + 1
    )

    # ---- state for the simulation
    last_promo = np.full(n_people, NEVER, dtype=np.int64)
    np.maximum.at(last_promo, promo_w, promo_day)
    level_start = np.maximum(last_promo, hire)
    st.level_start_day[idx] = level_start
    st.level_start_mi[idx] = month_index_of_days(level_start)
    last_change = np.full(n_people, NEVER, dtype=np.int64)
    np.maximum.at(last_change, mc_w, mc_day)
    st.last_mgr_change_day[idx] = last_change
    st.cur_mgr[idx] = chain[0]
    last_job = np.full(n_people, NEVER, dtype=np.int64)
    np.maximum.at(last_job, j_w, j_day)
    st.last_job_day[idx] = last_job
