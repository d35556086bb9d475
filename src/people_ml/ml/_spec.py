"""Model specification parsed from the project's YAML config."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any

from ._exceptions import SpecError
from ._labels import BUILT_IN_FEATURES, FeatureText, default_label, parse_feature_labels
from ._selection import SELECTION_RULES
from ._trust import MIN_MINORITY_ROWS

__all__ = [
    "ALGORITHMS",
    "CLASSIFICATION_METRICS",
    "DEFAULT_METRICS",
    "FORMULATIONS",
    "PREDICT_ROWS",
    "PROBLEM_TYPES",
    "QUALITY_SEVERITIES",
    "REGRESSION_METRICS",
    "SPLITS",
    "MLModelSpec",
]

PROBLEM_TYPES: tuple[str, ...] = ("binary_classification", "regression")
CLASSIFICATION_METRICS: tuple[str, ...] = (
    "roc_auc",
    "average_precision",
    "f1",
    "neg_log_loss",
)
REGRESSION_METRICS: tuple[str, ...] = (
    "neg_mean_absolute_error",
    "neg_root_mean_squared_error",
    "r2",
)
DEFAULT_METRICS: dict[str, str] = {
    "binary_classification": "roc_auc",
    "regression": "neg_mean_absolute_error",
}
#: Algorithm names allowed in ``candidates``, per problem type (in search order).
ALGORITHMS: dict[str, tuple[str, ...]] = {
    "binary_classification": ("logistic_regression", "hist_gradient_boosting"),
    "regression": ("ridge", "hist_gradient_boosting"),
}

#: How a run sets its test period apart (``split``).
SPLITS: tuple[str, ...] = ("time", "holdout")
#: Which rows a holdout run predicts (``predict_rows``).
PREDICT_ROWS: tuple[str, ...] = ("unlabelled", "negative_class")
#: Severities a spec may give a data-quality check (``quality``).
QUALITY_SEVERITIES: tuple[str, ...] = ("warn", "fail")
#: How a binary outcome over a horizon is modelled (``formulation``).
FORMULATIONS: tuple[str, ...] = ("classifier", "hazard")
#: Horizons (months) a hazard model reports by default.
DEFAULT_HAZARD_HORIZONS: tuple[int, ...] = (3, 6, 12)
#: Rows a hazard run fits at most (its person-month expansion is sampled down).
DEFAULT_MAX_TRAIN_ROWS = 500_000

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_SEARCH_ITERATIONS = 200
_MAX_CV_FOLDS = 20
_MAX_HORIZON_MONTHS = 120


def _fail(key: str, value: Any, allowed: str) -> SpecError:
    return SpecError(f"ml spec key {key!r}: got {value!r}; allowed: {allowed}.")


def _as_name(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, "a non-empty column name (string)")
    return value


def _as_names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(key, value, "a list of column names")
    names = tuple(_as_name(key, v) for v in value)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _fail(key, value, f"a list without duplicates (repeated: {duplicates})")
    return names


def _as_quality(value: Any) -> tuple[tuple[str, str], ...]:
    """The ``quality`` mapping as sorted (check, severity) pairs, validated."""
    from people_ml.quality import CHECKS

    if value is None:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    try:
        items = sorted((str(k), str(v)) for k, v in pairs)
    except (TypeError, ValueError) as exc:
        raise _fail("quality", value, "a mapping of check name to warn | fail") from exc
    for check, severity in items:
        if check not in CHECKS:
            raise _fail("quality", {check: severity}, f"a check among {sorted(CHECKS)}")
        if severity not in QUALITY_SEVERITIES:
            raise _fail("quality", {check: severity}, " | ".join(QUALITY_SEVERITIES))
        if CHECKS[check].severity == "fail" and severity == "warn":
            raise _fail(
                "quality",
                {check: severity},
                f"fail: {check} fails a run by default and cannot be lowered",
            )
    return tuple(items)


def _as_int(key: str, value: Any, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise _fail(key, value, f"an integer from {low} to {high}")
    return value


@dataclass(frozen=True)
class MLModelSpec:
    """Specification of one people-analytics ML model.

    Build it from the YAML config with :meth:`from_config`; constructing it directly
    validates the same way.

    Parameters
    ----------
    key : str
        snake_case model key, e.g. ``'attrition_12m'``.
    problem_type : {'binary_classification', 'regression'}
        Kind of target.
    entity_id : str
        Column identifying the person (the same entity appears at several dates).
    sample_date : str
        Column holding the date at which the features were observed.
    target : str
        Column holding the label; null while unresolved (the current period).
    features : tuple of str or None, default=None
        Explicit feature list. Mutually exclusive with ``exclude``.
    exclude : tuple of str, default=()
        When ``features`` is None, every column except these (and the contract and
        keep columns) is a candidate feature.
    keep_columns : tuple of str, default=()
        Columns that are never features (protected attributes, ids, leakage
        columns) but are kept for analysis.
    metric : str or None, default=None
        Model-selection metric (scikit-learn scorer naming, higher is better).
        Classification: ``roc_auc``, ``average_precision``, ``f1``,
        ``neg_log_loss``; regression: ``neg_mean_absolute_error``,
        ``neg_root_mean_squared_error``, ``r2``. None picks ``roc_auc`` or
        ``neg_mean_absolute_error``.
    random_state : int, default=0
        Seed for every random choice (folds, search, estimators).
    label_horizon_months : int, default=12
        Months over which a label resolves; also the embargo between the end of
        the training period and the test date.
    cv_folds : int, default=3
        Cross-validation folds (grouped by entity) used for tuning.
    candidates : tuple of str or None, default=None
        Subset of :data:`ALGORITHMS` for the problem type; None means all.
    search_iterations : int or None, default=None
        Maximum hyperparameter settings tried per algorithm (for gradient
        boosting: tree shapes, each searched over 50, 100 and 200 trees by
        successive halving); None uses each algorithm's default budget.
    tuning_max_rows : int, default=60000
        Above this many training rows, AutoML tunes on a sample of whole
        entities and refits the winner on all rows (see ``fit_automl``).
    min_minority_rows : int, default=10
        Fewest rows of the rarer class the test period and every CV fold must
        hold for their scores to be trusted (classification); below it the run
        records a warning. Applies to each run, also when scoring a frozen
        model.
    selection_rule : {'one_standard_error', 'best'}, default='one_standard_error'
        How AutoML picks the winner from the CV scores: the simplest setting
        (a linear model before gradient boosting, fewer and fuller leaves
        first) whose score is within one standard error of the best, or the
        best score. The decision is recorded in the run's notes
        (``selection_rule``) and metrics (``selection_best_score``,
        ``selection_score_floor``).
    prune_features : bool, default=True
        When a linear model wins, drop the features whose removal raises the
        out-of-fold loss by no more than two standard errors (clustered by
        entity), unless they correlate with a feature that clearly helps,
        given at least 500 rows of the rarer class in training
        (``docs/automl.md``); each dropped feature's evidence is in the
        feature profile.
    seasonal_calibration : bool, default=True
        A classifier trained on sample dates in two or more calendar months
        gets log-odds offsets by calendar month so that each month's
        out-of-fold expected events equal its actual ones, when a joint test
        finds the months differ beyond chance (shrunk by their precision;
        note ``seasonal_calibration``). A hazard has none (its seasonality is
        its clocks').
    formulation : {'classifier', 'hazard'}, default='classifier'
        ``classifier``: one row per entity and sample date, the target is the
        outcome over ``label_horizon_months`` (split by :func:`time_split`).
        ``hazard``: a discrete-time hazard on person-month rows (the target is
        the event in the next month; the frame carries the follow-up columns
        ``exit_type``, ``months_until_exit`` and ``months_until_as_of`` of
        int_attrition_person_months_labelled), read as the probability of the
        event within each of ``horizons``; ``label_horizon_months`` is the
        horizon a run's predictions, metrics and review use (see
        :func:`hazard_split` and docs/automl.md).
    horizons : tuple of int or None, default=None
        Hazard only: the horizons (months) every run predicts, in increasing
        order and including ``label_horizon_months``; None: (3, 6, 12).
    look_ahead_months : int, default=12
        Hazard only: 1 trains on the next month's event and projects it by the
        clocks; more trains on every month up to this many months ahead of
        each row (the look-ahead, the default).
    max_train_rows : int or None, default=None
        Hazard only: the rows a run fits at most (None: 500,000). A large company's
        person-month expansion is thinned to it (non-events first, events
        only if they alone fill half), and the odds are corrected exactly
        for the sampling; the split note states the rates kept.
    split : {'time', 'holdout'}, default='time'
        ``time``: the test period is the latest labelled sample date, training
        what was known ``label_horizon_months`` before it (a longitudinal
        extract; :func:`time_split`). ``holdout``: for a cross-sectional frame
        (a flat export, one row per person): a stratified share of the
        labelled entities, drawn by entity, is the test set and the rest
        trains (:func:`holdout_split`). Classifier formulation only.
    test_share : float, default=0.25
        ``split: holdout`` only: the share of labelled entities held out for
        the test set (0.05 to 0.5).
    predict_rows : {'unlabelled', 'negative_class'}, default='unlabelled'
        ``split: holdout`` only: the rows a run predicts. ``unlabelled``: the
        rows whose target is null. ``negative_class`` (binary
        classification): the rows whose outcome has not happened (target 0),
        for a flat export of current and former employees where the people
        still employed are both the negatives and the people to score; their
        predictions come from a model that trained on most of them (the test
        set's figures are the honest ones).
    quality : mapping of str to {'warn', 'fail'} or None, default=None
        Raises a data-quality check's severity (``people_ml.quality.CHECKS``;
        for example ``{protected_attribute: fail}``). A check that fails by
        default cannot be lowered.
    feature_labels : mapping of str to mapping, default=None
        Each feature in plain words: ``{compa_ratio: {label: Pay against band
        midpoint, description: ..., unit: ratio}}`` (or just a label). Units:
        ``people_ml.ml.UNITS``. The marts' ``feature_label``, the storyboard
        and the CLI read these; a feature without one is shown by
        :func:`default_label`. Presentation only: a frozen run is scored with
        the current labels.
    """

    key: str
    problem_type: str
    entity_id: str
    sample_date: str
    target: str
    features: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    keep_columns: tuple[str, ...] = ()
    metric: str | None = None
    random_state: int = 0
    label_horizon_months: int = 12
    cv_folds: int = 3
    candidates: tuple[str, ...] | None = None
    search_iterations: int | None = None
    tuning_max_rows: int = 60_000
    min_minority_rows: int = MIN_MINORITY_ROWS
    selection_rule: str = "one_standard_error"
    prune_features: bool = True
    seasonal_calibration: bool = True
    formulation: str = "classifier"
    horizons: tuple[int, ...] | None = None
    look_ahead_months: int = 12
    max_train_rows: int | None = None
    split: str = "time"
    test_share: float = 0.25
    predict_rows: str = "unlabelled"
    quality: tuple[tuple[str, str], ...] = ()
    feature_labels: tuple[tuple[str, FeatureText], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _SNAKE_CASE.match(self.key):
            raise _fail("key", self.key, "snake_case: [a-z][a-z0-9_]*")
        if self.problem_type not in PROBLEM_TYPES:
            raise _fail("problem_type", self.problem_type, " | ".join(PROBLEM_TYPES))
        for name in ("entity_id", "sample_date", "target"):
            _as_name(name, getattr(self, name))
        contract = (self.entity_id, self.sample_date, self.target)
        if len(set(contract)) != 3:
            raise _fail(
                "entity_id/sample_date/target",
                contract,
                "three different columns",
            )
        exclude = _as_names("exclude", self.exclude)
        keep = _as_names("keep_columns", self.keep_columns)
        object.__setattr__(self, "exclude", exclude)
        object.__setattr__(self, "keep_columns", keep)
        if self.features is not None:
            feats = _as_names("features", self.features)
            if not feats:
                raise _fail("features", self.features, "a non-empty list of columns")
            if exclude:
                raise _fail(
                    "features/exclude",
                    {"features": list(feats), "exclude": list(exclude)},
                    "either `features` (explicit list) or `exclude`, not both",
                )
            clash = [f for f in feats if f in contract]
            if clash:
                raise _fail(
                    "features",
                    list(feats),
                    f"no contract columns (entity_id, sample_date, target): {clash}",
                )
            kept = [f for f in feats if f in keep]
            if kept:
                raise _fail(
                    "features",
                    list(feats),
                    f"no keep_columns (they are never features): {kept}",
                )
            object.__setattr__(self, "features", feats)
        problem = self.problem_type
        allowed_metrics = (
            CLASSIFICATION_METRICS
            if problem == "binary_classification"
            else REGRESSION_METRICS
        )
        metric = DEFAULT_METRICS[problem] if self.metric is None else self.metric
        if metric not in allowed_metrics:
            raise _fail(
                "metric", self.metric, f"for {problem}: {' | '.join(allowed_metrics)}"
            )
        object.__setattr__(self, "metric", metric)
        _as_int("random_state", self.random_state, 0, 2**32 - 1)
        _as_int(
            "label_horizon_months", self.label_horizon_months, 0, _MAX_HORIZON_MONTHS
        )
        _as_int("cv_folds", self.cv_folds, 2, _MAX_CV_FOLDS)
        if self.candidates is not None:
            cands = _as_names("candidates", self.candidates)
            unknown = [c for c in cands if c not in ALGORITHMS[problem]]
            if not cands or unknown:
                raise _fail(
                    "candidates",
                    list(cands),
                    f"a non-empty subset of {list(ALGORITHMS[problem])} for {problem}",
                )
            object.__setattr__(self, "candidates", cands)
        if self.search_iterations is not None:
            _as_int(
                "search_iterations", self.search_iterations, 1, _MAX_SEARCH_ITERATIONS
            )
        _as_int("tuning_max_rows", self.tuning_max_rows, 1_000, 100_000_000)
        _as_int("min_minority_rows", self.min_minority_rows, 1, 100_000)
        if not isinstance(self.prune_features, bool):
            raise _fail("prune_features", self.prune_features, "true or false")
        if not isinstance(self.seasonal_calibration, bool):
            raise _fail(
                "seasonal_calibration", self.seasonal_calibration, "true or false"
            )
        if self.selection_rule not in SELECTION_RULES:
            raise _fail(
                "selection_rule", self.selection_rule, " | ".join(SELECTION_RULES)
            )
        self._check_formulation()
        self._check_split()

    def _check_split(self) -> None:
        if self.split not in SPLITS:
            raise _fail("split", self.split, " | ".join(SPLITS))
        if self.predict_rows not in PREDICT_ROWS:
            raise _fail("predict_rows", self.predict_rows, " | ".join(PREDICT_ROWS))
        share = self.test_share
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise _fail("test_share", share, "a share between 0.05 and 0.5")
        if not 0.05 <= float(share) <= 0.5:
            raise _fail("test_share", share, "a share between 0.05 and 0.5")
        object.__setattr__(self, "test_share", float(share))
        if self.split == "holdout" and self.formulation != "classifier":
            raise _fail(
                "split",
                self.split,
                "time for formulation: hazard (a hazard learns from months in order)",
            )
        if self.split != "holdout":
            for key, default in (("test_share", 0.25), ("predict_rows", "unlabelled")):
                if getattr(self, key) != default:
                    raise _fail(key, getattr(self, key), "only with split: holdout")
        if (
            self.predict_rows == "negative_class"
            and self.problem_type != "binary_classification"
        ):
            raise _fail(
                "predict_rows",
                self.predict_rows,
                "unlabelled for problem_type regression (no negative class)",
            )
        object.__setattr__(self, "quality", _as_quality(self.quality))
        object.__setattr__(
            self, "feature_labels", parse_feature_labels(self.feature_labels)
        )

    def _check_formulation(self) -> None:
        if self.formulation not in FORMULATIONS:
            raise _fail("formulation", self.formulation, " | ".join(FORMULATIONS))
        _as_int("look_ahead_months", self.look_ahead_months, 1, _MAX_HORIZON_MONTHS)
        if self.formulation != "hazard":
            for key in ("horizons", "max_train_rows"):
                if getattr(self, key) is not None:
                    raise _fail(
                        key, getattr(self, key), "only with formulation: hazard"
                    )
            return
        rows = (
            DEFAULT_MAX_TRAIN_ROWS
            if self.max_train_rows is None
            else self.max_train_rows
        )
        _as_int("max_train_rows", rows, 10_000, 1_000_000_000)
        object.__setattr__(self, "max_train_rows", rows)
        if self.problem_type != "binary_classification":
            raise _fail(
                "formulation",
                self.formulation,
                "hazard only for problem_type binary_classification (a month's event)",
            )
        horizons = DEFAULT_HAZARD_HORIZONS if self.horizons is None else self.horizons
        if isinstance(horizons, str) or not isinstance(horizons, Sequence):
            raise _fail("horizons", self.horizons, "a list of months, e.g. [3, 6, 12]")
        months = tuple(_as_int("horizons", h, 1, _MAX_HORIZON_MONTHS) for h in horizons)
        if not months or list(months) != sorted(set(months)):
            raise _fail(
                "horizons", self.horizons, "distinct months in increasing order"
            )
        if self.label_horizon_months not in months:
            raise _fail(
                "horizons",
                list(months),
                f"a list that includes label_horizon_months "
                f"({self.label_horizon_months}), the horizon runs are judged at",
            )
        object.__setattr__(self, "horizons", months)

    @property
    def is_hazard(self) -> bool:
        """True for a discrete-time hazard (``formulation: hazard``)."""
        return self.formulation == "hazard"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MLModelSpec:
        """Parse and validate a model spec from its YAML mapping.

        Parameters
        ----------
        config : Mapping
            Keys as documented on :class:`MLModelSpec`; lists may be YAML lists.

        Returns
        -------
        MLModelSpec
            The validated, immutable spec.

        Raises
        ------
        SpecError
            On a missing required key, an unknown key or an invalid value; the
            message names the key, the value and what is allowed.
        """
        if not isinstance(config, Mapping):
            raise _fail("<config>", config, "a mapping of spec keys")
        allowed = [f.name for f in fields(cls) if not f.name.startswith("_")]
        unknown = sorted(str(k) for k in config if k not in allowed)
        if unknown:
            raise SpecError(
                f"ml spec: unknown key(s) {unknown} (value(s) "
                f"{[config[k] for k in unknown]}); allowed keys: {allowed}."
            )
        required = ("key", "problem_type", "entity_id", "sample_date", "target")
        missing = [k for k in required if config.get(k) is None]
        if missing:
            raise SpecError(
                f"ml spec: required key(s) {missing} missing; allowed: "
                f"{list(required)} are required, the rest optional."
            )
        kwargs = dict(config)
        for key in ("features", "candidates"):
            if kwargs.get(key) is not None:
                kwargs[key] = _as_names(key, kwargs[key])
        horizons = kwargs.get("horizons")
        if isinstance(horizons, Sequence) and not isinstance(horizons, str):
            kwargs["horizons"] = tuple(horizons)
        for key in ("exclude", "keep_columns"):
            if kwargs.get(key) is None:
                kwargs.pop(key, None)
            else:
                kwargs[key] = _as_names(key, kwargs[key])
        for key in (
            "random_state",
            "label_horizon_months",
            "cv_folds",
            "look_ahead_months",
            "max_train_rows",
            "split",
            "test_share",
            "predict_rows",
            "quality",
            "feature_labels",
        ):
            if key in kwargs and kwargs[key] is None:
                kwargs.pop(key)
        return cls(**kwargs)

    @classmethod
    def field_defaults(cls) -> dict[str, Any]:
        """Defaults of the optional keys, as :meth:`to_dict` would render them.

        Returns
        -------
        dict
            Lets a spec saved before a key existed be compared with a current
            one (the missing key had its default).
        """
        out: dict[str, Any] = {}
        for f in fields(cls):
            if f.name.startswith("_") or f.default is MISSING:
                continue
            if f.name in {"quality", "feature_labels"}:
                out[f.name] = {}
                continue
            out[f.name] = list(f.default) if isinstance(f.default, tuple) else f.default
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as a plain, JSON-serialisable mapping.

        Returns
        -------
        dict
            ``MLModelSpec.from_config(spec.to_dict()) == spec``.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if f.name == "quality":
                out[f.name] = dict(value)
            elif f.name == "feature_labels":
                out[f.name] = {name: text.to_dict() for name, text in value}
            else:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def feature_text(self, feature: str) -> FeatureText:
        """The label, description and unit of ``feature`` (defaults if none)."""
        declared = dict(self.feature_labels)
        if feature in declared:
            return declared[feature]
        if feature in BUILT_IN_FEATURES:
            return BUILT_IN_FEATURES[feature]
        return FeatureText(default_label(feature))

    def unlabelled(self, features: Sequence[str]) -> list[str]:
        """Those of ``features`` the spec gives no label (built-ins aside)."""
        declared = dict(self.feature_labels)
        return [f for f in features if f not in declared and f not in BUILT_IN_FEATURES]

    def quality_severity(self, check: str) -> str:
        """The severity of data-quality check ``check`` for this model."""
        from people_ml.quality import CHECKS

        return dict(self.quality).get(check, CHECKS[check].severity)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """Algorithms AutoML will try, in search order."""
        if self.candidates is None:
            return ALGORITHMS[self.problem_type]
        return tuple(a for a in ALGORITHMS[self.problem_type] if a in self.candidates)
