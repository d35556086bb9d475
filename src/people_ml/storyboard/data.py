"""What the storyboard shows, computed from one publication of the marts.

Pure pandas over the published Parquet files (:mod:`people_ml.publish`): no
Streamlit here, so every figure on a page is testable on its own, and the
warehouse is never opened (a build may be writing it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from people_ml.ml import default_label, format_value
from people_ml.publish import PUBLISHED_MARTS, Publication

# The marts the storyboard reads (all that are published); the dbt exposure
# `storyboard` lists the same, which a test checks.
STORYBOARD_TABLES = PUBLISHED_MARTS
CLASSIFICATION = "binary_classification"
REGRESSION = "regression"
PAY_MODEL = "expected_pay"
# People drawn in the beeswarm: enough to see the shape, few enough to draw fast.
BEESWARM_PEOPLE = 400


@dataclass(frozen=True)
class RiskSummary:
    """Headline figures of a classification model's shown run."""

    model_key: str
    run_id: str
    headcount: int
    expected_leavers: float
    high_risk_headcount: int
    average_risk: float
    sample_date: pd.Timestamp | None
    #: The prediction window of expected leavers and average risk (months).
    horizon_months: int | None = None


@dataclass(frozen=True)
class PaySummary:
    """Headline figures of the expected-pay model's shown run."""

    run_id: str
    headcount: int
    average_actual_pay: float
    average_expected_pay: float
    average_residual_share: float
    test_mae: float | None
    test_r2: float | None
    sample_date: pd.Timestamp | None


class Marts:
    """The marts of one publication, read lazily, each at most once."""

    def __init__(self, publication: Publication) -> None:
        self.publication = publication
        self._frames: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        """A mart as a frame."""
        if name not in self._frames:
            self._frames[name] = self.publication.read(name)
        return self._frames[name]

    @cached_property
    def models(self) -> pd.DataFrame:
        """``dim_ml_models``: one row per ML model."""
        return self.table("dim_ml_models")

    def shown_models(self, problem_type: str | None = None) -> list[str]:
        """ML models with a shown (deployed) run, optionally of one problem type."""
        models = self.models[self.models["shown_run_id"].notna()]
        if problem_type is not None:
            models = models[models["problem_type"] == problem_type]
        return sorted(models["model_key"])

    def shown_run_id(self, model_key: str) -> str | None:
        """The run BI shows for ``model_key``; None when none is deployed."""
        rows = self.models.loc[self.models["model_key"] == model_key, "shown_run_id"]
        if rows.empty or pd.isna(rows.iloc[0]):
            return None
        return str(rows.iloc[0])

    def predictions(self, model_key: str) -> pd.DataFrame:
        """The shown run's predictions of ``model_key``."""
        frame = self.table("fct_ml_predictions")
        return frame[frame["model_key"] == model_key]

    def horizon_predictions(self, model_key: str) -> pd.DataFrame:
        """The shown run's probability within each prediction window."""
        frame = self.table("fct_ml_prediction_horizons")
        return frame[frame["model_key"] == model_key]

    def drivers(
        self,
        model_key: str,
        *,
        worker_ids: list[str] | None = None,
        features: list[str] | None = None,
    ) -> pd.DataFrame:
        """The shown run's SHAP values of ``model_key``, optionally a slice.

        Read with a filter straight from the Parquet file: at 100k employees
        the mart holds millions of rows, and a page needs a few hundred.
        """
        sql = "select * from {fct_ml_prediction_drivers} where model_key = ?"
        parameters: list[object] = [model_key]
        if worker_ids is not None:
            sql += " and list_contains(?::varchar[], worker_id)"
            parameters.append(list(worker_ids))
        if features is not None:
            sql += " and list_contains(?::varchar[], feature)"
            parameters.append(list(features))
        return self.publication.query(sql, parameters)

    def importance(self, model_key: str) -> pd.DataFrame:
        """Global SHAP importance of the shown run, most important first."""
        run_id = self.shown_run_id(model_key)
        frame = self.table("fct_ml_feature_importance")
        frame = frame[frame["run_id"] == run_id]
        return frame.sort_values("importance_rank").reset_index(drop=True)

    def effects(self, model_key: str) -> pd.DataFrame:
        """Per-level effects of the shown run: ordinal and categorical features.

        Ordered by the features' importance, then the level order. Empty for a
        run recorded before effects were computed, or a publication made
        before the mart existed.
        """
        run_id = self.shown_run_id(model_key)
        if "fct_ml_feature_effects" not in self.publication.tables:
            return pd.DataFrame(columns=["feature", "level_label", "level_order"])
        frame = self.table("fct_ml_feature_effects")
        frame = frame[frame["run_id"] == run_id]
        rank = self.importance(model_key).set_index("feature")["importance_rank"]
        return (
            frame.assign(importance_rank=frame["feature"].map(rank))
            .sort_values(["importance_rank", "feature", "level_order"])
            .reset_index(drop=True)
        )

    @cached_property
    def labels(self) -> dict[str, str]:
        """Feature -> its label, as the newest runs recorded it (every model)."""
        if "fct_ml_feature_profile" not in self.publication.tables:
            return {}
        profile = self.table("fct_ml_feature_profile")
        if "feature_label" not in profile:
            return {}
        runs = self.table("dim_ml_runs")[["run_id", "created_at"]]
        ordered = profile.merge(runs, on="run_id", how="left").sort_values("created_at")
        return dict(zip(ordered["feature"], ordered["feature_label"], strict=True))

    def runs(self) -> pd.DataFrame:
        """Every run of every ML model, newest first."""
        return (
            self.table("dim_ml_runs")
            .sort_values(["created_at", "run_id"], ascending=[False, True])
            .reset_index(drop=True)
        )

    def performance(self, run_id: str) -> pd.DataFrame:
        """A run's metrics (every split, metric and class)."""
        frame = self.table("fct_ml_model_performance")
        return frame[frame["run_id"] == run_id].reset_index(drop=True)

    def data_quality(self, run_id: str) -> pd.DataFrame:
        """A run's data-quality findings (none in a publication made before
        the gate), as the page shows them."""
        columns = ["Check", "Severity", "Column", "Rows", "Finding", "Fix"]
        if "fct_ml_data_quality" not in self.publication.tables:
            return pd.DataFrame(columns=columns)
        frame = self.table("fct_ml_data_quality")
        frame = frame[frame["run_id"] == run_id]
        return pd.DataFrame(
            {
                "Check": frame["check_name"],
                "Severity": frame["severity"],
                "Column": frame["column_name"],
                "Rows": frame["row_count"],
                "Finding": frame["finding_message"],
                "Fix": frame["finding_fix"],
            }
        ).reset_index(drop=True)

    def profile(self, run_id: str) -> pd.DataFrame:
        """A run's EDA profile, selected features first."""
        frame = self.table("fct_ml_feature_profile")
        frame = frame[frame["run_id"] == run_id]
        return frame.sort_values(
            ["status", "target_association"], ascending=[False, False]
        ).reset_index(drop=True)


def horizons(marts: Marts, model_key: str) -> list[int]:
    """The prediction windows (months) of the shown run, shortest first."""
    frame = marts.horizon_predictions(model_key)
    return sorted({int(h) for h in frame["horizon_months"].dropna()})


def at_horizon(marts: Marts, model_key: str, horizon: int | None) -> pd.DataFrame:
    """The shown run's predictions with ``prediction`` the probability within
    ``horizon`` months (None or the run's own horizon: as predicted).

    Risk bands stay the run's (its own horizon's ranking): a window changes how
    many are expected to leave, not who is flagged.
    """
    predictions = marts.predictions(model_key)
    points = marts.horizon_predictions(model_key)
    if horizon is None or points.empty:
        return predictions
    chosen = points[points["horizon_months"] == horizon]
    if chosen.empty or bool(chosen["is_run_horizon"].all()):
        return predictions
    probability = chosen.set_index("worker_id")["prediction"]
    out = predictions.copy()
    out["prediction"] = out["worker_id"].map(probability).astype(float)
    out["horizon_months"] = horizon
    return out


def risk_summary(
    marts: Marts, model_key: str, horizon: int | None = None
) -> RiskSummary:
    """Headcount, expected leavers, high-risk headcount and average risk.

    ``horizon``: the prediction window of the expected leavers and the average
    risk (None: the run's own).
    """
    predictions = at_horizon(marts, model_key, horizon)
    dates = predictions["sample_date"].dropna()
    return RiskSummary(
        model_key=model_key,
        run_id=marts.shown_run_id(model_key) or "",
        headcount=len(predictions),
        expected_leavers=float(predictions["prediction"].sum()),
        high_risk_headcount=int((predictions["risk_band"] == "high").sum()),
        average_risk=float(predictions["prediction"].mean())
        if len(predictions)
        else 0.0,
        sample_date=pd.Timestamp(dates.max()) if len(dates) else None,
        horizon_months=_window(predictions),
    )


def _window(predictions: pd.DataFrame) -> int | None:
    if "horizon_months" not in predictions:
        return None
    months = predictions["horizon_months"].dropna()
    return int(months.max()) if len(months) else None


