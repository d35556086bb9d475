"""The storyboard's figures on small frames: grouping, beeswarm points, formats."""

from __future__ import annotations

import pandas as pd
import pytest

from people_ml.storyboard import data


def _predictions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "worker_id": ["a", "b", "c", "d"],
            "division_name": ["Sales", "Sales", None, "Ops"],
            "prediction": [0.5, 0.1, 0.2, 0.05],
            "risk_band": ["high", "low", "medium", "low"],
        }
    )


def test_risk_by_sums_risk_counts_high_and_keeps_unknown_groups():
    grouped = data.risk_by(_predictions(), "division_name").set_index("division_name")
    assert list(grouped.index) == ["Sales", "(unknown)", "Ops"]  # by expected leavers
    assert grouped.loc["Sales", "headcount"] == 2
    assert grouped.loc["Sales", "expected_leavers"] == pytest.approx(0.6)
    assert grouped.loc["Sales", "high_risk_headcount"] == 1
    assert grouped.loc["Sales", "high_risk_share"] == pytest.approx(0.5)
    assert grouped["headcount"].sum() == 4  # nobody lost to a null group


def test_risk_bands_lists_every_band_even_when_empty():
    bands = data.risk_bands(_predictions().query("risk_band != 'medium'"))
    assert bands.to_dict("list") == {
        "risk_band": ["high", "medium", "low"],
        "headcount": [1, 0, 2],
    }


def _drivers(people: int) -> pd.DataFrame:
    rows = []
    for index in range(people):
        rows.append((f"w{index:04d}", "tenure", str(index), float(index), 0.01 * index))
        rows.append((f"w{index:04d}", "region", "EU", None, -0.1))
    return pd.DataFrame(
        rows,
        columns=[
            "worker_id",
            "feature",
            "feature_value",
            "feature_value_numeric",
            "shap_value",
        ],
    )


def test_beeswarm_thins_to_the_same_people_for_every_feature_deterministically():
    drivers = _drivers(1000)
    points = data.beeswarm_points(
        drivers, ["tenure", "region"], max_points_per_feature=100
    )
    by_feature = points.groupby("feature")["worker_id"].apply(set)
    assert len(by_feature["tenure"]) == 100
    assert by_feature["tenure"] == by_feature["region"]
    again = data.beeswarm_points(
        drivers.sample(frac=1, random_state=3),
        ["tenure", "region"],
        max_points_per_feature=100,
    )
    assert set(again["worker_id"]) == set(points["worker_id"])
    assert points["jitter"].between(-0.5, 0.5).all()


def test_beeswarm_colours_numbers_by_percentile_and_leaves_categories_grey():
    points = data.beeswarm_points(_drivers(10), ["tenure", "region"])
    tenure = points[points["feature"] == "tenure"].sort_values("shap_value")
    assert tenure["value_percentile"].is_monotonic_increasing
    assert tenure["value_percentile"].max() == 1.0
    assert points.loc[points["feature"] == "region", "value_percentile"].isna().all()


@pytest.mark.parametrize(
    ("text", "number", "shown"),
    [
        ("0.865492393915", 0.865492393915, "0.8655"),
        ("12", 12.0, "12"),
        ("Sales", None, "Sales"),
        (None, None, "(missing)"),
    ],
)
def test_display_value_rounds_numbers_only(text, number, shown):
    assert data.display_value(text, number) == shown


def test_formats():
    assert data.format_date(pd.NaT) == "?"
    assert data.format_date(None) == "?"
    assert data.format_date(pd.Timestamp("2026-10-31")) == "2026-10-31"
    assert data.format_share(float("nan")) == "n/a"
    assert data.format_share(0.1234) == "12.3%"
    assert data.format_money(81234.5) == "81,234"
    assert data.format_decimal(1234.56) == "1,234.6"
    assert data.format_count(2112) == "2,112"
