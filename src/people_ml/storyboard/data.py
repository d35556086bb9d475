"""What the storyboard shows, computed from one publication of the marts.

Pure pandas over the published Parquet files (:mod:`people_ml.publish`): no
Streamlit here, so every figure on a page is testable on its own, and the
warehouse is never opened (a build may be writing it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

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

    def profile(self, run_id: str) -> pd.DataFrame:
        """A run's EDA profile, selected features first."""
        frame = self.table("fct_ml_feature_profile")
        frame = frame[frame["run_id"] == run_id]
        return frame.sort_values(
            ["status", "target_association"], ascending=[False, False]
        ).reset_index(drop=True)


def risk_summary(marts: Marts, model_key: str) -> RiskSummary:
    """Headcount, expected leavers, high-risk headcount and average risk."""
    predictions = marts.predictions(model_key)
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
    )


def risk_by(predictions: pd.DataFrame, column: str) -> pd.DataFrame:
    """Headcount, expected leavers and high-risk headcount per value of ``column``.

    Missing values are grouped as ``(unknown)``; sorted by expected leavers.
    """
    frame = predictions.assign(
        group=predictions[column].astype("string").fillna("(unknown)"),
        is_high=predictions["risk_band"] == "high",
    )
    grouped = frame.groupby("group", as_index=False).agg(
        headcount=("prediction", "size"),
        expected_leavers=("prediction", "sum"),
        high_risk_headcount=("is_high", "sum"),
    )
    grouped["high_risk_share"] = grouped["high_risk_headcount"] / grouped["headcount"]
    grouped = grouped.rename(columns={"group": column})
    return grouped.sort_values(
        ["expected_leavers", column], ascending=[False, True]
    ).reset_index(drop=True)


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
    frame["jitter"] = frame["worker_id"].map(_stable_unit) - 0.5
    columns = [
        "worker_id",
        "feature",
        "feature_value",
        "shap_value",
        "value_percentile",
        "jitter",
    ]
    return frame[columns].reset_index(drop=True)


def sample_entities(entity_ids: Iterable[object], limit: int) -> list[str]:
    """At most ``limit`` of the ids, chosen by a hash: the same on every reload."""
    unique = sorted({str(entity_id) for entity_id in entity_ids})
    return sorted(unique, key=_stable_unit)[:limit]


def person_drivers(marts: Marts, model_key: str, worker_id: str) -> pd.DataFrame:
    """A person's drivers, strongest first."""
    person = marts.drivers(model_key, worker_ids=[worker_id])
    person = person.assign(
        display_value=[
            display_value(text, number)
            for text, number in zip(
                person["feature_value"], person["feature_value_numeric"], strict=True
            )
        ]
    )
    return person.sort_values("driver_rank").reset_index(drop=True)


def display_value(text: object, number: object) -> str:
    """A feature value for people: numbers to 4 significant digits."""
    if number is not None and not pd.isna(number):
        return f"{float(number):.4g}"
    if text is None or pd.isna(text):
        return "(missing)"
    return str(text)


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


def pay_gap_by(pay: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean pay residual share (actual over expected, minus 1) per group."""
    frame = pay.assign(group=pay[column].astype("string").fillna("(unknown)"))
    grouped = frame.groupby("group", as_index=False).agg(
        headcount=("worker_id", "size"),
        average_residual_share=("pay_residual_share", "mean"),
        average_actual_pay=("actual_base_salary", "mean"),
        average_expected_pay=("expected_base_salary", "mean"),
    )
    return (
        grouped.rename(columns={"group": column})
        .sort_values(column)
        .reset_index(drop=True)
    )


def _optional(record: pd.Series | None, column: str) -> float | None:
    if record is None or pd.isna(record[column]):
        return None
    return float(record[column])


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


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


def format_money(value: float | None) -> str:
    """Annual pay: 81234.5 -> '81,235'."""
    return "n/a" if value is None or np.isnan(value) else f"{value:,.0f}"
