"""The shown run side by side: a candidate run compared with the run BI shows.

Both runs are judged on the same footing. The shown run's verified pickle
predicts the candidate's rows (:func:`people_ml.ml.predict_with_run`, never a
refit), so every figure below compares two models on the same people and the
same outcomes:

* :func:`compare_test_metrics` - the candidate's test period (split ``test``
  of ``run_comparisons``);
* :func:`compare_population` - the candidate's predict set (split
  ``predict``) and the biggest movers (``comparison_movers``);
* :func:`compare_drivers` - the SHAP drivers of each run
  (``driver_comparisons``), summarised by :func:`summarize_drivers` (split
  ``drivers``).

Encoding of ``run_comparisons``
-------------------------------
One row per metric. ``candidate_value`` is the candidate run's figure and
``compared_value`` the shown run's. A figure about the pair rather than about
either run (a correlation, a count of people moving) is in
``candidate_value`` with ``compared_value`` NULL. A figure that cannot be
computed (ROC AUC on one class, precision of an empty band) is NULL; its row is
still written, so each problem type always has the same metric rows.

Split ``test``, binary classification:
    ``n_rows``; ``roc_auc``, ``pr_auc``, ``brier`` (as in ``ml_store.metrics``);
    ``threshold`` (each run's decision threshold);
    ``precision_at_threshold``, ``recall_at_threshold`` (positive class, each
    run at its own threshold); ``n_high_band``, ``precision_high_band``,
    ``recall_high_band`` (each run's high band on these rows: percentile rank
    of its predictions >= ``high_band_percentile``).
Split ``test``, regression:
    ``n_rows``, ``mae``, ``rmse``, ``r2``, ``mean_bias`` (mean of prediction
    minus actual: positive means the model predicts too high).
Split ``predict``, both problem types:
    ``n_rows``, ``mean_prediction`` (each run), ``spearman_rank_correlation``
    and ``mean_abs_change`` (mean absolute difference of the two predictions)
    of the pair.
Split ``predict``, binary classification only:
    ``n_band_<band>`` (people in the band under each run);
    ``band_<compared>_to_<candidate>`` for every pair of bands, the diagonal
    included (e.g. ``band_low_to_high``: people low under the shown run and
    high under the candidate; the nine counts add up to ``n_rows``);
    ``moved_band`` (people whose band changed), ``moved_band_up`` and
    ``moved_band_down`` (towards higher or lower risk under the candidate).
Split ``drivers``:
    ``n_features`` (each run); ``n_gained``, ``n_lost``, ``n_flipped``,
    ``n_moved``, ``n_same``; ``importance_rank_correlation`` (Spearman of the
    mean |SHAP| of the features both runs use); ``top_<k>_overlap`` (features in
    both runs' top k).

Risk bands
----------
As in ``fct_ml_predictions``: a prediction's percentile is its
``percent_rank`` among the predictions of the same run on the same rows
(ties take the lowest rank; a single row is 0); ``high`` from
``high_band_percentile`` up, ``medium`` from ``medium_band_percentile``, else
``low``. The cut-offs are the dbt vars ``risk_band_high_percentile`` and
``risk_band_medium_percentile``; pass them in. Regression has no bands.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from people_ml.ledger.contract import STORE_TABLES, conform
from people_ml.ml import evaluate
from people_ml.ml._drivers import IMPORTANCE_FLOOR_SHARE
from people_ml.ml._features import _FALSE, _TRUE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = [
    "BANDS",
    "DRIVER_CHANGES",
    "DRIVER_DIRECTIONS",
    "compare_drivers",
    "compare_population",
    "compare_test_metrics",
    "importance_from_shap",
    "percent_rank",
    "risk_bands",
    "summarize_drivers",
]

#: Risk bands, from lowest to highest risk.
BANDS: tuple[str, ...] = ("low", "medium", "high")
#: ``driver_comparisons.change`` values.
DRIVER_CHANGES: tuple[str, ...] = ("gained", "lost", "flipped", "moved", "same")
#: ``driver_comparisons.*_direction`` values.
DRIVER_DIRECTIONS: tuple[str, ...] = ("raises", "lowers", "unclear")

_PROBLEM_TYPES = ("binary_classification", "regression")
_IMPORTANCE_COLUMNS = ("feature", "mean_abs_shap", "direction_corr")

_Row = tuple[str, float | None, float | None]


# --------------------------------------------------------------------- helpers


def _floats(values: ArrayLike, name: str) -> np.ndarray:
    """A 1-d float array without missing values."""
    if isinstance(values, pd.Series | pd.Index):
        array = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(
            f"{name} holds {int(np.isnan(array).sum())} missing value(s); every "
            "row compared needs a value from both runs."
        )
    return array


def _same_length(**arrays: np.ndarray) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"the arrays compared must be aligned rows; got {lengths}")
    return next(iter(lengths.values()))


def _check_problem_type(problem_type: str) -> None:
    if problem_type not in _PROBLEM_TYPES:
        raise ValueError(
            f"problem_type must be one of {list(_PROBLEM_TYPES)}, got {problem_type!r}"
        )


def _check_percentiles(high: float, medium: float | None = None) -> None:
    if not 0.0 <= high <= 1.0:
        raise ValueError(f"high_band_percentile must be in [0, 1], got {high}")
    if medium is not None and not 0.0 <= medium <= high:
        raise ValueError(
            "medium_band_percentile must be in [0, high_band_percentile], got "
            f"{medium} (high {high})"
        )


def _value(x: float | None) -> float:
    """A stored value: NaN (NULL once conformed) when undefined."""
    if x is None:
        return math.nan
    x = float(x)
    return x if math.isfinite(x) else math.nan


def _comparisons(
    run_id: str, compared_run_id: str, split: str, rows: Sequence[_Row]
) -> pd.DataFrame:
    """``run_comparisons`` rows, conformed to the contract."""
    frame = pd.DataFrame(
        {
            "run_id": [run_id] * len(rows),
            "compared_run_id": [compared_run_id] * len(rows),
            "split": [split] * len(rows),
            "metric": [r[0] for r in rows],
            "candidate_value": np.array([_value(r[1]) for r in rows], dtype=float),
            "compared_value": np.array([_value(r[2]) for r in rows], dtype=float),
        }
    )
    return conform(frame, STORE_TABLES["run_comparisons"])


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho, None when undefined (fewer than 2 rows, a constant)."""
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def percent_rank(values: ArrayLike) -> np.ndarray:
    """Percentile rank of each value among ``values``, as SQL ``percent_rank``.

    Parameters
    ----------
    values : array-like of float

    Returns
    -------
    ndarray
        ``(rank - 1) / (n - 1)`` with ties at their lowest rank, in [0, 1];
        0 for a single value.
    """
    series = pd.Series(np.asarray(values, dtype=float))
    n = len(series)
    if n <= 1:
        return np.zeros(n)
    return ((series.rank(method="min") - 1) / (n - 1)).to_numpy(dtype=float)


