"""Discrete-time hazard: one monthly model, the probability of leaving at any horizon.

A person-month frame (one row per person at risk at each month-end) trains an
ordinary binary classifier with :func:`fit_automl` whose calibrated
probability is a monthly hazard ``h``. The probability of leaving within ``H``
months of a month-end is

    P(within H) = 1 - E[ prod_{k=0}^{H-1} (1 - h_k) ]

where ``h_k`` is the hazard of the ``k``-th month ahead. Two ways to get it
(:func:`fit_hazard`'s ``look_ahead_months``):

1 (the next month)
    The target is the event in the next month, so a label resolves after one
    month and every month but the latest trains the model. ``h_k`` is the
    model at the features ``k`` months on, moved by the clock rules; every
    other feature keeps its value (no raise, promotion or new rating is
    foreseen), which is what limits it at long horizons.
L > 1 (a look-ahead)
    Each labelled month-end is paired with every month up to ``L`` months
    ahead that has resolved (the person still at risk at its start); the label
    is that month's event, the features are the row's with the clocks moved to
    that month, plus ``months_ahead``. The model reads ``h_k`` directly and
    learns how features drift on average; recent months train the short
    look-aheads, nothing is left unused, and sampling non-events at ``1 / L``
    keeps about as many rows as person-months.

How features move is declared, per column, by a :class:`ClockRule` (the one
place: :data:`DEFAULT_CLOCKS`, replaceable from config with
:func:`clocks_from_config`):

``grows``
    ``value + k * per_month`` (tenure, months since promotion).
``expires``
    A count over a trailing window (manager changes in the last six months),
    one event of unknown age, uniform over the window. Next-month model: it
    drops to ``expired_value`` once the window has passed it and new events
    arrive at ``renewal_per_month`` (by default the monthly incidence measured
    on the training frame); the expectation is exact for that Markov chain
    over the event's age and the feature only takes values seen in training.
    Look-ahead model: scaled by the share of the window still ahead,
    ``max(0, 1 - k / window_months)``, the same in training and prediction.
``seasonal``
    A multiplicative drift by calendar month (compa-ratio falls when bands are
    re-set in January and rises with April merit raises): ``value`` times the
    ``factors`` of the calendar months passed, by default the geometric mean
    month-over-month ratio of the same person, measured on the training frame.

Competing exits are ignored: ``P(within H)`` is the probability of resigning
within ``H`` months for someone not dismissed first; against a label where an
involuntary exit counts as "did not resign" it is high by about half the
involuntary rate over the horizon times the probability (about 1 % of it at 12
months on the synthetic data, 2.3 % involuntary a year).

This module knows nothing of dbt: frames in, frames out.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._automl import fit_automl
from ._exceptions import DataError, SpecError
from ._model import Explanation, Predictions
from ._target import encode_target

if TYPE_CHECKING:
    from ._automl import AutoMLResult
    from ._model import FittedModel

__all__ = [
    "CLOCK_RULES",
    "DEFAULT_CLOCKS",
    "DEFAULT_HORIZONS",
    "MONTHS_AHEAD",
    "ClockRule",
    "FollowUp",
    "HazardModel",
    "HazardTraining",
    "advance_clocks",
    "censor_at",
    "clocks_from_config",
    "fit_hazard",
    "fold_months_ahead",
    "horizon_labels",
    "resolve_clocks",
]

#: Horizons (months) a hazard model is read at by default.
DEFAULT_HORIZONS: tuple[int, ...] = (3, 6, 12)
#: How a clock feature moves (see the module docstring).
CLOCK_RULES: tuple[str, ...] = ("grows", "expires", "seasonal")
#: Expiring rules a model may use: the state space is the product of windows.
MAX_EXPIRING_RULES = 2
_OPTIONS: dict[str, tuple[str, ...]] = {
    "grows": ("per_month",),
    "expires": (
        "window_months",
        "expired_value",
        "renewed_value",
        "renewal_per_month",
    ),
    "seasonal": ("factors",),
}


@dataclass(frozen=True)
class ClockRule:
    """How one feature moves with the calendar when a hazard is projected ahead.

    Parameters
    ----------
    column : str
        The feature.
    rule : {'grows', 'expires', 'seasonal'}
        See the module docstring.
    per_month : float, default=1.0
        ``grows``: added a month.
    window_months : int or None, default=None
        ``expires``: the trailing window (required).
    expired_value : float, default=0.0
        ``expires``: the value with no event in the window.
    renewed_value : float, default=1.0
        ``expires``: the value after a new event (when there was none).
    renewal_per_month : float or None, default=None
        ``expires``: monthly probability of a new event; None estimates it at
        fit time (:func:`resolve_clocks`), 0 foresees none.
    factors : tuple of 12 float or None, default=None
        ``seasonal``: the value's ratio from the previous month-end to a
        month-end in January, ..., December; None estimates them at fit time.
    """

    column: str
    rule: str
    per_month: float = 1.0
    window_months: int | None = None
    expired_value: float = 0.0
    renewed_value: float = 1.0
    renewal_per_month: float | None = None
    factors: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column:
            raise SpecError(f"clock rule: column must be a name; got {self.column!r}")
        if self.rule not in CLOCK_RULES:
            raise SpecError(
                f"clock rule for {self.column!r}: rule {self.rule!r}; allowed: "
                + " | ".join(CLOCK_RULES)
            )
        if self.rule == "expires" and (
            isinstance(self.window_months, bool)
            or not isinstance(self.window_months, int)
            or self.window_months < 1
        ):
            raise SpecError(
                f"clock rule for {self.column!r}: 'expires' needs window_months, a "
                f"positive integer; got {self.window_months!r}"
            )
        if self.rule != "expires" and self.window_months is not None:
            raise SpecError(
                f"clock rule for {self.column!r}: window_months applies to "
                "'expires' only"
            )
        if self.renewal_per_month is not None and not (
            0.0 <= float(self.renewal_per_month) < 1.0
        ):
            raise SpecError(
                f"clock rule for {self.column!r}: renewal_per_month must be in "
                f"[0, 1); got {self.renewal_per_month!r}"
            )
        if self.factors is not None:
            factors = tuple(float(f) for f in self.factors)
            if self.rule != "seasonal" or len(factors) != 12 or min(factors) <= 0:
                raise SpecError(
                    f"clock rule for {self.column!r}: factors are 12 positive "
                    f"ratios of a 'seasonal' rule; got {self.factors!r}"
                )
            object.__setattr__(self, "factors", factors)

    @property
    def resolved(self) -> bool:
        """Every parameter is set (nothing left to estimate)."""
        if self.rule == "expires":
            return self.renewal_per_month is not None
        if self.rule == "seasonal":
            return self.factors is not None
        return True

    def to_dict(self) -> dict[str, Any]:
        """The rule as a config mapping (what :func:`clocks_from_config` reads)."""
        out: dict[str, Any] = {"column": self.column, "rule": self.rule}
        for name in _OPTIONS[self.rule]:
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


#: The clocks of the attrition frames (int_attrition_*_labelled): the one place
#: that says which columns advance how. A spec can replace them
#: (:func:`clocks_from_config`).
DEFAULT_CLOCKS: tuple[ClockRule, ...] = (
    ClockRule("tenure_months", "grows"),
    ClockRule("months_since_promotion", "grows"),
    ClockRule("manager_changes_last_6_months", "expires", window_months=6),
    ClockRule("compa_ratio", "seasonal"),
)


def clocks_from_config(config: Sequence[Mapping[str, Any]]) -> tuple[ClockRule, ...]:
    """Clock rules from a config list, e.g. a YAML spec's ``clocks:``.

    Parameters
    ----------
    config : sequence of mapping
        One mapping per feature: ``column``, ``rule`` and the rule's options,
        e.g. ``[{column: tenure_months, rule: grows}, {column:
        manager_changes_last_6_months, rule: expires, window_months: 6}]``.

    Returns
    -------
    tuple of ClockRule

    Raises
    ------
    SpecError
        An unknown key or rule, an option of another rule, a missing window or
        a column declared twice.
    """
    if isinstance(config, (str, Mapping)) or not isinstance(config, Sequence):
        raise SpecError(f"clocks: a list of rules (mappings); got {config!r}")
    rules = []
    for item in config:
        if not isinstance(item, Mapping):
            raise SpecError(f"clocks: each rule is a mapping; got {item!r}")
        if "column" not in item or "rule" not in item:
            raise SpecError(f"clocks: each rule needs column and rule; got {item!r}")
        allowed = {"column", "rule", *_OPTIONS.get(item["rule"], ())}
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise SpecError(
                f"clocks: unknown key(s) {unknown} in {dict(item)!r}; allowed: "
                f"{sorted(allowed)}"
            )
        options = dict(item)
        if options.get("factors") is not None:
            options["factors"] = tuple(options["factors"])
        rules.append(ClockRule(**options))
    columns = [r.column for r in rules]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise SpecError(f"clocks: column(s) {twice} declared more than once")
    return tuple(rules)


def _add_months(dates: pd.Series, months: int) -> pd.Series:
    """``dates`` plus ``months``; month-ends map to month-ends."""
    if months == 0:
        return dates
    moved = dates + pd.DateOffset(months=months)
    at_end = dates.dt.is_month_end.to_numpy()
    return moved.where(~at_end, moved + pd.offsets.MonthEnd(0))


def _previous_values(
    frame: pd.DataFrame, column: str, entity_id: str, sample_date: str
) -> tuple[pd.Series, pd.Series]:
    """Each row's value and the same entity's value one month-end earlier."""
    ordered = frame[[entity_id, sample_date, column]].copy()
    ordered[sample_date] = pd.to_datetime(ordered[sample_date])
    ordered = ordered.sort_values([entity_id, sample_date])
    by_entity = ordered.groupby(entity_id, sort=False)
    previous_date = by_entity[sample_date].shift()
    previous = by_entity[column].shift()
    follows = previous_date.eq(_add_months(ordered[sample_date], -1))
    value = pd.to_numeric(ordered[column]).astype(float)
    return value[follows], pd.to_numeric(previous[follows]).astype(float)


def resolve_clocks(
    frame: pd.DataFrame,
    clocks: Sequence[ClockRule],
    *,
    entity_id: str,
    sample_date: str,
) -> tuple[ClockRule, ...]:
    """Fill the parameters left to estimate from a person-month panel.

    ``expires`` without ``renewal_per_month``: the share of consecutive
    month-end pairs of an entity in which the value rose (a new event).
    ``seasonal`` without ``factors``: per calendar month of the later
    month-end, the geometric mean ratio of consecutive positive values of an
    entity (1.0 for a month without pairs).

    Parameters
    ----------
    frame : pandas.DataFrame
        Person-months (the training rows).
    clocks : sequence of ClockRule
    entity_id, sample_date : str

    Returns
    -------
    tuple of ClockRule
        The rules with every parameter set; rules on absent columns as given.
    """
    frame = frame.reset_index(drop=True)
    out = []
    for rule in clocks:
        if rule.resolved or rule.column not in frame:
            out.append(rule)
            continue
        value, previous = _previous_values(frame, rule.column, entity_id, sample_date)
        if rule.rule == "expires":
            rose = (value > previous).to_numpy()
            rate = float(rose.mean()) if len(rose) else 0.0
            out.append(dataclasses.replace(rule, renewal_per_month=min(rate, 0.99)))
            continue
        positive = (value > 0) & (previous > 0)
        log_ratio = np.log(value[positive] / previous[positive])
        months = pd.to_datetime(frame.loc[log_ratio.index, sample_date]).dt.month
        mean = log_ratio.groupby(months).mean()
        factors = tuple(float(np.exp(mean.get(m, 0.0))) for m in range(1, 13))
        out.append(dataclasses.replace(rule, factors=factors))
    return tuple(out)


def _seasonal_factor(
    dates: pd.Series, months: int | np.ndarray, factors: Sequence[float]
) -> np.ndarray:
    """Product of the calendar-month factors of the next ``months`` month-ends."""
    start = pd.to_datetime(dates).dt.month.to_numpy() - 1
    ahead = np.broadcast_to(np.asarray(months, dtype=int), start.shape)
    log_factors = np.log(np.asarray(factors, dtype=float))
    total = np.zeros(len(start))
    for j in range(1, int(ahead.max(initial=0)) + 1):
        total += np.where(ahead >= j, log_factors[(start + j) % 12], 0.0)
    return np.exp(total)


def advance_clocks(
    frame: pd.DataFrame,
    months: int | np.ndarray,
    clocks: Sequence[ClockRule],
    *,
    sample_date: str | None = None,
    expired: frozenset[str] = frozenset(),
    expiring: str = "state",
) -> pd.DataFrame:
    """The features ``months`` months on, as the clock rules declare.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows at their month-end.
    months : int or ndarray of int
        Months ahead, for all rows or per row.
    clocks : sequence of ClockRule
        Resolved rules (see :func:`resolve_clocks`); columns absent from
        ``frame`` are skipped (they cannot be features of a model of it).
    sample_date : str or None, default=None
        The date column; needed by ``seasonal`` rules.
    expired : frozenset of str, default=frozenset()
        ``expiring='state'``: expiring columns whose event has aged out, set to
        ``expired_value``; the other expiring columns hold an event: their
        value, or ``renewed_value`` where it was expired (a new event).
    expiring : {'state', 'expected'}, default='state'
        ``'expected'``: an expiring value is scaled by the share of its window
        still ahead of a uniformly aged event, ``max(0, 1 - months /
        window_months)`` (the look-ahead model's feature; ``expired`` unused).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the clock columns moved.
    """
    if expiring not in ("state", "expected"):
        raise ValueError(f"expiring must be 'state' or 'expected'; got {expiring!r}")
    out = frame.copy()
    ahead = np.asarray(months, dtype=float)
    for rule in clocks:
        if rule.column not in out:
            continue
        values = pd.to_numeric(out[rule.column]).astype(float)
        if rule.rule == "grows":
            out[rule.column] = values + ahead * rule.per_month
        elif rule.rule == "expires" and expiring == "expected":
            left = np.clip(1.0 - ahead / float(rule.window_months or 1), 0.0, 1.0)
            expired_value = rule.expired_value
            out[rule.column] = expired_value + (values - expired_value) * left
        elif rule.rule == "expires":
            if rule.column in expired:
                out[rule.column] = values.mask(values.notna(), rule.expired_value)
            else:
                none = values.isna() | values.eq(rule.expired_value)
                out[rule.column] = values.mask(none, rule.renewed_value)
        elif rule.rule == "seasonal" and ahead.any():
            if rule.factors is None:
                raise DataError(f"seasonal clock {rule.column!r} has no factors yet")
            if sample_date is None:
                raise DataError(f"seasonal clock {rule.column!r} needs sample dates")
            factor = _seasonal_factor(out[sample_date], months, rule.factors)
            out[rule.column] = values * factor
    return out


def _unsample(p: np.ndarray, rate: float) -> np.ndarray:
    """Undo keeping non-events at ``rate``: the odds scale by ``rate`` exactly.

    Bayes' rule: P(y=1 | x, kept) = p / (p + rate * (1 - p)), for any model.
    """
    if rate == 1.0:
        return p
    return rate * p / (rate * p + 1.0 - p)


def _age_step(state: np.ndarray, axis: int, window: int, renewal: float) -> np.ndarray:
    """One month of an expiring event's age chain along ``axis``.

    States ``0 .. window - 1`` hold an event of that age, ``window`` none. A new
    event (probability ``renewal``) restarts the age at 0; otherwise it ages
    by a month and leaves the window after ``window`` month-ends.
    """
    moved = np.moveaxis(state, axis, -1)
    nxt = np.zeros_like(moved)
    nxt[..., 0] = renewal * moved.sum(axis=-1)
    nxt[..., 1:window] = (1.0 - renewal) * moved[..., : window - 1]
    nxt[..., window] = (1.0 - renewal) * (moved[..., window - 1] + moved[..., window])
    return np.moveaxis(nxt, -1, axis)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up columns of a person-month frame (how and when a spell ended).

    Parameters
    ----------
    exit_type : str, default='exit_type'
        How the spell ended; null while open.
    months_until_exit : str, default='months_until_exit'
        Calendar months from the month-end to the end of the spell (1 = the
        next month); null while open.
    months_followed : str, default='months_until_as_of'
        Months of follow-up after the month-end (to the as-of date).
    event_type : str, default='voluntary'
        The exit type that counts as the event; other exits end the risk.
    """

    exit_type: str = "exit_type"
    months_until_exit: str = "months_until_exit"
    months_followed: str = "months_until_as_of"
    event_type: str = "voluntary"

    def columns(self) -> tuple[str, str, str]:
        """The three column names."""
        return (self.exit_type, self.months_until_exit, self.months_followed)


#: The feature a look-ahead model adds: months from the row's month-end to the
#: start of the month whose event it predicts.
MONTHS_AHEAD = "months_ahead"


@dataclass
class HazardModel:
    """A fitted monthly hazard and the rules that project it to any horizon.

    Attributes
    ----------
    automl : AutoMLResult
        The AutoML fit (its ``model`` predicts the calibrated hazard of the
        sampled rows).
    clocks : tuple of ClockRule
        How features move month by month, parameters resolved; rules on
        columns that are not features of the model are dropped.
    entity_id, sample_date, target : str
        The contract columns of the training frame.
    non_event_rate : float
        Share of non-event rows kept for training (1.0: all); predictions are
        corrected for it exactly.
    n_rows_available : int
        Labelled person-months offered.
    n_train_rows : int
        Rows the model was fitted on (after the window and sampling).
    n_events : int
        Events among them.
    train_start, train_end : pandas.Timestamp
        First and last month-end trained on.
    look_ahead_months : int, default=1
        1: the hazard of the next month, projected by the clocks (expiring
        counts by their age chain). More: the model was trained on the months
        up to this many months ahead of each row (feature ``months_ahead``) and
        reads month ``k`` directly, clocks moved ``k`` months; beyond it the
        last month ahead is reused with the clocks moved on.
    """

    automl: AutoMLResult
    clocks: tuple[ClockRule, ...]
    entity_id: str
    sample_date: str
    target: str
    non_event_rate: float
    n_rows_available: int
    n_train_rows: int
    n_events: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    look_ahead_months: int = 1
    #: The horizon a run's predictions, threshold and metrics use.
    horizon_months: int = 12
    #: The horizons a run predicts.
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    #: Decision threshold on P(event within ``horizon_months``); None: 0.5.
    threshold: float | None = None
    #: Share of event rows kept for training (below 1 only when the events
    #: alone overran the row budget); corrected for with ``non_event_rate``.
    event_rate: float = 1.0
    _expiring: tuple[ClockRule, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Rules on columns the model does not use cannot move its hazard.
        features = set(self.model.features)
        self.clocks = tuple(r for r in self.clocks if r.column in features)
        self._expiring = tuple(
            r
            for r in self.clocks
            if r.rule == "expires" and self.look_ahead_months == 1
        )
        if len(self._expiring) > MAX_EXPIRING_RULES:
            raise SpecError(
                f"at most {MAX_EXPIRING_RULES} expiring clock features; got "
                f"{[r.column for r in self._expiring]}"
            )
        unresolved = [r.column for r in self.clocks if not r.resolved]
        if unresolved:
            raise SpecError(
                f"clock rules {unresolved} have parameters left to estimate; "
                "pass them through resolve_clocks first"
            )

    @property
    def odds_correction(self) -> float:
        """The factor on the fitted odds that undoes the sampling: rate ratio."""
        return self.non_event_rate / self.event_rate

    @property
    def model(self) -> FittedModel:
        """The fitted classifier of a month's event."""
        return self.automl.model

    def monthly_hazard(
        self,
        frame: pd.DataFrame,
        months_ahead: int = 0,
        *,
        expired: frozenset[str] | None = None,
    ) -> np.ndarray:
        """Hazard of the month that starts ``months_ahead`` months after each row.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows at their month-end: features and the sample date column.
        months_ahead : int, default=0
            0 is the month after the row's month-end.
        expired : frozenset of str or None, default=None
            ``look_ahead_months == 1``: expiring clock columns taken as aged
            out (see :func:`advance_clocks`); None keeps every expiring column
            as it is. Unused by a look-ahead model.

        Returns
        -------
        ndarray
            Calibrated monthly probability of the event, corrected for the
            sampling of non-events.
        """
        moved, dates = self._month_rows(frame, months_ahead, expired=expired)
        X = self.model.prepare(moved, dates)
        p = self.model.predict(X).prediction
        return _unsample(np.asarray(p, dtype=float), self.odds_correction)

    def _month_rows(
        self,
        frame: pd.DataFrame,
        months_ahead: int,
        *,
        expired: frozenset[str] | None = None,
    ) -> tuple[pd.DataFrame, pd.Series]:
        """The rows the monthly model reads for month ``months_ahead``, and dates."""
        if self.sample_date not in frame:
            raise DataError(f"the frame lacks the sample date {self.sample_date!r}")
        if self.look_ahead_months > 1:
            moved = advance_clocks(
                frame,
                months_ahead,
                self.clocks,
                sample_date=self.sample_date,
                expiring="expected",
            )
            moved[MONTHS_AHEAD] = min(months_ahead, self.look_ahead_months - 1)
        else:
            clocks = self.clocks
            if expired is None:
                clocks = tuple(r for r in clocks if r.rule != "expires")
                expired = frozenset()
            moved = advance_clocks(
                frame,
                months_ahead,
                clocks,
                sample_date=self.sample_date,
                expired=expired,
            )
        dates = _add_months(pd.to_datetime(frame[self.sample_date]), months_ahead)
        return moved, dates

    @property
    def features(self) -> tuple[str, ...]:
        """The frame's columns the model reads (without ``months_ahead``)."""
        return tuple(f for f in self.model.features if f != MONTHS_AHEAD)

    @property
    def shap_output_space(self) -> str:
        """What :meth:`explain` explains: the next month's hazard, in log-odds."""
        return f"monthly_hazard_{self.model.shap_output_space}"

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """P(event within ``horizon_months``), the class at the threshold, its logit.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows at their month-end.

        Returns
        -------
        Predictions
            ``model_output`` is the logit of the probability (what the run's
            SHAP values explain is :meth:`explain`'s, the next month's hazard).
        """
        return self.as_predictions(
            self.probability_within(frame, [self.horizon_months])[:, 0]
        )

    def as_predictions(self, probability: np.ndarray) -> Predictions:
        """Predictions from P(event within ``horizon_months``) already computed."""
        p = np.asarray(probability, dtype=float)
        threshold = 0.5 if self.threshold is None else self.threshold
        clipped = np.clip(p, 1e-12, 1.0 - 1e-12)
        return Predictions(
            p, (p >= threshold).astype(int), np.log(clipped / (1.0 - clipped))
        )

    def prepare_month(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows as the monthly model reads them for the next month (prepared).

        ``months_ahead`` (a look-ahead) is 0 and no clock moves: the features
        as they are at the row's month-end.
        """
        moved, dates = self._month_rows(frame, 0)
        return self.model.prepare(moved, dates)

    def explain(self, prepared: pd.DataFrame) -> Explanation:
        """SHAP values of the next month's hazard (log-odds) at the rows' features.

        A look-ahead's ``months_ahead`` is the same for every row explained
        (0), so its contribution is folded into each row's base value and it
        is never reported as a driver: ``base_value`` (one per row) plus the
        values still equals ``model_output``, the monthly model's margin.

        Parameters
        ----------
        prepared : pandas.DataFrame
            From :meth:`prepare_month`.

        Returns
        -------
        Explanation
        """
        expl = self.model.explain(prepared)
        return fold_months_ahead(expl)

    def probability_within(
        self, frame: pd.DataFrame, horizons: Sequence[int] = DEFAULT_HORIZONS
    ) -> np.ndarray:
        """P(event within each horizon) per row: ``1 - E[prod (1 - h_k)]``.

        A look-ahead model reads each month's hazard directly. Otherwise the
        survival is carried month by month over the ages of the expiring
        events (a Markov chain: see :class:`ClockRule`), each state with its
        hazard path; with no expiring feature it is ``prod (1 - h_k)``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows at their month-end.
        horizons : sequence of int, default=(3, 6, 12)
            Months; each at least 1.

        Returns
        -------
        ndarray of shape (n_rows, len(horizons))
            Non-decreasing along the horizons.
        """
        horizons = [int(h) for h in horizons]
        if not horizons or min(horizons) < 1:
            raise DataError(f"horizons must be whole months >= 1; got {horizons}")
        steps = max(horizons)
        frame = frame.reset_index(drop=True)
        n = len(frame)
        columns = [h - 1 for h in horizons]
        if self.look_ahead_months > 1:
            # Every month ahead in one prepare and predict (one pass of the
            # pipeline instead of one per month).
            parts = [self._month_rows(frame, k) for k in range(steps)]
            moved = pd.concat([m for m, _ in parts], ignore_index=True)
            dates = pd.concat([d for _, d in parts], ignore_index=True)
            X = self.model.prepare(moved, dates)
            p = np.asarray(self.model.predict(X).prediction, dtype=float)
            hazard = _unsample(p, self.odds_correction).reshape(steps, n).T
            return 1.0 - np.cumprod(1.0 - hazard, axis=1)[:, columns]
        rules = self._expiring
        windows = [int(r.window_months or 1) for r in rules]
        # One hazard path per combination of expired columns: paths[mask][:, k].
        paths = {}
        for mask in itertools.product((False, True), repeat=len(rules)):
            pairs = zip(rules, mask, strict=True)
            gone = frozenset(rule.column for rule, off in pairs if off)
            paths[mask] = np.column_stack(
                [self.monthly_hazard(frame, k, expired=gone) for k in range(steps)]
            )
        # The joint distribution over event ages: axis 1 + r is rule r.
        state = np.ones((n, *(w + 1 for w in windows)))
        for r, (rule, window) in enumerate(zip(rules, windows, strict=True)):
            values = pd.to_numeric(frame[rule.column]).astype(float)
            held = (values.notna() & values.ne(rule.expired_value)).to_numpy()
            start = np.zeros((n, window + 1))
            start[held, :window] = 1.0 / window
            start[~held, window] = 1.0
            shape = [n] + [1] * len(rules)
            shape[1 + r] = window + 1
            state = state * start.reshape(shape)
        survival = np.empty((n, steps))
        for k in range(steps):
            for mask, path in paths.items():
                ages = (
                    slice(w, w + 1) if off else slice(0, w)
                    for w, off in zip(windows, mask, strict=True)
                )
                index = (slice(None), *ages)
                keep = (1.0 - path[:, k]).reshape((n, *(1,) * len(rules)))
                state[index] = state[index] * keep
            survival[:, k] = state.reshape(n, -1).sum(axis=1)
            for r, (rule, window) in enumerate(zip(rules, windows, strict=True)):
                state = _age_step(
                    state, 1 + r, window, float(rule.renewal_per_month or 0.0)
                )
        return 1.0 - survival[:, columns]

    def predict_horizons(
        self, frame: pd.DataFrame, horizons: Sequence[int] = DEFAULT_HORIZONS
    ) -> pd.DataFrame:
        """P(event within each horizon), one row per input row and horizon.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows at their month-end (entity id, sample date, features).
        horizons : sequence of int, default=(3, 6, 12)

        Returns
        -------
        pandas.DataFrame
            Columns ``entity_id``, ``sample_date`` (the frame's names),
            ``horizon_months`` and ``probability``; rows in frame order within
            each horizon, horizons in the order given.
        """
        probability = self.probability_within(frame, horizons)
        keys = frame[[self.entity_id, self.sample_date]].reset_index(drop=True)
        parts = [
            keys.assign(horizon_months=int(h), probability=probability[:, i])
            for i, h in enumerate(horizons)
        ]
        return pd.concat(parts, ignore_index=True)


def fold_months_ahead(expl: Explanation) -> Explanation:
    """Move ``months_ahead``'s SHAP value into each row's base value.

    Every explained row has the same ``months_ahead``, so it tells nothing
    about the person; additivity holds with a base value per row.
    """
    if MONTHS_AHEAD not in expl.features:
        return expl
    i = expl.features.index(MONTHS_AHEAD)
    base = np.asarray(expl.base_value, dtype=float) + expl.values[:, i]
    return Explanation(
        np.delete(expl.values, i, axis=1),
        base,
        expl.model_output,
        tuple(f for f in expl.features if f != MONTHS_AHEAD),
        expl.output_space,
    )


@dataclass(frozen=True)
class HazardTraining:
    """The rows a hazard's AutoML was fitted on (kept for the refits).

    Attributes
    ----------
    rows : pandas.DataFrame
        Feature columns (with ``months_ahead`` for a look-ahead), the entity
        id and the row's month-end.
    y : ndarray
        0/1: the event in the month the row stands for.
    """

    rows: pd.DataFrame
    y: np.ndarray


def _sampling_rates(
    n_events: int, n_non_events: int, non_event_rate: float, max_rows: int | None
) -> tuple[float, float]:
    """(event rate, non-event rate) that keep about ``max_rows`` rows at most.

    Every event is kept, and non-events at ``non_event_rate``, unless that
    overruns ``max_rows``: then non-events are kept at the rate that fills
    the budget beside the events, and if the events alone take more than
    half of it, each class gets half. The odds are corrected by the ratio of
    the two rates (:func:`_unsample`), so the hazard stays exact in
    expectation; a rare event's information is in its events, so thinning
    non-events first costs least.
    """
    if max_rows is None or n_events + non_event_rate * n_non_events <= max_rows:
        return 1.0, non_event_rate
    if n_events <= max_rows / 2:
        return 1.0, (max_rows - n_events) / n_non_events
    half = max_rows / 2
    return half / n_events, min(non_event_rate, half / max(n_non_events, 1))


def _look_ahead(
    frame: pd.DataFrame,
    months: int,
    follow_up: FollowUp,
    non_event_rate: float,
    rng: np.random.Generator,
    max_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Every resolved month up to ``months`` ahead of each row, still at risk.

    Returns the row positions, the months ahead ``k`` (0 = the next month),
    the event of month ``k + 1``, and the event and non-event rates kept
    (:func:`_sampling_rates`: all events and non-events at
    ``non_event_rate``, thinned to ``max_rows``). Rows are drawn month by
    month, so the full expansion is never built.
    """
    followed = pd.to_numeric(frame[follow_up.months_followed]).to_numpy(dtype=float)
    followed = np.nan_to_num(followed, nan=0.0)
    until = pd.to_numeric(frame[follow_up.months_until_exit]).to_numpy(dtype=float)
    event = frame[follow_up.exit_type].eq(follow_up.event_type).fillna(False)
    event = event.to_numpy(dtype=bool)

    def month(k: int) -> tuple[np.ndarray, np.ndarray]:
        at_risk = (followed >= k + 1) & (np.isnan(until) | (until > k))
        return at_risk, event & (until == k + 1)

    n_events = n_at_risk = 0
    for k in range(months):
        at_risk, y = month(k)
        n_events += int(y.sum())
        n_at_risk += int(at_risk.sum())
    event_rate, non_event_rate = _sampling_rates(
        n_events, n_at_risk - n_events, non_event_rate, max_rows
    )
    rows, ahead, ys = [], [], []
    for k in range(months):
        at_risk, y = month(k)
        draw = rng.random(len(frame))
        keep = at_risk & np.where(y, draw < event_rate, draw < non_event_rate)
        rows.append(np.flatnonzero(keep))
        ahead.append(np.full(int(keep.sum()), k))
        ys.append(y[keep].astype(int))
    return (
        np.concatenate(rows),
        np.concatenate(ahead),
        np.concatenate(ys),
        event_rate,
        non_event_rate,
    )


def fit_hazard(
    frame: pd.DataFrame,
    *,
    entity_id: str,
    sample_date: str,
    target: str,
    clocks: Sequence[ClockRule] = DEFAULT_CLOCKS,
    look_ahead_months: int = 1,
    follow_up: FollowUp | None = None,
    max_train_months: int | None = None,
    non_event_rate: float | None = None,
    max_train_rows: int | None = None,
    random_state: int = 0,
    return_training: bool = False,
    **automl: Any,
) -> HazardModel | tuple[HazardModel, HazardTraining]:
    """Fit a monthly hazard on person-month rows with :func:`fit_automl`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per entity and month-end at risk; ``target`` is the event in
        the next month (bool or 0/1), null where unresolved (those rows are
        left out). Pass only what was known at the time that matters: rows
        before a test date, follow-up censored at it (:func:`censor_at`).
    entity_id, sample_date, target : str
        Contract columns; folds are grouped by ``entity_id``.
    clocks : sequence of ClockRule, default=DEFAULT_CLOCKS
        How features move month by month (see :func:`clocks_from_config`);
        parameters left unset are estimated on the labelled rows.
    look_ahead_months : int, default=1
        1: train on the next month's event. More: each labelled row is paired
        with every month up to this many months ahead that has resolved and
        at whose start the person is still at risk; the label is that month's
        event (from the ``follow_up`` columns), the features are the row's
        with the clocks moved to that month, plus ``months_ahead``. The model
        then reads each month of a horizon directly (it learns how features
        drift on average).
    follow_up : FollowUp or None, default=None
        The follow-up columns (look-ahead only); None: :class:`FollowUp`'s
        defaults (the names of int_attrition_person_months_labelled).
    max_train_months : int or None, default=None
        Train on the latest this many labelled month-ends only (None: all).
    non_event_rate : float or None, default=None
        Keep each non-event row with this probability (events are all kept);
        the hazard is corrected exactly (odds times the rate). Cuts the rows of
        a rare event at little loss. None: 1 for the next month, ``1 /
        look_ahead_months`` for a look-ahead (about as many rows as
        person-months).
    max_train_rows : int or None, default=None
        The rows fitted at most (None: no limit). Past it, non-events are
        thinned further, and events too if they alone fill half of it
        (:func:`_sampling_rates`); the odds are corrected by the ratio of the
        rates, so a large company trains in bounded time and memory.
    random_state : int, default=0
        Seeds the sampling and AutoML.
    return_training : bool, default=False
        Also return the rows the model was fitted on (:class:`HazardTraining`).
    **automl
        Passed to :func:`fit_automl`: ``metric``, ``cv_folds``, ``candidates``,
        ``search_iterations``, ``features``, ``exclude``, ``keep_columns``,
        ``tuning_max_rows``. With a look-ahead, ``months_ahead`` is added to
        ``features`` when they are listed.

    Returns
    -------
    HazardModel, or (HazardModel, HazardTraining) with ``return_training``

    Raises
    ------
    DataError
        No labelled rows, a missing contract or follow-up column or what
        :func:`fit_automl` raises.
    SpecError
        A bad ``non_event_rate``, ``max_train_months``, ``look_ahead_months``
        or clock rule.
    """
    follow_up = FollowUp() if follow_up is None else follow_up
    needed = [entity_id, sample_date, target]
    if look_ahead_months != 1:
        needed += list(follow_up.columns())
    missing = [c for c in needed if c not in frame]
    if missing:
        raise DataError(f"the person-month frame lacks column(s) {missing}")
    for name, value in (
        ("max_train_months", max_train_months),
        ("look_ahead_months", look_ahead_months),
        ("max_train_rows", max_train_rows),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise SpecError(f"{name} must be a positive integer; got {value!r}")
    if non_event_rate is None:
        non_event_rate = 1.0 / look_ahead_months
    if not 0.0 < float(non_event_rate) <= 1.0:
        raise SpecError(f"non_event_rate must be in (0, 1]; got {non_event_rate!r}")
    non_event_rate = float(non_event_rate)
    if automl.pop("problem_type", "binary_classification") != "binary_classification":
        raise SpecError("a hazard is a binary classification of a month's event")
    labelled = frame[frame[target].notna()]
    if labelled.empty:
        raise DataError(f"no labelled person-months (target {target!r} is all null)")
    rows = labelled
    if max_train_months is not None:
        dates = pd.to_datetime(rows[sample_date])
        rows = rows[dates.isin(sorted(dates.unique())[-max_train_months:])]
    resolved = resolve_clocks(
        labelled, clocks, entity_id=entity_id, sample_date=sample_date
    )
    rng = np.random.default_rng(random_state)
    if look_ahead_months == 1:
        y = encode_target(rows[target], "binary_classification", target)
        n_events = int(y.sum())
        event_rate, non_event_rate = _sampling_rates(
            n_events, len(y) - n_events, non_event_rate, max_train_rows
        )
        if event_rate < 1.0 or non_event_rate < 1.0:
            draw = rng.random(len(y))
            keep = np.where(y == 1, draw < event_rate, draw < non_event_rate)
            rows, y = rows[keep], y[keep]
    else:
        at, ahead, y, event_rate, non_event_rate = _look_ahead(
            rows, look_ahead_months, follow_up, non_event_rate, rng, max_train_rows
        )
        rows = advance_clocks(
            rows.iloc[at],
            ahead,
            resolved,
            sample_date=sample_date,
            expiring="expected",
        )
        rows[MONTHS_AHEAD] = ahead
        if automl.get("features") is not None:
            automl["features"] = [*automl["features"], MONTHS_AHEAD]
    dates = pd.to_datetime(rows[sample_date])
    # The follow-up tells the future: never a feature, whatever the spec says.
    X = rows.drop(columns=[entity_id, sample_date, target])
    X = X.drop(columns=[c for c in follow_up.columns() if c in X])
    # Seasonal offsets would need the calendar month moved with each month
    # ahead; the hazard's seasonality is its clocks' (compa-ratio's calendar).
    automl["seasonal_calibration"] = False
    result = fit_automl(
        X,
        y,
        problem_type="binary_classification",
        groups=rows[entity_id].to_numpy(),
        sample_dates=dates.to_numpy(),
        random_state=random_state,
        **automl,
    )
    model = HazardModel(
        automl=result,
        clocks=resolved,
        entity_id=entity_id,
        sample_date=sample_date,
        target=target,
        non_event_rate=non_event_rate,
        event_rate=event_rate,
        n_rows_available=len(labelled),
        n_train_rows=len(rows),
        n_events=int(np.sum(y)),
        train_start=dates.min(),
        train_end=dates.max(),
        look_ahead_months=look_ahead_months,
    )
    if not return_training:
        return model
    kept = [*model.model.features, entity_id, sample_date]
    training = HazardTraining(rows[[c for c in kept if c in rows]], np.asarray(y))
    return model, training


def censor_at(
    frame: pd.DataFrame,
    date: pd.Timestamp | str,
    *,
    sample_date: str = "sample_date",
    follow_up: FollowUp | None = None,
) -> pd.DataFrame:
    """The rows and follow-up as they were known at ``date`` (an earlier as-of).

    Rows after ``date`` are dropped; the follow-up ends at ``date`` and exits
    after it become unknown (the spell counts as open).

    Parameters
    ----------
    frame : pandas.DataFrame
        A person-month frame with follow-up columns.
    date : Timestamp or str
        The month-end to censor at.
    sample_date : str, default='sample_date'
    follow_up : FollowUp or None, default=None
        The follow-up columns; None: :class:`FollowUp`'s defaults.

    Returns
    -------
    pandas.DataFrame
        A copy holding the rows on or before ``date``.
    """
    follow_up = FollowUp() if follow_up is None else follow_up
    date = pd.Timestamp(date)
    dates = pd.to_datetime(frame[sample_date])
    out = frame[(dates <= date).to_numpy()].copy()
    dates = dates[dates <= date]
    followed = (date.year - dates.dt.year) * 12 + date.month - dates.dt.month
    until = pd.to_numeric(out[follow_up.months_until_exit])
    late = until.gt(followed).fillna(False).astype(bool)
    out[follow_up.months_followed] = followed.to_numpy()
    out[follow_up.months_until_exit] = until.mask(late)
    out[follow_up.exit_type] = out[follow_up.exit_type].mask(late)
    return out


def horizon_labels(
    frame: pd.DataFrame,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    *,
    follow_up: FollowUp | None = None,
) -> pd.DataFrame:
    """Whether each row's event happened within each horizon, where known.

    A row (an entity at a month-end) has the event within ``H`` months when
    its spell ended by the event type at most ``H`` months later. The outcome
    is known when the row is followed up for ``H`` months or the spell ended
    within them (an exit of another type ends the risk: not an event).

    Parameters
    ----------
    frame : pandas.DataFrame
        The follow-up columns of a person-month frame.
    horizons : sequence of int, default=(3, 6, 12)
    follow_up : FollowUp or None, default=None
        The follow-up columns; None: :class:`FollowUp`'s defaults.

    Returns
    -------
    pandas.DataFrame
        One nullable boolean column per horizon, named ``within_<H>_months``
        (null: not known yet), same index as ``frame``.
    """
    follow_up = FollowUp() if follow_up is None else follow_up
    months = pd.to_numeric(frame[follow_up.months_until_exit])
    followed = pd.to_numeric(frame[follow_up.months_followed])
    event = frame[follow_up.exit_type].eq(follow_up.event_type)
    event = event.fillna(False).astype(bool)
    out = {}
    for h in horizons:
        ended = months.le(h).fillna(False).astype(bool)
        known = followed.ge(h).fillna(False).astype(bool) | ended
        label = pd.Series(event & ended, index=frame.index, dtype="boolean")
        out[f"within_{int(h)}_months"] = label.where(known, pd.NA)
    return pd.DataFrame(out, index=frame.index)