#: The storyboard's smallest group: a group of fewer people is never shown on
#: its own (noisy, and a privacy risk); PEOPLE_ML_MIN_GROUP_SIZE overrides it.
DEFAULT_MIN_GROUP_SIZE = 10
MIN_GROUP_SIZE_ENV = "PEOPLE_ML_MIN_GROUP_SIZE"


def min_group_size_setting() -> int:
    """The smallest group shown (``PEOPLE_ML_MIN_GROUP_SIZE``, default 10).

    Raises
    ------
    ValueError
        When the variable is set to anything but a whole number from 2 on.
    """
    raw = os.environ.get(MIN_GROUP_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_MIN_GROUP_SIZE
    if not raw.isdigit() or int(raw) < 2:
        raise ValueError(
            f"{MIN_GROUP_SIZE_ENV}={raw!r}: set a whole number of people from 2 "
            f"on (default {DEFAULT_MIN_GROUP_SIZE}), or unset it."
        )
    return int(raw)


@dataclass(frozen=True)
class GroupedRisk:
    """Risk per group, small groups merged or hidden (never shown alone)."""

    #: One row per group shown: headcount, expected leavers and their rate,
    #: high-risk headcount and share; ``is_merged`` marks the merged row.
    table: pd.DataFrame
    min_size: int
    #: Groups under ``min_size`` merged into one "Other" row.
    merged_groups: int = 0
    #: People left out entirely: small groups whose merged row is small too.
    hidden_people: int = 0

    def note(self, what: str) -> str:
        """What was merged or hidden, in words ('' when nothing was)."""
        if self.merged_groups and not self.hidden_people:
            return (
                f"{self.merged_groups} {what} with fewer than {self.min_size} "
                "people each are shown together as one row."
            )
        if self.hidden_people:
            groups = "group" if self.merged_groups == 1 else what
            return (
                f"{self.hidden_people:,} people in {self.merged_groups} {groups} "
                f"with fewer than {self.min_size} people (together too) are not "
                "shown."
            )
        return ""


def other_label(groups: int, min_size: int) -> str:
    """The merged row's name: 'Other (3 groups under 10 people)'."""
    return f"Other ({groups} groups under {min_size} people)"


def small_groups_merged(
    frame: pd.DataFrame, column: str, min_size: int
) -> tuple[pd.DataFrame, int, int]:
    """``frame`` with ``group``: the value of ``column`` (``(unknown)`` when
    missing), or the "Other" row's name for a group under ``min_size``; the
    rows of small groups dropped when all of them together are under it too.

    Returns the frame (with ``is_merged``), the number of small groups and
    the people left out.
    """
    group = frame[column].astype("string").fillna("(unknown)")
    sizes = group.value_counts()
    small = set(sizes[sizes < min_size].index)
    merged = group.isin(small)
    out = frame.assign(group=group, is_merged=merged)
    hidden = 0
    if small:
        people = int(merged.sum())
        if people >= min_size:
            out.loc[merged, "group"] = other_label(len(small), min_size)
        else:
            out, hidden = out[~merged], people
    return out, len(small), hidden


def risk_by(
    predictions: pd.DataFrame,
    column: str,
    *,
    min_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> GroupedRisk:
    """Headcount, expected leavers and their rate, and the high-risk share per
    value of ``column``; highest expected rate first, the merged row last.

    A group of fewer than ``min_size`` people is never shown alone: such groups
    are merged into one "Other" row, itself shown only if it reaches
    ``min_size`` (else left out and counted). Missing values are grouped as
    ``(unknown)``.
    """
    frame, merged_groups, hidden = small_groups_merged(predictions, column, min_size)
    frame = frame.assign(is_high=frame["risk_band"] == "high")
    shown = frame.groupby("group", as_index=False).agg(
        headcount=("prediction", "size"),
        expected_leavers=("prediction", "sum"),
        high_risk_headcount=("is_high", "sum"),
        is_merged=("is_merged", "max"),
    )
    shown = shown.assign(
        expected_rate=shown["expected_leavers"] / shown["headcount"],
        high_risk_share=shown["high_risk_headcount"] / shown["headcount"],
        is_merged=shown["is_merged"].astype(bool),
    )
    shown = shown.rename(columns={"group": column}).sort_values(
        ["is_merged", "expected_rate", column], ascending=[True, False, True]
    )
    columns = [
        column,
        "headcount",
        "expected_leavers",
        "expected_rate",
        "high_risk_headcount",
        "high_risk_share",
        "is_merged",
    ]
    return GroupedRisk(
        table=shown[columns].reset_index(drop=True),
        min_size=min_size,
        merged_groups=merged_groups,
        hidden_people=hidden,
    )


@dataclass(frozen=True)
class ModelQuality:
    """How right a classification run was on its test period, for readers."""

    run_id: str
    run_number: int
    test_date: pd.Timestamp | None
    horizon_months: int
    precision: float | None
    recall: float | None
    prevalence: float | None
    roc_auc: float | None
    expected_events: float | None
    actual_events: float | None
    #: The risk above which the run flags a person (its decision threshold).
    threshold: float | None = None


def model_quality(marts: Marts, model_key: str) -> ModelQuality | None:
    """The shown run's test-period figures (None without a test period)."""
    run_id = marts.shown_run_id(model_key)
    run = run_record(marts, run_id) if run_id else None
    if run is None or run_id is None:
        return None
    metrics = marts.performance(run_id)
    test = metrics[metrics["split"] == "test"]
    if test.empty:
        return None
    months = run["label_horizon_months"]
    horizon = int(months) if pd.notna(months) else 0

    def value(metric: str, class_label: str = "all") -> float | None:
        rows = test[(test["metric"] == metric) & (test["class_label"] == class_label)]
        if rows.empty or pd.isna(rows["value"].iloc[0]):
            return None
        return float(rows["value"].iloc[0])

    return ModelQuality(
        run_id=run_id,
        run_number=int(run["run_number"]),
        test_date=_timestamp(run["test_date"]),
        horizon_months=horizon,
        precision=value("precision", "1"),
        recall=value("recall", "1"),
        prevalence=value("prevalence"),
        roc_auc=value("roc_auc"),
        expected_events=value(f"expected_events_{horizon}_months"),
        actual_events=value(f"actual_events_{horizon}_months"),
        threshold=value("threshold"),
    )


def test_period_events(marts: Marts, model_key: str) -> pd.DataFrame:
    """Expected and actual leavers of the shown run's test period, per window.

    One row per window and series (``Expected``/``Actual``): ``window``
    ('3 months'), ``months``, ``series``, ``leavers``. Empty without them.
    """
    columns = ["window", "months", "series", "leavers"]
    run_id = marts.shown_run_id(model_key)
    if run_id is None:
        return pd.DataFrame(columns=columns)
    metrics = marts.performance(run_id)
    test = metrics[metrics["split"] == "test"]
    found = test["metric"].str.extract(r"^(expected|actual)_events_(\d+)_months$")
    part = test.assign(kind=found[0], months=pd.to_numeric(found[1])).dropna(
        subset=["kind"]
    )
    if part.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(
        {
            "months": part["months"].astype(int),
            "series": part["kind"].map({"expected": "Expected", "actual": "Actual"}),
            "leavers": part["value"].astype(float),
        }
    )
    out["window"] = out["months"].map(months_text)
    return out.sort_values(["months", "series"])[columns].reset_index(drop=True)


def _in_every(share: float) -> str:
    """0.31 -> 'about 3 of every 10'; 0.04 -> 'about 4 of every 100'."""
    if share >= 0.095:
        return f"about {max(1, round(share * 10))} of every 10"
    return f"about {max(1, round(share * 100))} of every 100"


def quality_sentences(quality: ModelQuality) -> list[str]:
    """The shown run's test period in plain words, one sentence a point."""
    window = months_text(quality.horizon_months) if quality.horizon_months else ""
    when = format_date(quality.test_date)
    out = [
        f"Checked on the people employed on {when}, followed for {window}: "
        "a period the model did not learn from."
        if window
        else f"Checked on the people of {when}, a set the model did not learn from."
    ]
    if quality.precision is not None:
        flagged = (
            f"flagged (a risk above {quality.threshold:.0%})"
            if quality.threshold is not None
            else "flagged"
        )
        line = f"Of the people it {flagged}, {_in_every(quality.precision)} left"
        if quality.prevalence is not None:
            line += f" (of everyone, {_in_every(quality.prevalence)} did)"
        out.append(line + ".")
    if quality.recall is not None:
        out.append(
            f"Of the people who left, it had flagged {_in_every(quality.recall)}."
        )
    if quality.expected_events is not None and quality.actual_events is not None:
        out.append(
            f"It expected {quality.expected_events:,.0f} leavers; "
            f"{quality.actual_events:,.0f} left."
        )
    if quality.roc_auc is not None:
        out.append(
            f"Ranking quality (ROC AUC) {quality.roc_auc:.2f}: 0.50 is a coin "
            "toss, 1.00 a perfect ranking."
        )
    return out


def risk_bands(predictions: pd.DataFrame) -> pd.DataFrame:
    """Headcount per risk band, high first."""
    order = ["high", "medium", "low"]
    counts = predictions["risk_band"].value_counts().reindex(order, fill_value=0)
    return pd.DataFrame({"risk_band": order, "headcount": counts.to_numpy()})


def beeswarm_points(
    drivers: pd.DataFrame,
    features: list[str],
    *,
    max_points_per_feature: int = 400,
) -> pd.DataFrame:
    """The points of a SHAP beeswarm: one per entity and feature.

    Each point carries the SHAP value, the feature value's percentile among the
    entities (numeric features; null for categories, drawn grey) and a
    deterministic vertical jitter. Large populations are thinned to
    ``max_points_per_feature`` entities, the same entities for every feature,
    chosen by a hash of the entity id so the picture is stable across reloads.
    """
    frame = drivers[drivers["feature"].isin(features)].copy()
    keep = set(sample_entities(frame["worker_id"], max_points_per_feature))
    frame = frame[frame["worker_id"].isin(keep)]
    frame["value_percentile"] = frame.groupby("feature")["feature_value_numeric"].rank(
        pct=True
    )
    # Keyed by this process's secret and the feature: stable on every reload,
    # but neither computable from a worker id nor the same across a person's
    # rows, so the dots of one person cannot be linked (the page is for any
    # reader, and a chart embeds its data).
    frame["jitter"] = [
        _secret_unit(f"{feature}\x00{worker}") - 0.5
        for feature, worker in zip(frame["feature"], frame["worker_id"], strict=True)
    ]
    columns = [
        "worker_id",
        "feature",
        "feature_value",
        "shap_value",
        "value_percentile",
        "jitter",
    ]
    if "effect" in frame:
        columns.append("effect")
    return frame[columns].reset_index(drop=True)


def sample_entities(entity_ids: Iterable[object], limit: int) -> list[str]:
    """At most ``limit`` of the ids, chosen by a hash: the same on every reload."""
    unique = sorted({str(entity_id) for entity_id in entity_ids})
    return sorted(unique, key=_stable_unit)[:limit]


#: People whose drivers set the Drivers page's scale (a stable sample).
EFFECT_SAMPLE_PEOPLE = 2_000


def is_classification(marts: Marts, model_key: str) -> bool:
    """Whether ``model_key`` predicts a probability (its SHAP is log-odds)."""
    rows = marts.models.loc[marts.models["model_key"] == model_key, "problem_type"]
    return bool(len(rows)) and rows.iloc[0] == CLASSIFICATION


def points_effect(prediction: pd.Series, shap: pd.Series) -> np.ndarray:
    """A log-odds SHAP value as percentage points of the person's risk.

    How much lower (or higher) the person's predicted risk would be without
    the feature's contribution: ``p - expit(logit(p) - shap)``, times 100.
    Exact for a model whose probability is the sigmoid of the explained
    margin; close for a calibrated or hazard model, whose probability moves
    with it.
    """
    p = np.clip(pd.to_numeric(prediction).to_numpy(dtype=float), 1e-6, 1 - 1e-6)
    phi = pd.to_numeric(shap).to_numpy(dtype=float)
    logit = np.log(p / (1 - p))
    return 100 * (p - 1 / (1 + np.exp(-(logit - phi))))


def with_effects(marts: Marts, model_key: str, drivers: pd.DataFrame) -> pd.DataFrame:
    """``drivers`` with ``effect``: percentage points of risk (classification)
    or the prediction's own unit (regression: the SHAP value itself)."""
    if not is_classification(marts, model_key):
        return drivers.assign(effect=drivers["shap_value"].astype(float))
    risk = marts.predictions(model_key).set_index("worker_id")["prediction"]
    prediction = drivers["worker_id"].map(risk)
    return drivers.assign(effect=points_effect(prediction, drivers["shap_value"]))


def importance_in_effects(marts: Marts, model_key: str) -> pd.DataFrame:
    """The shown run's importance with ``effect``, ``effect_lower`` and
    ``effect_upper``: the mean absolute effect (percentage points of risk, or
    the prediction's unit) over a stable sample of people, its interval the
    stored SHAP interval scaled alike."""
    importance = marts.importance(model_key)
    if importance.empty:
        return importance.assign(effect=[], effect_lower=[], effect_upper=[])
    people = sample_entities(
        marts.predictions(model_key)["worker_id"], EFFECT_SAMPLE_PEOPLE
    )
    sample = with_effects(marts, model_key, marts.drivers(model_key, worker_ids=people))
    grouped = (
        sample.assign(
            abs_effect=sample["effect"].abs(), abs_shap=sample["shap_value"].abs()
        )
        .groupby("feature")[["abs_effect", "abs_shap"]]
        .mean()
    )
    scale = (grouped["abs_effect"] / grouped["abs_shap"].replace(0, np.nan)).fillna(0)
    factor = importance["feature"].map(scale).fillna(0).astype(float)
    out = importance.copy()
    out["effect"] = importance["mean_abs_shap_value"] * factor
    for bound in ("lower", "upper"):
        column = f"importance_{bound}"
        values = importance.get(column, np.nan)
        out[f"effect_{bound}"] = pd.to_numeric(values) * factor
    return out


def level_effects_in_points(
    marts: Marts, model_key: str, effects: pd.DataFrame
) -> pd.DataFrame:
    """Per-level effects with ``effect``/``effect_lower``/``effect_upper`` in
    percentage points at the average risk (classification), else as stored."""
    columns = {
        "mean_shap_value": "effect",
        "mean_shap_lower": "effect_lower",
        "mean_shap_upper": "effect_upper",
    }
    out = effects.copy()
    if not is_classification(marts, model_key):
        for source, target in columns.items():
            out[target] = out[source]
        return out
    average = float(marts.predictions(model_key)["prediction"].mean())
    for source, target in columns.items():
        out[target] = points_effect(
            pd.Series(np.full(len(out), average)), out[source].fillna(0)
        )
    return out


def feature_units(marts: Marts, model_key: str) -> dict[str, str]:
    """Feature -> unit of the shown run (``number`` where none is recorded)."""
    importance = marts.importance(model_key)
    if "feature_unit" not in importance:
        return {}
    return dict(zip(importance["feature"], importance["feature_unit"], strict=True))


def feature_labels(marts: Marts, model_key: str) -> dict[str, str]:
    """Feature -> label: the shown run's, over the newest runs' (every column
    a model was given), over its name with spaces."""
    importance = marts.importance(model_key)
    shown = (
        dict(zip(importance["feature"], importance["feature_label"], strict=True))
        if "feature_label" in importance
        else {}
    )
    known = {**marts.labels, **shown}
    return _LabelMap(known)


class _LabelMap(dict[str, str]):
    """Labels that fall back to :func:`feature_label` for a missing feature."""

    def __missing__(self, feature: str) -> str:
        return feature_label(feature)


def person_drivers(marts: Marts, model_key: str, worker_id: str) -> pd.DataFrame:
    """A person's drivers, strongest first, with their label, value written
    by unit (``display_value``) and ``effect`` (see :func:`with_effects`)."""
    person = with_effects(
        marts, model_key, marts.drivers(model_key, worker_ids=[worker_id])
    )
    units = feature_units(marts, model_key)
    labels = feature_labels(marts, model_key)
    person = person.assign(
        feature_label=person["feature"].map(labels.__getitem__),
        display_value=[
            format_value(text, units.get(str(feature), "number"))
            for text, feature in zip(
                person["feature_value"], person["feature"], strict=True
            )
        ],
    )
    return person.sort_values("driver_rank").reset_index(drop=True)


def person_history(marts: Marts, model_key: str, worker_id: str) -> pd.DataFrame:
    """A person's predictions across the deployed runs, oldest first."""
    history = marts.table("fct_ml_prediction_history")
    person = history[
        (history["model_key"] == model_key) & (history["entity_id"] == worker_id)
    ]
    return person.sort_values(["sample_date", "run_number"]).reset_index(drop=True)


def run_record(marts: Marts, run_id: str) -> pd.Series | None:
    """A run's row of ``dim_ml_runs``, or None for an unknown run."""
    runs = marts.table("dim_ml_runs")
    rows = runs[runs["run_id"] == run_id]
    return None if rows.empty else rows.iloc[0]


def pay_summary(marts: Marts) -> PaySummary:
    """Headline figures of the expected-pay model's shown run."""
    pay = marts.table("fct_ml_expected_pay")
    run_id = marts.shown_run_id(PAY_MODEL) or ""
    run = run_record(marts, run_id)
    dates = pay["sample_date"].dropna()
    return PaySummary(
        run_id=run_id,
        headcount=len(pay),
        average_actual_pay=_mean(pay["actual_base_salary"]),
        average_expected_pay=_mean(pay["expected_base_salary"]),
        average_residual_share=_mean(pay["pay_residual_share"]),
        test_mae=_optional(run, "test_mae"),
        test_r2=_optional(run, "test_r2"),
        sample_date=pd.Timestamp(dates.max()) if len(dates) else None,
    )


def pay_gap_by(
    pay: pd.DataFrame, column: str, *, min_size: int = DEFAULT_MIN_GROUP_SIZE
) -> GroupedRisk:
    """The mean pay gap to expected (actual / expected - 1) per group, with its
    95% interval (mean +- 1.96 standard errors) and head count; groups under
    ``min_size`` merged or left out as in :func:`risk_by`."""
    frame, merged_groups, hidden = small_groups_merged(pay, column, min_size)
    grouped = frame.groupby("group", as_index=False).agg(
        headcount=("worker_id", "size"),
        average_residual_share=("pay_residual_share", "mean"),
        residual_sd=("pay_residual_share", "std"),
        average_actual_pay=("actual_base_salary", "mean"),
        average_expected_pay=("expected_base_salary", "mean"),
        is_merged=("is_merged", "max"),
    )
    error = 1.96 * grouped["residual_sd"].fillna(0) / np.sqrt(grouped["headcount"])
    grouped = grouped.assign(
        gap_lower=grouped["average_residual_share"] - error,
        gap_upper=grouped["average_residual_share"] + error,
        is_merged=grouped["is_merged"].astype(bool),
    ).drop(columns="residual_sd")
    table = (
        grouped.rename(columns={"group": column})
        .sort_values(["is_merged", column])
        .reset_index(drop=True)
    )
    return GroupedRisk(
        table=table,
        min_size=min_size,
        merged_groups=merged_groups,
        hidden_people=hidden,
    )


def _optional(record: pd.Series | None, column: str) -> float | None:
    if record is None or pd.isna(record[column]):
        return None
    return float(record[column])


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


_JITTER_KEY = secrets.token_bytes(16)


def _secret_unit(key: str) -> float:
    """A number in [0, 1) fixed by ``key`` within this process only."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, key=_JITTER_KEY).digest()
    return int.from_bytes(digest, "big") / 2**64


def _stable_unit(key: object) -> float:
    """A number in [0, 1) fixed by ``key``: deterministic jitter and sampling."""
    digest = hashlib.blake2b(str(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def format_date(value: object) -> str:
    """A date as YYYY-MM-DD; '?' when missing (e.g. a scored run with no test)."""
    if value is None or pd.isna(value):
        return "?"
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def format_count(value: float) -> str:
    """1234 -> '1,234'."""
    return f"{value:,.0f}"


def format_decimal(value: float) -> str:
    """Expected leavers: one decimal, 12.345 -> '12.3'."""
    return f"{value:,.1f}"


def format_share(value: float | None) -> str:
    """0.1234 -> '12.3%'."""
    return "n/a" if value is None or np.isnan(value) else f"{value:.1%}"


def percentile_text(value: object) -> str:
    """A risk percentile for people: 0.973 -> '97%' (of the employees)."""
    if value is None or pd.isna(value):
        return "n/a"
    share = float(value)
    if share >= 0.995:
        return "99%"  # never '100%': nobody is riskier than everyone
    return f"{share:.0%}"


def format_money(value: float | None) -> str:
    """Annual pay: 81234.5 -> '81,235'."""
    return "n/a" if value is None or np.isnan(value) else f"{value:,.0f}"


# --- Review: whether to deploy a pending run ---------------------------------

# The smallest group whose figures are shown is the review policy's
# ``min_group_size``, carried by ``fct_ml_subgroup_performance``; below it a
# group's figures are NULL and the page names the group without a number.


def min_group_size(groups: pd.DataFrame) -> int:
    """The run's minimum group size, from the mart (the policy's default 10)."""
    sizes = groups["min_group_size"].dropna() if "min_group_size" in groups else []
    return int(sizes.iloc[0]) if len(sizes) else 10


def suppressed_label(groups: pd.DataFrame) -> str:
    """How a suppressed group's size reads: 'fewer than 10 people'."""
    return f"fewer than {min_group_size(groups)} people"


BANDS = ("low", "medium", "high")
VERDICTS = {
    "pass": "Pass",
    "warn": "Warn",
    "fail": "Fail",
    "not_applicable": "Not applicable",
}
SPLITS = {
    "test": "Test period (outcomes known)",
    "predict": "Predict set (what BI will show)",
}
SPLIT_SHORT = {"test": "Test period", "predict": "Predict set"}
# Test-period figures of the side-by-side: (label, format), in table order.
COMPARED_METRICS = {
    CLASSIFICATION: {
        "roc_auc": ("ROC AUC (ranks leavers above stayers; 0.5 is chance)", "score"),
        "recall_high_band": ("Share of leavers caught in the high band", "share"),
        "precision_high_band": ("Share of the high band who left", "share"),
        "n_high_band": ("People in the high band", "count"),
        "recall_at_threshold": ("Share of leavers flagged", "share"),
        "precision_at_threshold": ("Share of those flagged who left", "share"),
        "threshold": ("Risk at which a person is flagged", "share"),
        "pr_auc": ("PR AUC (precision over recall; higher is better)", "score"),
        "brier": ("Brier score (error of the risk itself; lower is better)", "score"),
    },
    REGRESSION: {
        "mae": ("Mean absolute error", "money"),
        "rmse": ("Root mean squared error", "money"),
        "r2": ("R² (share of the variation explained)", "score"),
        "mean_bias": ("Mean bias (predicted minus actual)", "money"),
    },
}
# Figures per group of the fairness tables: (metric, label, with interval).
GROUP_COLUMNS = {
    (CLASSIFICATION, "test"): (
        ("selection_rate", "Share flagged", True),
        ("high_band_rate", "Share in the high-risk band", False),
        ("observed_rate", "Share who left", False),
        ("selection_rate_ratio", "Flagged ratio vs largest group", True),
    ),
    (CLASSIFICATION, "predict"): (
        ("selection_rate", "Share flagged", True),
        ("high_band_rate", "Share in the high-risk band", False),
        ("selection_rate_ratio", "Flagged ratio vs largest group", True),
    ),
    (REGRESSION, "test"): (
        ("mean_residual", "Actual minus expected (mean)", True),
        ("mean_actual", "Mean actual", False),
        ("mean_predicted", "Mean expected", False),
        ("mae", "Mean absolute error", False),
    ),
    (REGRESSION, "predict"): (("mean_predicted", "Mean expected", True),),
}
_FORMATS = {
    "selection_rate": "share",
    "high_band_rate": "share",
    "observed_rate": "share",
    "true_positive_rate": "share",
    "false_positive_rate": "share",
    "precision": "share",
    "selection_rate_ratio": "ratio",
    "equalized_odds_difference": "ratio",
    "mean_residual": "signed_money",
    "mean_actual": "money",
    "mean_predicted": "money",
    "mae": "money",
}
_GATE_LABELS = {
    "min_test_roc_auc": "Ranks leavers well enough (test ROC AUC)",
    "min_test_r2": "Explains pay well enough (test R²)",
    "max_metric_drop_vs_shown": "No worse than the run BI shows",
    "min_selection_rate_ratio": "Four-fifths rule, {attribute}",
    "max_equalized_odds_difference": "Equal error rates, {attribute}",
    "min_test_minority_rows": "Enough leavers in the test period to judge",
}


@dataclass(frozen=True)
class ReviewRun:
    """A run under review, and what BI shows for its model now."""

    run_id: str
    model_key: str
    run_number: int
    problem_type: str
    status: str
    is_shown: bool
    predict_date: pd.Timestamp | None
    test_date: pd.Timestamp | None
    created_at: pd.Timestamp | None
    n_predict_rows: int
    shown_run_id: str | None
    shown_run_number: int | None
    gate_count: int
    failed_gate_count: int
    warned_gate_count: int
    gate_status: str

    @property
    def is_pending(self) -> bool:
        """Only a pending run can be deployed."""
        return self.status == "pending"


def review_models(marts: Marts) -> list[str]:
    """ML models with runs, those with a pending run first (then by name)."""
    runs = marts.table("dim_ml_runs")
    pending = set(runs.loc[runs["status"] == "pending", "model_key"])
    return sorted(set(runs["model_key"]), key=lambda key: (key not in pending, key))


def review_run_ids(marts: Marts, model_key: str) -> list[str]:
    """A model's runs to review: pending first, each part newest first."""
    runs = marts.runs()
    runs = runs[runs["model_key"] == model_key]
    order = runs.assign(_not_pending=runs["status"] != "pending").sort_values(
        ["_not_pending", "created_at", "run_id"], ascending=[True, False, True]
    )
    return [str(run_id) for run_id in order["run_id"]]


def review_run(marts: Marts, run_id: str) -> ReviewRun:
    """The run and its model's shown run, from ``dim_ml_runs`` / ``dim_ml_models``."""
    run = run_record(marts, run_id)
    if run is None:
        raise KeyError(f"no run {run_id!r} in dim_ml_runs")
    model = marts.models[marts.models["model_key"] == run["model_key"]]
    problem_type = str(model["problem_type"].iloc[0]) if len(model) else ""
    shown = marts.shown_run_id(str(run["model_key"]))
    shown_record = run_record(marts, shown) if shown else None
    return ReviewRun(
        run_id=str(run["run_id"]),
        model_key=str(run["model_key"]),
        run_number=int(run["run_number"]),
        problem_type=problem_type,
        status=str(run["status"]),
        is_shown=bool(run["is_shown"]),
        predict_date=_timestamp(run["predict_date"]),
        test_date=_timestamp(run["test_date"]),
        created_at=_timestamp(run["created_at"]),
        n_predict_rows=_int(run["n_predict_rows"]),
        shown_run_id=shown,
        shown_run_number=None
        if shown_record is None
        else int(shown_record["run_number"]),
        gate_count=_int(run["gate_count"]),
        failed_gate_count=_int(run["failed_gate_count"]),
        warned_gate_count=_int(run["warned_gate_count"]),
        gate_status=str(run["gate_status"]),
    )


def run_comparison(marts: Marts, run_id: str) -> pd.DataFrame:
    """A run's rows of ``fct_ml_run_comparison`` (empty: nothing was shown)."""
    frame = marts.table("fct_ml_run_comparison")
    return frame[frame["run_id"] == run_id].reset_index(drop=True)


def _values(comparison: pd.DataFrame, split: str, column: str) -> dict[str, float]:
    part = comparison[comparison["split"] == split]
    return {
        str(metric): float(value)
        for metric, value in zip(part["metric"], part[column], strict=True)
        if value is not None and not pd.isna(value)
    }


def comparison_headline(comparison: pd.DataFrame, problem_type: str) -> str:
    """The side-by-side in one plain sentence."""
    candidate = _values(comparison, "test", "candidate_value")
    shown = _values(comparison, "test", "compared_value")
    people = format_count(candidate.get("n_rows", 0))
    if problem_type == CLASSIFICATION:
        metric, higher_is_better = "roc_auc", True
        what, label = f"On the same {people} people's outcomes", "ROC AUC"
        verbs = ("ranks leavers better", "ranks leavers worse", "ranks leavers as well")
        digits = 2
    else:
        metric, higher_is_better = "mae", False
        what, label = f"On the same {people} people's pay", "mean absolute error"
        verbs = (
            "comes closer to actual pay",
            "is further from actual pay",
            "comes as close to actual pay",
        )
        digits = 0
    if metric not in candidate or metric not in shown:
        return f"{what}, the test period has no {label} for both runs."
    mine, theirs = candidate[metric], shown[metric]
    if round(mine, digits) == round(theirs, digits):
        verb = verbs[2]
    elif (mine > theirs) == higher_is_better:
        verb = verbs[0]
    else:
        verb = verbs[1]
    return (
        f"{what}, this run {verb}: {label} {mine:,.{digits}f} vs {theirs:,.{digits}f} "
        "for the run BI shows now."
    )


def comparison_table(comparison: pd.DataFrame, problem_type: str) -> pd.DataFrame:
    """Test-period figures of both runs side by side, labelled for people."""
    candidate = _values(comparison, "test", "candidate_value")
    shown = _values(comparison, "test", "compared_value")
    rows = []
    for metric, (label, kind) in COMPARED_METRICS.get(problem_type, {}).items():
        if metric not in candidate and metric not in shown:
            continue
        mine, theirs = candidate.get(metric), shown.get(metric)
        rows.append(
            {
                "Measure": label,
                "This run": _format(mine, kind),
                "Run BI shows": _format(theirs, kind),
                "Change": _format_change(mine, theirs, kind),
            }
        )
    return pd.DataFrame(rows, columns=["Measure", "This run", "Run BI shows", "Change"])


def band_moves(comparison: pd.DataFrame) -> pd.DataFrame:
    """People per band BI shows now (rows) and band this run gives (columns)."""
    moves = _values(comparison, "predict", "candidate_value")
    return pd.DataFrame(
        [
            {
                "from_band": before,
                "to_band": after,
                "people": int(moves.get(f"band_{before}_to_{after}", 0)),
            }
            for before in BANDS
            for after in BANDS
        ]
    )


def band_moves_sentence(comparison: pd.DataFrame) -> str:
    """How many people would change risk band, in words."""
    moves = _values(comparison, "predict", "candidate_value")
    people = format_count(moves.get("n_rows", 0))
    moved = int(moves.get("moved_band", 0))
    if not moved:
        return f"Of the {people} people predicted, nobody would change risk band."
    low_to_high = int(moves.get("band_low_to_high", 0))
    high_to_low = int(moves.get("band_high_to_low", 0))
    jumps = (
        f"{format_count(low_to_high)} from low straight to high risk and "
        f"{format_count(high_to_low)} from high to low."
        if low_to_high or high_to_low
        else "nobody jumps from low straight to high risk, or back."
    )
    return (
        f"Of the {people} people predicted, {format_count(moved)} would change risk "
        f"band: {format_count(moves.get('moved_band_up', 0))} up, "
        f"{format_count(moves.get('moved_band_down', 0))} down; {jumps}"
    )


def driver_changes(comparison: pd.DataFrame) -> dict[str, int]:
    """Drivers gained, lost, flipped, moved and unchanged against the shown run."""
    drivers = _values(comparison, "drivers", "candidate_value")
    return {
        name: int(drivers.get(f"n_{name}", 0))
        for name in ("gained", "lost", "flipped", "moved", "same")
    } | {"top_5_overlap": int(drivers.get("top_5_overlap", 0))}


def subgroups(marts: Marts, run_id: str) -> pd.DataFrame:
    """A run's rows of ``fct_ml_subgroup_performance``."""
    frame = marts.table("fct_ml_subgroup_performance")
    return frame[frame["run_id"] == run_id].reset_index(drop=True)


def review_attributes(groups: pd.DataFrame, kind: str) -> list[str]:
    """The attributes of one kind (protected or slice), in the mart's order."""
    part = groups[groups["attribute_kind"] == kind]
    return list(dict.fromkeys(str(name) for name in part["attribute"]))


def attribute_label(attribute: str) -> str:
    """``ethnicity_group`` -> 'Ethnicity group', ``division_name`` -> 'Division'."""
    return attribute.removesuffix("_name").replace("_", " ").capitalize()


def fairness_table(
    groups: pd.DataFrame, attribute: str, split: str, problem_type: str
) -> pd.DataFrame:
    """One attribute's groups in one split, figures formatted for people.

    A group under the minimum size shows only ``fewer than 10 people``: no
    count, no figure (the mart holds none). The largest group, the reference
    of the ratios, is marked.
    """
    columns = GROUP_COLUMNS.get((problem_type, split), ())
    part = groups[
        (groups["attribute"] == attribute)
        & (groups["split"] == split)
        & groups["group_value"].notna()
    ]
    rows = []
    for group in sorted(dict.fromkeys(part["group_value"]), key=group_order):
        g = part[part["group_value"] == group].set_index("metric")
        reference = bool(g["is_reference_group"].fillna(False).any())
        row = {"Group": f"{group} (largest)" if reference else str(group)}
        if bool(g["is_suppressed"].fillna(False).any()):
            row["People"] = suppressed_label(groups)
            row |= {label: "" for _, label, _ in columns}
            rows.append(row)
            continue
        sizes = g["group_size"].dropna()
        row["People"] = format_count(float(sizes.iloc[0])) if len(sizes) else "n/a"
        for metric, label, with_interval in columns:
            if metric == "selection_rate_ratio" and reference:
                row[label] = "1 (the reference)"
            elif metric not in g.index:
                row[label] = "n/a"
            else:
                row[label] = _format_with_interval(g.loc[metric], metric, with_interval)
        rows.append(row)
    return pd.DataFrame(
        rows, columns=["Group", "People", *(label for _, label, _ in columns)]
    )


def group_order(value: object) -> tuple[int, float, str]:
    """Groups in reading order: 'under 30' before '30-39', levels by number."""
    text = str(value)
    if text.lower().startswith("under"):
        return (0, 0.0, text)
    digits = text[: len(text) - len(text.lstrip("0123456789"))]
    if digits:
        return (1, float(digits), text)
    return (2, 0.0, text)


def fairness_points(
    groups: pd.DataFrame, attribute: str, problem_type: str
) -> pd.DataFrame:
    """The charted figure (share flagged, or pay gap) per shown group and split."""
    metric = "selection_rate" if problem_type == CLASSIFICATION else "mean_residual"
    part = groups[
        (groups["attribute"] == attribute)
        & (groups["metric"] == metric)
        & groups["group_value"].notna()
        & ~groups["is_suppressed"].fillna(False).astype(bool)
        & groups["metric_value"].notna()
    ]
    part = part.iloc[
        sorted(range(len(part)), key=lambda i: group_order(part["group_value"].iloc[i]))
    ]
    return pd.DataFrame(
        {
            "group": part["group_value"].astype(str),
            "split": part["split"].map(SPLIT_SHORT).fillna(part["split"]),
            "value": part["metric_value"].astype(float),
            "ci_low": part["ci_low"].astype(float),
            "ci_high": part["ci_high"].astype(float),
            "people": part["group_size"].astype(float),
        }
    ).reset_index(drop=True)


def largest_group_share_flagged(
    groups: pd.DataFrame, attribute: str, split: str
) -> tuple[str, float] | None:
    """The largest group of an attribute and its share flagged."""
    part = groups[
        (groups["attribute"] == attribute)
        & (groups["split"] == split)
        & (groups["metric"] == "selection_rate")
        & groups["is_reference_group"].fillna(False).astype(bool)
        & groups["metric_value"].notna()
    ]
    if part.empty:
        return None
    return str(part["group_value"].iloc[0]), float(part["metric_value"].iloc[0])


def run_gates(marts: Marts, run_id: str) -> pd.DataFrame:
    """A run's gates, failed first, each with a label and a verdict word."""
    frame = marts.table("fct_ml_run_gates")
    frame = frame[frame["run_id"] == run_id]
    order = {"fail": 0, "warn": 1, "pass": 2, "not_applicable": 3}
    frame = frame.assign(
        label=frame["gate"].map(gate_label),
        message=[
            gate_message(gate, message)
            for gate, message in zip(frame["gate"], frame["gate_message"], strict=True)
        ],
        verdict=frame["gate_status"].map(VERDICTS).fillna(frame["gate_status"]),
        _order=frame["gate_status"].map(order).fillna(4),
    )
    frame = frame.sort_values(["_order", "gate"]).drop(columns="_order")
    return frame.reset_index(drop=True)


def gate_label(gate: str) -> str:
    """``min_selection_rate_ratio:gender`` -> 'Four-fifths rule, gender'."""
    name, _, attribute = str(gate).partition(":")
    template = _GATE_LABELS.get(name, name.replace("_", " ").capitalize())
    return template.format(attribute=attribute_label(attribute).lower() or "all")


def gate_message(gate: str, message: object) -> str:
    """The gate's message, its attribute named as people say it."""
    text = "" if message is None or pd.isna(message) else str(message)
    _, _, attribute = str(gate).partition(":")
    if attribute:
        text = text.replace(f"{attribute} = ", f"{attribute_label(attribute)} ")
    return text


def deploy_command(run: ReviewRun, short_id: str) -> str | None:
    """The command that deploys the run; None when it is not pending."""
    if not run.is_pending:
        return None
    override = " --override-gates" if run.failed_gate_count else ""
    return f'people-ml deploy {short_id}{override} --reason "..."'


def _format(value: float | None, kind: str) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count":
        return format_count(value)
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "signed_money":
        return f"{value:+,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:.3f}"


def _format_change(mine: float | None, theirs: float | None, kind: str) -> str:
    if mine is None or theirs is None:
        return "n/a"
    change = mine - theirs
    if kind == "share":
        text, unit = f"{change * 100:+.1f}", " pts"
    elif kind in ("count", "money"):
        text, unit = f"{change:+,.0f}", ""
    else:
        text, unit = f"{change:+.3f}", ""
    if float(text.replace(",", "")) == 0:  # no '-0.000' for a rounded zero
        text = text[1:]
    return text + unit


def _format_with_interval(row: pd.Series, metric: str, with_interval: bool) -> str:
    kind = _FORMATS.get(metric, "score")
    value = row["metric_value"]
    text = _format(None if pd.isna(value) else float(value), kind)
    if not with_interval or pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return text
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if kind == "share":
        return f"{text} ({low * 100:.1f}–{high:.1%})"
    return f"{text} ({_format(low, kind)}–{_format(high, kind)})"


def _timestamp(value: object) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _int(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


# --- Monitoring: are the deployed models still right? ------------------------

# What a monitoring alert is about, in words (fct_ml_monitoring_alerts.alert_kind).
ALERT_KINDS = {
    "feature_drift": "The people scored differ from the training data",
    "realized_roc_auc_below_gate": "Ranks leavers worse than its review gate",
    "leavers_outside_expected_band": "Leavers outside the expected range",
}
#: How the drift of the predictions themselves is named (feature ``prediction``).
PREDICTION_LABEL = "The predictions themselves"
ISSUE_LABELS = {
    "unseen_category": "Values never seen in training",
    "out_of_range": "Outside the training range",
    "unexpected_null": "Missing, never missing in training",
    "column_missing": "Column gone since the previous run",
    "column_new": "New column (the model ignores it)",
}
DRIFT_STATUS_ORDER = {"alert": 0, "warn": 1, "expected": 2, "ok": 3}
#: The Status of a feature whose drift the spec declares expected.
EXPECTED_DRIFT = "Expected (declared in the spec)"
_RUN_ID = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{20}\b")
UNSEEN_BIN = "(new values)"
LEAVER_METRICS = ("actual_leavers_to_date", "expected_leavers_to_date")


def feature_label(feature: str, labels: Mapping[str, str] | None = None) -> str:
    """A feature as readers see it: its label in the run's spec (``labels``,
    from the marts' ``feature_label``), else its name with spaces."""
    name = str(feature)
    if labels and labels.get(name):
        return str(labels[name])
    if name == "prediction":
        return PREDICTION_LABEL
    return default_label(name)


def model_label(model_key: str) -> str:
    """``expected_pay`` -> 'Expected pay'."""
    return str(model_key).replace("_", " ").capitalize()


def shorten_run_ids(text: str) -> str:
    """Full 32-character run ids as the command line prints them (12)."""
    return _RUN_ID.sub(r"\1", str(text))


def months_text(months: int) -> str:
    """1 -> '1 month', 5 -> '5 months'."""
    return f"{months} month" if months == 1 else f"{months} months"


def _run_numbers(runs: pd.DataFrame) -> dict[str, int]:
    return {
        str(run_id): int(number)
        for run_id, number in zip(runs["run_id"], runs["run_number"], strict=True)
    }


def alert_sentence(
    alert: pd.Series, runs: pd.DataFrame, labels: Mapping[str, str] | None = None
) -> str:
    """One alert of ``fct_ml_monitoring_alerts`` in plain words.

    ``runs`` is ``dim_ml_runs``: it numbers the run and dates its prediction.
    """
    run = runs[runs["run_id"] == alert["run_id"]]
    number = f"#{int(run['run_number'].iloc[0])}" if len(run) else "?"
    predicted = format_date(run["predict_date"].iloc[0]) if len(run) else "?"
    value = float(alert["observed_value"])
    kind = str(alert["alert_kind"])
    if kind == "feature_drift":
        return (
            f"**{feature_label(alert['subject'], labels)}** has shifted since the "
            f"model learned: PSI {value:.2f} (alert above "
            f"{float(alert['threshold']):.2f}) for the people run {number} scored "
            f"as of {predicted}."
        )
    months = months_text(_int(alert["months_since_prediction"]))
    if kind == "realized_roc_auc_below_gate":
        return (
            f"Run {number} no longer ranks leavers well enough: {months} after "
            f"its prediction of {predicted}, its realized ROC AUC is {value:.2f} "
            f"(95% interval {float(alert['lower_bound']):.2f}–"
            f"{float(alert['upper_bound']):.2f}), below the review gate "
            f"{float(alert['threshold']):.2f}."
        )
    if kind == "leavers_outside_expected_band":
        direction = "More" if value > float(alert["upper_bound"]) else "Fewer"
        return (
            f"{direction} people left than run {number} predicted: "
            f"{format_count(value)} in the {months} since {predicted}, against "
            f"{format_decimal(float(alert['threshold']))} expected (chance alone "
            f"allows {float(alert['lower_bound']):,.0f}–"
            f"{float(alert['upper_bound']):,.0f})."
        )
    return shorten_run_ids(str(alert["alert_message"]))


def model_alerts(
    alerts: pd.DataFrame,
    runs: pd.DataFrame,
    model_key: str,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """A model's alerts firing now, in words: realized performance first."""
    part = alerts[alerts["model_key"] == model_key]
    order = {kind: index for index, kind in enumerate(reversed(ALERT_KINDS))}
    part = part.assign(
        _order=part["alert_kind"].map(order).fillna(len(order)),
        _value=-part["observed_value"].astype(float),
    ).sort_values(["_order", "_value", "subject"])
    return [alert_sentence(alert, runs, labels) for _, alert in part.iterrows()]


def unfreeze_hint(
    models: pd.DataFrame, runs: pd.DataFrame, model_key: str
) -> str | None:
    """What to do about an alert on a frozen model; None when it is not frozen."""
    model = models[models["model_key"] == model_key]
    if model.empty or not bool(model["is_frozen"].fillna(False).iloc[0]):
        return None
    frozen = model["frozen_run_id"].iloc[0]
    number = _run_numbers(runs).get(str(frozen))
    run = f"run #{number}" if number is not None else "a persisted run"
    return (
        f"The model is frozen ({run}): it keeps scoring with what it learned "
        "then. To learn from today's people: "
        f'`people-ml unfreeze {model_key} --reason "..."`, then `dbt build` '
        "trains a new run to review."
    )


def outcome_runs(
    realized: pd.DataFrame, runs: pd.DataFrame, model_key: str
) -> pd.DataFrame:
    """A classification model's deployed runs and their months of outcomes.

    One row per run of ``fct_ml_realized_performance``: its number, predict
    date, label horizon, the months of outcomes known (0: none yet), whether BI
    shows it and whether it is still inside its window; newest first.
    """
    part = realized[
        (realized["model_key"] == model_key)
        & (realized["metric_name"] == "actual_leavers_to_date")
    ]
    columns = [
        "run_id",
        "run_number",
        "predict_date",
        "label_horizon_months",
        "months_with_outcomes",
        "is_shown_run",
        "is_monitored",
    ]
    if part.empty:
        return pd.DataFrame(columns=columns)
    grouped = part.groupby("run_id", as_index=False).agg(
        predict_date=("predict_date", "max"),
        label_horizon_months=("label_horizon_months", "max"),
        months_with_outcomes=("months_since_prediction", "max"),
        is_shown_run=("is_shown_run", "max"),
        is_monitored=("is_monitored", "max"),
    )
    grouped["run_number"] = grouped["run_id"].map(_run_numbers(runs))
    grouped["is_shown_run"] = grouped["is_shown_run"].fillna(False).astype(bool)
    grouped["is_monitored"] = grouped["is_monitored"].fillna(False).astype(bool)
    grouped = grouped.sort_values(
        ["predict_date", "run_id"], ascending=[False, True]
    ).reset_index(drop=True)
    return grouped[columns]


@dataclass(frozen=True)
class RunChoice:
    """The run a page opens on, and why, in words (``run_id`` None: no run)."""

    run_id: str | None
    reason: str


def default_outcome_run(outcomes: pd.DataFrame) -> RunChoice:
    """The run whose expected and actual leavers the page opens on.

    The shown run when it already has a month of outcomes; else the deployed
    run with the most months of outcomes, one still inside its window first
    (a frozen model's shown run is its newest scored run: too young for
    outcomes). ``outcomes`` is :func:`outcome_runs`.
    """
    shown = outcomes[outcomes["is_shown_run"]]
    shown_row = shown.iloc[0] if len(shown) else None
    if shown_row is not None and shown_row["months_with_outcomes"] > 0:
        return RunChoice(
            str(shown_row["run_id"]),
            f"Run #{shown_row['run_number']} is the run BI shows; "
            f"{months_text(int(shown_row['months_with_outcomes']))} of outcomes "
            "are known.",
        )
    with_outcomes = outcomes[outcomes["months_with_outcomes"] > 0]
    if with_outcomes.empty:
        return RunChoice(None, "No deployed run has a month of outcomes yet.")
    best = with_outcomes.sort_values(
        ["is_monitored", "months_with_outcomes", "predict_date", "run_id"],
        ascending=[False, False, False, True],
    ).iloc[0]
    months = months_text(int(best["months_with_outcomes"]))
    if shown_row is None:
        why = "BI shows no run of this model now"
    else:
        why = (
            f"BI shows run #{shown_row['run_number']}, which predicted on "
            f"{format_date(shown_row['predict_date'])}: too recent for any "
            "outcome yet (a frozen model's newest scored run is shown)"
        )
    return RunChoice(
        str(best["run_id"]),
        f"{why}, so this opens on run #{best['run_number']}, the deployed run with "
        f"the most outcomes known ({months}).",
    )


def leaver_trend(realized: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """Actual and expected leavers to date per month, with the 95% band."""
    part = realized[
        (realized["run_id"] == run_id) & realized["metric_name"].isin(LEAVER_METRICS)
    ]
    wide = part.pivot_table(
        index=["months_since_prediction", "observed_through_date"],
        columns="metric_name",
        values="metric_value",
        aggfunc="first",
    )
    bounds = part[part["metric_name"] == "expected_leavers_to_date"].set_index(
        ["months_since_prediction", "observed_through_date"]
    )[["lower_bound", "upper_bound"]]
    trend = wide.join(bounds).reset_index()
    trend = trend.rename(
        columns={
            "actual_leavers_to_date": "actual",
            "expected_leavers_to_date": "expected",
            "lower_bound": "lower",
            "upper_bound": "upper",
        }
    )
    for column in ("actual", "expected", "lower", "upper"):
        if column not in trend:
            trend[column] = np.nan
    columns = [
        "months_since_prediction",
        "observed_through_date",
        "actual",
        "expected",
        "lower",
        "upper",
    ]
    return trend[columns].sort_values("months_since_prediction").reset_index(drop=True)


@dataclass(frozen=True)
class RealizedLeavers:
    """A classification run's realized figures at its latest month."""

    run_id: str
    predict_date: pd.Timestamp | None
    label_horizon_months: int
    months: int
    observed_through_date: pd.Timestamp | None
    people: int
    actual: float
    expected: float
    lower: float
    upper: float
    roc_auc: float | None
    roc_auc_low: float | None
    roc_auc_high: float | None
    gate: float | None
    test_roc_auc: float | None
    high_band_precision: float | None
    high_band_recall: float | None

    @property
    def leaver_share(self) -> float:
        """Leavers so far as a share of the people predicted."""
        return self.actual / self.people if self.people else float("nan")

    @property
    def high_band_leavers(self) -> int | None:
        """Leavers so far who were in the high band."""
        if self.high_band_recall is None:
            return None
        return round(self.high_band_recall * self.actual)

    @property
    def high_band_people(self) -> int | None:
        """People the run put in the high band (from its precision)."""
        leavers = self.high_band_leavers
        if not leavers or not self.high_band_precision:
            return None
        return round(leavers / self.high_band_precision)


def realized_leavers(realized: pd.DataFrame, run_id: str) -> RealizedLeavers:
    """A run's realized figures at the latest month of outcomes it has."""
    part = realized[(realized["run_id"] == run_id) & realized["decile"].isna()]
    if part.empty:
        raise KeyError(f"no realized performance for run {run_id!r}")
    month = int(part["months_since_prediction"].max())
    latest = part[part["months_since_prediction"] == month].set_index("metric_name")

    def value(metric: str, column: str = "metric_value") -> float | None:
        if metric not in latest.index or pd.isna(latest.loc[metric, column]):
            return None
        return float(latest.loc[metric, column])

    first = latest.iloc[0]
    return RealizedLeavers(
        run_id=run_id,
        predict_date=_timestamp(first["predict_date"]),
        label_horizon_months=_int(first["label_horizon_months"]),
        months=month,
        observed_through_date=_timestamp(first["observed_through_date"]),
        people=_int(latest.loc["actual_leavers_to_date", "row_count"])
        if "actual_leavers_to_date" in latest.index
        else 0,
        actual=value("actual_leavers_to_date") or 0.0,
        expected=value("expected_leavers_to_date") or 0.0,
        lower=value("expected_leavers_to_date", "lower_bound") or 0.0,
        upper=value("expected_leavers_to_date", "upper_bound") or 0.0,
        roc_auc=value("roc_auc"),
        roc_auc_low=value("roc_auc", "lower_bound"),
        roc_auc_high=value("roc_auc", "upper_bound"),
        gate=value("roc_auc", "gate_threshold"),
        test_roc_auc=value("roc_auc", "test_metric_value"),
        high_band_precision=value("high_band_precision"),
        high_band_recall=value("high_band_recall"),
    )


def prediction_window(run_number: int, summary: RealizedLeavers) -> str:
    """The run's prediction window and how much of it has passed, in words."""
    return (
        f"Run #{run_number} predicted on {format_date(summary.predict_date)} who of "
        f"{format_count(summary.people)} people would leave within "
        f"{months_text(summary.label_horizon_months)}; "
        f"{summary.months} of those {summary.label_horizon_months} months have "
        f"passed (outcomes known through "
        f"{format_date(summary.observed_through_date)})."
    )


def band_verdict(summary: RealizedLeavers) -> str:
    """Actual leavers against the expected band, in words."""
    band = f"{summary.lower:,.0f}–{summary.upper:,.0f}"
    if summary.actual > summary.upper:
        return (
            f"More people left than the model expected, beyond what chance "
            f"explains (expected {format_decimal(summary.expected)}, chance alone "
            f"allows {band}): the model underestimates risk now."
        )
    if summary.actual < summary.lower:
        return (
            f"Fewer people left than the model expected, beyond what chance "
            f"explains (expected {format_decimal(summary.expected)}, chance alone "
            f"allows {band}): the model overestimates risk now."
        )
    return (
        f"Within the range chance alone explains ({band} around "
        f"{format_decimal(summary.expected)} expected): the model's count holds."
    )


def roc_auc_sentence(summary: RealizedLeavers) -> str:
    """The realized ROC AUC against the review gate, in words."""
    if summary.roc_auc is None:
        return "Ranking quality needs at least one leaver and one stayer: none yet."
    interval = (
        f" (95% interval {summary.roc_auc_low:.2f}–{summary.roc_auc_high:.2f})"
        if summary.roc_auc_low is not None and summary.roc_auc_high is not None
        else ""
    )
    text = (
        f"Realized ROC AUC {summary.roc_auc:.2f}{interval}: the chance that a "
        "leaver was given a higher risk than a stayer (0.5 is a coin toss)."
    )
    if summary.gate is not None and summary.roc_auc_high is not None:
        if summary.roc_auc_high < summary.gate:
            text += f" Below the review gate {summary.gate:.2f} beyond doubt."
        elif summary.roc_auc_low is not None and summary.roc_auc_low >= summary.gate:
            text += f" Above the review gate {summary.gate:.2f}."
        else:
            text += (
                f" The interval straddles the review gate {summary.gate:.2f}: "
                "too few outcomes yet to tell."
            )
    if summary.test_roc_auc is not None:
        text += f" On its test period it was {summary.test_roc_auc:.2f}."
    return text


def high_band_sentence(summary: RealizedLeavers) -> str:
    """Precision and recall of the high risk band, in words."""
    if summary.high_band_recall is None or not summary.actual:
        return "Nobody predicted has left yet, so the high-risk band cannot be judged."
    leavers = summary.high_band_leavers or 0
    people = summary.high_band_people
    if people:
        flagged = (
            f"Of the {format_count(people)} people flagged high risk, "
            f"{format_count(leavers)} ({format_share(summary.high_band_precision)}) "
            "have left so far"
        )
    else:
        flagged = "None of the people flagged high risk have left so far"
    return (
        f"{flagged}; they are {format_share(summary.high_band_recall)} of the "
        f"{format_count(summary.actual)} who left."
    )


def latest_drift_run(drift: pd.DataFrame, model_key: str) -> pd.Series | None:
    """The model's latest run with drift figures (its newest predict set)."""
    part = drift[(drift["model_key"] == model_key) & drift["is_latest_run"]]
    if part.empty:
        return None
    return part.sort_values("run_number").iloc[-1]


def psi_status(status: object, warn: object, alert: object) -> str:
    """``warn`` -> 'Warning: above 0.10' (the threshold crossed).

    ``expected`` (a feature the spec lists under ``monitoring.expected_drift``
    whose PSI is above the warning threshold) is :data:`EXPECTED_DRIFT`: shown,
    never a warning.
    """
    if status == "expected":
        return EXPECTED_DRIFT
    if status == "alert":
        return f"Alert: above {float(alert):.2f}"
    if status == "warn":
        return f"Warning: above {float(warn):.2f}"
    if status == "ok":
        return "OK"
    return "n/a"


def drift_table(drift: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """A run's drift per feature, the largest PSI first, labelled for people.

    Columns: Feature, PSI, Status (with the threshold crossed), the KS
    statistic (numbers) or JS distance (categories), and the feature's name
    in the marts. The predictions themselves (feature ``prediction``) are left
    out: :func:`prediction_drift` says how they moved.
    """
    part = drift[(drift["run_id"] == run_id) & (drift["feature"] != "prediction")]
    psi = part[part["statistic"] == "psi"].set_index("feature")
    other = part[part["statistic"] != "psi"]
    distances = {
        str(feature): (f"KS {value:.3f}" if statistic == "ks" else f"JS {value:.3f}")
        for feature, statistic, value in zip(
            other["feature"], other["statistic"], other["statistic_value"], strict=True
        )
    }
    labels = (
        dict(zip(psi.index, psi["feature_label"], strict=True))
        if "feature_label" in psi
        else {}
    )
    rows = [
        {
            "Feature": feature_label(str(feature), labels),
            "PSI": float(row["statistic_value"]),
            "Status": psi_status(
                row["drift_status"], row["warn_threshold"], row["alert_threshold"]
            ),
            "KS / JS": distances.get(str(feature), "n/a"),
            "feature": str(feature),
            "_order": DRIFT_STATUS_ORDER.get(str(row["drift_status"]), 4),
        }
        for feature, row in psi.iterrows()
    ]
    table = pd.DataFrame(
        rows,
        columns=[
            "Feature",
            "PSI",
            "Status",
            "KS / JS",
            "feature",
            "_order",
        ],
    )
    table = table.sort_values(
        ["PSI", "_order", "Feature"], ascending=[False, True, True]
    )
    return table.drop(columns="_order").reset_index(drop=True)


def drift_baseline(drift: pd.DataFrame, run_id: str) -> str | None:
    """The run whose training data a run's features are compared with."""
    part = drift[(drift["run_id"] == run_id) & (drift["baseline"] == "training")]
    ids = part["baseline_run_id"].dropna()
    return str(ids.iloc[0]) if len(ids) else None


def prediction_drift(
    drift: pd.DataFrame,
    run_id: str,
    runs: pd.DataFrame,
    *,
    what: str = "The risk scores",
) -> str | None:
    """How the run's predictions (``what``) moved against the previous run's."""
    part = drift[
        (drift["run_id"] == run_id)
        & (drift["feature"] == "prediction")
        & (drift["statistic"] == "psi")
    ]
    if part.empty:
        return None
    row = part.iloc[0]
    previous = _run_numbers(runs).get(str(row["baseline_run_id"]))
    against = f"run #{previous}'s" if previous is not None else "the previous run's"
    value = float(row["statistic_value"])
    # The prediction's own shift is reported, never an alert of its own
    # (docs/monitoring.md): only features raise drift alerts.
    if row["drift_status"] in ("alert", "warn"):
        verdict = (
            f"moved (above {float(row['warn_threshold']):.2f}): reported, not an "
            "alert of its own; the features' drift says why"
        )
    else:
        verdict = "no material shift"
    return f"{what} themselves, against {against}: PSI {value:.2f}, {verdict}."


def bin_label(label: object, lower: object, upper: object) -> str:
    """A bin as people read it: 'up to 0.8795', '0.8795 to 0.9098', 'above 1.075'.

    Categorical bins (no edges) keep their level.
    """
    has_lower = lower is not None and not pd.isna(lower)
    has_upper = upper is not None and not pd.isna(upper)
    if has_lower and has_upper:
        return f"{float(lower):.4g} to {float(upper):.4g}"
    if has_upper:
        return f"up to {float(upper):.4g}"
    if has_lower:
        return f"above {float(lower):.4g}"
    return UNSEEN_BIN if str(label) == "(unseen levels)" else str(label)


def drift_bins(bins: pd.DataFrame, run_id: str, feature: str) -> pd.DataFrame:
    """One feature's bins, training share beside today's, for a bar chart."""
    part = bins[(bins["run_id"] == run_id) & (bins["feature"] == feature)]
    part = part.sort_values("bin_number")
    labels = [
        bin_label(label, lower, upper)
        for label, lower, upper in zip(
            part["bin_label"], part["lower_bound"], part["upper_bound"], strict=True
        )
    ]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "bin_number": part["bin_number"].to_numpy(),
                    "bin_label": labels,
                    "which": label,
                    "share": part[column].astype(float).to_numpy(),
                }
            )
            for label, column in (
                ("Training data", "reference_share"),
                ("Now", "current_share"),
            )
        ],
        ignore_index=True,
    )
    return frame.sort_values(
        ["bin_number", "which"], ascending=[True, False]
    ).reset_index(drop=True)


def examples_text(examples: object) -> str:
    """The JSON list of examples as a short text: numbers to 4 digits."""
    if examples is None or (not isinstance(examples, str) and pd.isna(examples)):
        return ""
    try:
        values = json.loads(str(examples))
    except ValueError:
        return str(examples)
    if not isinstance(values, list):
        values = [values]
    return ", ".join(
        f"{value:.4g}"
        if isinstance(value, float)
        else "(missing)"
        if value is None
        else str(value)
        for value in values
    )


def input_issue_table(
    issues: pd.DataFrame, run_id: str, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A run's input issues, warnings first, then by people affected."""
    part = issues[issues["run_id"] == run_id]
    part = part.assign(
        _order=(part["severity"] != "warning").astype(int),
    ).sort_values(["_order", "row_count", "feature"], ascending=[True, False, True])
    table = pd.DataFrame(
        {
            "Feature": part["feature"].map(lambda f: feature_label(f, labels)),
            "Issue": part["issue"].map(ISSUE_LABELS).fillna(part["issue"]),
            "People": part["row_count"].astype(int),
            "Share": part["row_share"].astype(float),
            "Examples": part["examples"].map(examples_text),
            "Severity": part["severity"].str.capitalize(),
            "What to do": [
                shorten_run_ids(str(message)).removeprefix(f"{feature}: ")
                for feature, message in zip(
                    part["feature"], part["issue_message"], strict=True
                )
            ],
        }
    )
    return table.reset_index(drop=True)


def realized_pay(
    realized: pd.DataFrame, runs: pd.DataFrame, model_key: str
) -> pd.DataFrame:
    """A regression model's realized error per deployed run, newest first."""
    part = realized[
        (realized["model_key"] == model_key)
        & realized["metric_name"].isin(["mae", "bias", "mape"])
    ]
    columns = [
        "run_id",
        "run_number",
        "predict_date",
        "people",
        "mae",
        "bias",
        "mape",
        "test_mae",
        "is_shown_run",
    ]
    if part.empty:
        return pd.DataFrame(columns=columns)
    wide = part.pivot_table(
        index="run_id", columns="metric_name", values="metric_value", aggfunc="first"
    )
    meta = part.groupby("run_id").agg(
        predict_date=("predict_date", "max"),
        people=("row_count", "max"),
        is_shown_run=("is_shown_run", "max"),
    )
    test = part[part["metric_name"] == "mae"].set_index("run_id")["test_metric_value"]
    frame = meta.join(wide).join(test.rename("test_mae")).reset_index()
    for column in ("mae", "bias", "mape"):
        if column not in frame:
            frame[column] = np.nan
    frame["run_number"] = frame["run_id"].map(_run_numbers(runs))
    frame["is_shown_run"] = frame["is_shown_run"].fillna(False).astype(bool)
    frame = frame.sort_values(["predict_date", "run_id"], ascending=[False, True])
    return frame[columns].reset_index(drop=True)


def pay_sentence(row: pd.Series) -> str:
    """A regression run's realized error and bias in words.

    ``row`` is a row of :func:`realized_pay`.
    """
    if pd.isna(row["mae"]):
        return "No salary to compare with yet."
    text = (
        f"Expected pay misses actual pay by {format_money(row['mae'])} a year "
        "on average"
    )
    test = row["test_mae"]
    if not pd.isna(test) and test:
        ratio = float(row["mae"]) / float(test)
        text += (
            f", {ratio:.1f} times its test-period error ({format_money(test)})"
            if ratio >= 1.2
            else f", about its test-period error ({format_money(test)})"
            if ratio > 0.8
            else f", less than its test-period error ({format_money(test)})"
        )
    bias = row["bias"]
    if not pd.isna(bias):
        side = "below" if bias < 0 else "above"
        text += f"; actual pay is {format_money(abs(bias))} {side} expected on average"
    return text + "."