def risk_bands(
    prediction: ArrayLike,
    *,
    high_band_percentile: float = 0.90,
    medium_band_percentile: float = 0.70,
) -> np.ndarray:
    """Risk band of each prediction within its own set, as BI shows it.

    Parameters
    ----------
    prediction : array-like of float
        One run's predictions on one set of rows.
    high_band_percentile, medium_band_percentile : float
        Percentile ranks from which a prediction is ``high`` / ``medium``
        (dbt vars ``risk_band_high_percentile`` / ``risk_band_medium_percentile``).

    Returns
    -------
    ndarray of str
        ``'high'``, ``'medium'`` or ``'low'`` per prediction.
    """
    _check_percentiles(high_band_percentile, medium_band_percentile)
    pct = percent_rank(prediction)
    return np.where(
        pct >= high_band_percentile,
        "high",
        np.where(pct >= medium_band_percentile, "medium", "low"),
    ).astype(object)


# ---------------------------------------------------------------- test metrics


def _evaluated(
    y: np.ndarray, prediction: np.ndarray, problem_type: str, threshold: float | None
) -> dict[tuple[str, str | None], float]:
    frame = evaluate(y, prediction, problem_type=problem_type, threshold=threshold)
    return {
        (m, None if pd.isna(c) else str(c)): float(v)
        for m, c, v in frame.itertuples(index=False)
    }


def _high_band(
    y: np.ndarray, prediction: np.ndarray, percentile: float
) -> tuple[float, float | None, float | None]:
    """Size, precision and recall of the high band on these rows."""
    flagged = percent_rank(prediction) >= percentile
    hits = float(np.sum(flagged & (y == 1)))
    n_flagged = float(flagged.sum())
    n_positive = float(np.sum(y == 1))
    return (
        n_flagged,
        hits / n_flagged if n_flagged else None,
        hits / n_positive if n_positive else None,
    )


def compare_test_metrics(
    *,
    run_id: str,
    compared_run_id: str,
    problem_type: str,
    actual: ArrayLike,
    candidate_prediction: ArrayLike,
    compared_prediction: ArrayLike,
    candidate_threshold: float | None,
    compared_threshold: float | None,
    high_band_percentile: float = 0.90,
) -> pd.DataFrame:
    """Test metrics of both runs on the candidate's test period.

    Parameters
    ----------
    run_id : str
        The candidate run.
    compared_run_id : str
        The run BI shows now.
    problem_type : {'binary_classification', 'regression'}
    actual : array-like
        The outcome per test row (0/1 for classification), e.g.
        ``test_predictions.actual`` of the candidate.
    candidate_prediction : array-like
        The candidate's prediction per row.
    compared_prediction : array-like
        The shown run's model's prediction for the same rows, in the same order
        (:func:`people_ml.ml.predict_with_run`).
    candidate_threshold, compared_threshold : float or None
        Each run's decision threshold (classification; None means 0.5, as the
        models use). Ignored for regression.
    high_band_percentile : float, default=0.90
        dbt var ``risk_band_high_percentile``: the high band is the rows whose
        percentile rank among the run's predictions reaches it.

    Returns
    -------
    pandas.DataFrame
        ``run_comparisons`` rows with split ``'test'`` (metrics listed in the
        module docstring), conformed to the contract.

    Raises
    ------
    ValueError
        Unknown problem type, misaligned or missing values, a non-0/1 outcome
        for classification, a percentile outside [0, 1].
    """
    _check_problem_type(problem_type)
    _check_percentiles(high_band_percentile)
    y = _floats(actual, "actual")
    cand = _floats(candidate_prediction, "candidate_prediction")
    comp = _floats(compared_prediction, "compared_prediction")
    n = _same_length(actual=y, candidate_prediction=cand, compared_prediction=comp)
    if problem_type == "regression":
        c = _evaluated(y, cand, problem_type, None)
        s = _evaluated(y, comp, problem_type, None)
        bias = (
            (float(np.mean(cand - y)), float(np.mean(comp - y))) if n else (None, None)
        )
        rows: list[_Row] = [("n_rows", n, n)]
        rows += [(m, c.get((m, None)), s.get((m, None))) for m in ("mae", "rmse", "r2")]
        rows.append(("mean_bias", *bias))
        return _comparisons(run_id, compared_run_id, "test", rows)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(
            "actual must be 0/1 for binary classification (the encoded outcome of "
            "test_predictions.actual)"
        )
    thresholds = tuple(
        0.5 if t is None else float(t)
        for t in (candidate_threshold, compared_threshold)
    )
    c = _evaluated(y, cand, problem_type, thresholds[0])
    s = _evaluated(y, comp, problem_type, thresholds[1])
    rows = [("n_rows", n, n)]
    rows += [(m, c.get((m, None)), s.get((m, None))) for m in ("roc_auc", "pr_auc")]
    rows.append(("brier", c.get(("brier", None)), s.get(("brier", None))))
    rows.append(("threshold", *thresholds))
    for metric in ("precision", "recall"):
        rows.append(
            (f"{metric}_at_threshold", c.get((metric, "1")), s.get((metric, "1")))
        )
    band_c = _high_band(y, cand, high_band_percentile)
    band_s = _high_band(y, comp, high_band_percentile)
    for i, metric in enumerate(
        ("n_high_band", "precision_high_band", "recall_high_band")
    ):
        rows.append((metric, band_c[i], band_s[i]))
    return _comparisons(run_id, compared_run_id, "test", rows)


# ------------------------------------------------------------------ population


def _entity_ids(entity_id: ArrayLike) -> np.ndarray:
    ids = pd.Series(np.asarray(entity_id, dtype=object))
    if ids.isna().any():
        raise ValueError("entity_id holds missing values")
    ids = ids.astype(str)
    repeated = ids[ids.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(
            f"entity_id must name each person once (a predict set); repeated: "
            f"{repeated[:5]}"
        )
    return ids.to_numpy(dtype=object)


def compare_population(
    *,
    run_id: str,
    compared_run_id: str,
    problem_type: str,
    entity_id: ArrayLike,
    candidate_prediction: ArrayLike,
    compared_prediction: ArrayLike,
    high_band_percentile: float = 0.90,
    medium_band_percentile: float = 0.70,
    n_movers: int = 20,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How the candidate and the shown run see the same people.

    Parameters
    ----------
    run_id : str
        The candidate run.
    compared_run_id : str
        The run BI shows now.
    problem_type : {'binary_classification', 'regression'}
        Bands are for classification only.
    entity_id : array-like
        One id per person of the candidate's predict set.
    candidate_prediction : array-like
        The candidate's prediction per person.
    compared_prediction : array-like
        The shown run's model's prediction for the same people, same order.
    high_band_percentile : float, default=0.90
        dbt var ``risk_band_high_percentile``.
    medium_band_percentile : float, default=0.70
        dbt var ``risk_band_medium_percentile``.
    n_movers : int, default=20
        How many of the biggest movers to return.

    Returns
    -------
    comparisons : pandas.DataFrame
        ``run_comparisons`` rows with split ``'predict'`` (see the module
        docstring for the metrics and their encoding).
    movers : pandas.DataFrame
        ``comparison_movers`` rows: at most ``n_movers`` people, largest move
        first (ties by entity id). Classification ranks by the absolute change
        in percentile, regression by the absolute change in predicted value;
        people who did not move are never listed. ``percentile_change`` is the
        candidate's percentile minus the shown run's (both problem types);
        the bands are NULL for regression.

    Raises
    ------
    ValueError
        Unknown problem type, misaligned or missing values, repeated entity
        ids, percentiles out of order, a negative ``n_movers``.
    """
    _check_problem_type(problem_type)
    _check_percentiles(high_band_percentile, medium_band_percentile)
    if n_movers < 0:
        raise ValueError(f"n_movers must be >= 0, got {n_movers}")
    ids = _entity_ids(entity_id)
    cand = _floats(candidate_prediction, "candidate_prediction")
    comp = _floats(compared_prediction, "compared_prediction")
    n = _same_length(entity_id=ids, candidate_prediction=cand, compared_prediction=comp)
    change = cand - comp
    rows: list[_Row] = [
        ("n_rows", n, n),
        (
            "mean_prediction",
            *((float(cand.mean()), float(comp.mean())) if n else (None, None)),
        ),
        ("spearman_rank_correlation", _spearman(cand, comp), None),
        ("mean_abs_change", float(np.abs(change).mean()) if n else None, None),
    ]
    pct_change = percent_rank(cand) - percent_rank(comp)
    if problem_type == "binary_classification":
        bands = {
            "high_band_percentile": high_band_percentile,
            "medium_band_percentile": medium_band_percentile,
        }
        band_c = risk_bands(cand, **bands)
        band_s = risk_bands(comp, **bands)
        rows += [
            (f"n_band_{b}", int(np.sum(band_c == b)), int(np.sum(band_s == b)))
            for b in BANDS
        ]
        rows += [
            (f"band_{a}_to_{b}", int(np.sum((band_s == a) & (band_c == b))), None)
            for a in BANDS
            for b in BANDS
        ]
        level = {b: i for i, b in enumerate(BANDS)}
        step = np.array([level[b] for b in band_c], dtype=int) - np.array(
            [level[b] for b in band_s], dtype=int
        )
        rows += [
            ("moved_band", int(np.sum(step != 0)), None),
            ("moved_band_up", int(np.sum(step > 0)), None),
            ("moved_band_down", int(np.sum(step < 0)), None),
        ]
        size = np.abs(pct_change)
        # A change of risk band is what a reader acts on: band movers first
        # (two bands before one), then by the size of the percentile move.
        band_size = np.abs(step)
    else:
        band_c = band_s = np.full(n, None, dtype=object)
        size = np.abs(change)
        band_size = np.zeros(n, dtype=int)
    comparisons = _comparisons(run_id, compared_run_id, "predict", rows)
    order = np.lexsort((ids.astype(str), -size, -band_size))
    order = order[size[order] > 0][:n_movers]
    movers = pd.DataFrame(
        {
            "run_id": [run_id] * len(order),
            "compared_run_id": [compared_run_id] * len(order),
            "entity_id": ids[order],
            "candidate_prediction": cand[order],
            "compared_prediction": comp[order],
            "candidate_band": band_c[order],
            "compared_band": band_s[order],
            "percentile_change": pct_change[order],
        }
    )
    return comparisons, conform(movers, STORE_TABLES["comparison_movers"])


# --------------------------------------------------------------------- drivers


def importance_from_shap(shap_values: pd.DataFrame) -> pd.DataFrame:
    """Per-feature importance and direction of one run's SHAP values.

    Parameters
    ----------
    shap_values : pandas.DataFrame
        Rows shaped like ``ml_store.shap_values`` of one run: ``feature``,
        ``feature_value`` (text) and ``shap_value``; other columns are ignored
        (a ``run_id`` column, if present, must hold one run).

    Returns
    -------
    pandas.DataFrame
        One row per feature, most important first: ``feature``,
        ``mean_abs_shap`` (mean of |SHAP| over rows) and ``direction_corr``
        (Pearson correlation of the SHAP value with the feature value over the
        rows where both are present). A feature is numeric when every present
        value parses as a number (boolean text - yes/no, true/false, y/n, t/f,
        as the models read it - counts as 1 / 0);
        otherwise (categories, dates rendered as text) ``direction_corr`` is
        NaN, as it is when fewer than two rows or a constant leave it
        undefined.

    Raises
    ------
    ValueError
        A required column is missing, or the rows hold several runs.
    """
    missing = [
        c for c in ("feature", "feature_value", "shap_value") if c not in shap_values
    ]
    if missing:
        raise ValueError(
            f"shap_values lacks column(s) {missing}; expected the columns of "
            "ml_store.shap_values"
        )
    if "run_id" in shap_values and shap_values["run_id"].nunique(dropna=False) > 1:
        raise ValueError(
            "shap_values holds several runs "
            f"({sorted(map(str, shap_values['run_id'].unique()))[:5]}); pass one "
            "run's rows"
        )
    feature = shap_values["feature"].astype(str).to_numpy(dtype=object)
    shap = pd.to_numeric(shap_values["shap_value"]).to_numpy(
        dtype=float, na_value=np.nan
    )
    text = shap_values["feature_value"].astype("string").str.strip()
    lowered = text.str.lower()
    parsed = pd.to_numeric(
        text.to_numpy(dtype=object, na_value=None), errors="coerce"
    ).astype(float)
    # Boolean text counts as 1 / 0, read as the model reads it (yes/no, ...).
    for words, number in ((_TRUE, 1.0), (_FALSE, 0.0)):
        hit = lowered.isin(list(words)).fillna(False).to_numpy(dtype=bool)
        parsed = np.where(hit, number, parsed)
    present = text.notna().to_numpy(dtype=bool)
    rows = pd.DataFrame(
        {
            "feature": feature,
            "abs_shap": np.abs(shap),
            "unparsed": present & np.isnan(parsed),
        }
    )
    per_feature = rows.groupby("feature", sort=True).agg(
        mean_abs_shap=("abs_shap", "mean"), categorical=("unparsed", "any")
    )
    valid = ~np.isnan(parsed) & ~np.isnan(shap)
    pairs = pd.DataFrame(
        {"feature": feature[valid], "x": parsed[valid], "y": shap[valid]}
    )
    grouped = pairs.groupby("feature")
    pairs["dx"] = pairs["x"] - grouped["x"].transform("mean")
    pairs["dy"] = pairs["y"] - grouped["y"].transform("mean")
    pairs["sxy"] = pairs["dx"] * pairs["dy"]
    pairs["sxx"] = pairs["dx"] ** 2
    pairs["syy"] = pairs["dy"] ** 2
    sums = pairs.groupby("feature")[["sxy", "sxx", "syy"]].sum()
    # A constant feature or SHAP value (e.g. a feature the model ignores) has
    # no direction: test constancy exactly, as centred sums carry rounding noise.
    spread = grouped[["x", "y"]].max() - grouped[["x", "y"]].min()
    varies = (spread["x"] > 0) & (spread["y"] > 0)
    corr = (sums["sxy"] / np.sqrt(sums["sxx"] * sums["syy"])).where(varies)
    per_feature["direction_corr"] = corr.reindex(per_feature.index).where(
        ~per_feature["categorical"]
    )
    out = per_feature.reset_index()[list(_IMPORTANCE_COLUMNS)]
    out["feature"] = out["feature"].astype("string")
    out["mean_abs_shap"] = out["mean_abs_shap"].astype(float)
    out["direction_corr"] = out["direction_corr"].astype(float).clip(-1.0, 1.0)
    return out.sort_values(
        ["mean_abs_shap", "feature"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def _ranked(
    frame: pd.DataFrame,
    name: str,
    min_importance_share: float,
    min_direction_corr: float,
) -> pd.DataFrame:
    """Rank and direction of each feature of one run's importance frame."""
    missing = [c for c in _IMPORTANCE_COLUMNS if c not in frame]
    if missing:
        raise ValueError(
            f"the {name} importance frame lacks column(s) {missing}; expected "
            f"{list(_IMPORTANCE_COLUMNS)} (see importance_from_shap)"
        )
    features = frame["feature"].astype(str)
    repeated = features[features.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"the {name} importance frame repeats feature(s) {repeated}")
    importance = pd.to_numeric(frame["mean_abs_shap"]).to_numpy(
        dtype=float, na_value=np.nan
    )
    if np.isnan(importance).any() or (importance < 0).any():
        raise ValueError(
            f"the {name} importance frame needs a non-negative mean_abs_shap for "
            "every feature"
        )
    corr = pd.to_numeric(frame["direction_corr"]).to_numpy(dtype=float, na_value=np.nan)
    total = importance.sum()
    share = importance / total if total > 0 else np.zeros_like(importance)
    strong = (share >= min_importance_share) & ~np.isnan(corr)
    direction = np.where(
        strong & (corr >= min_direction_corr),
        "raises",
        np.where(strong & (corr <= -min_direction_corr), "lowers", "unclear"),
    )
    rank = pd.Series(importance).rank(method="min", ascending=False)
    return pd.DataFrame(
        {
            "rank": rank.to_numpy(dtype=float),
            "importance": importance,
            "direction": direction.astype(object),
        },
        index=pd.Index(features.to_numpy(dtype=object), name="feature"),
    )


def compare_drivers(
    *,
    run_id: str,
    compared_run_id: str,
    candidate: pd.DataFrame,
    compared: pd.DataFrame,
    min_importance_share: float = IMPORTANCE_FLOOR_SHARE,
    min_direction_corr: float = 0.1,
) -> pd.DataFrame:
    """The drivers of both runs side by side.

    Parameters
    ----------
    run_id : str
        The candidate run.
    compared_run_id : str
        The run BI shows now.
    candidate, compared : pandas.DataFrame
        Each run's importance frame: ``feature``, ``mean_abs_shap``,
        ``direction_corr`` (see :func:`importance_from_shap`).
    min_importance_share : float, default=IMPORTANCE_FLOOR_SHARE
        A feature whose share of the run's total mean |SHAP| is below this has
        direction ``'unclear'``: too weak a driver to state a direction (the
        floor of the runs' own drivers, :mod:`people_ml.ml._drivers`).
    min_direction_corr : float, default=0.1
        |direction_corr| from which a direction is stated.

    Returns
    -------
    pandas.DataFrame
        ``driver_comparisons`` rows, one per feature of either run, ordered by
        the candidate's rank, then the shown run's (lost features last).
        Rank 1 is the largest mean |SHAP| (ties share the lower rank);
        direction is ``'raises'`` (corr >= ``min_direction_corr``),
        ``'lowers'`` (<= its negative) or ``'unclear'`` (weaker, below the
        importance floor, or categorical). ``change``: ``'gained'`` (only in
        the candidate), ``'lost'`` (only in the shown run), ``'flipped'``
        (raises <-> lowers), ``'moved'`` (rank changed), else ``'same'``; a
        flip wins over a move.

    Raises
    ------
    ValueError
        A frame lacks a column, repeats a feature, or has a missing or
        negative importance.
    """
    cand = _ranked(candidate, "candidate", min_importance_share, min_direction_corr)
    comp = _ranked(compared, "compared", min_importance_share, min_direction_corr)
    both = cand.add_suffix("_c").join(comp.add_suffix("_s"), how="outer")
    in_c = both["rank_c"].notna()
    in_s = both["rank_s"].notna()
    flipped = (
        in_c
        & in_s
        & (
            ((both["direction_c"] == "raises") & (both["direction_s"] == "lowers"))
            | ((both["direction_c"] == "lowers") & (both["direction_s"] == "raises"))
        )
    )
    change = np.select(
        [~in_s, ~in_c, flipped, both["rank_c"] != both["rank_s"]],
        ["gained", "lost", "flipped", "moved"],
        default="same",
    )
    frame = pd.DataFrame(
        {
            "run_id": run_id,
            "compared_run_id": compared_run_id,
            "feature": both.index.to_numpy(dtype=object),
            "candidate_rank": both["rank_c"].to_numpy(),
            "compared_rank": both["rank_s"].to_numpy(),
            "candidate_importance": both["importance_c"].to_numpy(),
            "compared_importance": both["importance_s"].to_numpy(),
            "candidate_direction": both["direction_c"].to_numpy(dtype=object),
            "compared_direction": both["direction_s"].to_numpy(dtype=object),
            "change": change.astype(object),
        }
    )
    frame = frame.sort_values(
        ["candidate_rank", "compared_rank", "feature"],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    frame[["candidate_direction", "compared_direction"]] = frame[
        ["candidate_direction", "compared_direction"]
    ].where(frame[["candidate_direction", "compared_direction"]].notna(), None)
    return conform(frame, STORE_TABLES["driver_comparisons"])


def summarize_drivers(drivers: pd.DataFrame, *, top_k: int = 5) -> pd.DataFrame:
    """``run_comparisons`` rows (split ``'drivers'``) summing up the drivers.

    Parameters
    ----------
    drivers : pandas.DataFrame
        The output of :func:`compare_drivers` (one candidate and shown run).
    top_k : int, default=5
        Size of the top lists whose overlap is counted.

    Returns
    -------
    pandas.DataFrame
        ``n_features`` (each run), ``n_<change>`` for every change,
        ``importance_rank_correlation`` and ``top_<top_k>_overlap`` (see the
        module docstring), conformed to the contract; no rows when
        ``drivers`` has none.

    Raises
    ------
    ValueError
        ``top_k`` below 1, or ``drivers`` holds several pairs of runs.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if drivers.empty:  # neither run has SHAP values: nothing to sum up
        return _comparisons("", "", "drivers", [])
    pairs = drivers[["run_id", "compared_run_id"]].drop_duplicates()
    if len(pairs) != 1:
        raise ValueError(
            f"drivers must hold one candidate and shown run, got {len(pairs)} pairs"
        )
    run_id, compared_run_id = (str(v) for v in pairs.iloc[0])
    c_rank = drivers["candidate_rank"]
    s_rank = drivers["compared_rank"]
    common = c_rank.notna() & s_rank.notna()
    rho = _spearman(
        drivers.loc[common, "candidate_importance"].to_numpy(dtype=float),
        drivers.loc[common, "compared_importance"].to_numpy(dtype=float),
    )
    top_c = set(drivers.loc[c_rank.notna() & (c_rank <= top_k), "feature"])
    top_s = set(drivers.loc[s_rank.notna() & (s_rank <= top_k), "feature"])
    rows: list[_Row] = [
        ("n_features", int(c_rank.notna().sum()), int(s_rank.notna().sum()))
    ]
    rows += [
        (f"n_{c}", int((drivers["change"] == c).sum()), None) for c in DRIVER_CHANGES
    ]
    rows += [
        ("importance_rank_correlation", rho, None),
        (f"top_{top_k}_overlap", len(top_c & top_s), None),
    ]
    return _comparisons(run_id, compared_run_id, "drivers", rows)
