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


# --- The Review page's figures ---------------------------------------------------


def _groups() -> pd.DataFrame:
    rows = []
    for group, size, share, low, high, reference, suppressed in [
        ("Male", 224, 0.116, 0.078, 0.166, True, False),
        ("Female", 166, 0.193, 0.133, 0.247, False, False),
        ("Nonbinary", None, None, None, None, False, True),
    ]:
        for metric, value in [
            ("selection_rate", share),
            ("high_band_rate", None if suppressed else 0.1),
            ("observed_rate", None if suppressed else 0.12),
            ("selection_rate_ratio", None if reference or suppressed else 1.66),
        ]:
            if metric == "selection_rate_ratio" and reference:
                continue  # the mart holds no ratio for the reference itself
            rows.append(
                {
                    "split": "test",
                    "attribute": "gender",
                    "attribute_kind": "protected",
                    "group_value": group,
                    "metric": metric,
                    "metric_value": value,
                    "ci_low": low if metric == "selection_rate" else None,
                    "ci_high": high if metric == "selection_rate" else None,
                    "group_size": size,
                    "is_suppressed": suppressed,
                    "is_reference_group": reference,
                }
            )
    # the attribute's summary row is not a group
    rows.append({**rows[0], "group_value": None, "metric": "selection_rate_ratio"})
    return pd.DataFrame(rows)


def test_fairness_table_names_suppressed_groups_without_a_figure():
    table = data.fairness_table(_groups(), "gender", "test", data.CLASSIFICATION)
    assert list(table["Group"]) == ["Female", "Male (largest)", "Nonbinary"]
    rows = table.set_index("Group")
    assert rows.loc["Nonbinary", "People"] == "fewer than 10 people"
    assert (rows.loc["Nonbinary"].drop("People") == "").all()
    assert rows.loc["Female", "People"] == "166"
    assert rows.loc["Female", "Share flagged"] == "19.3% (13.3–24.7%)"
    assert rows.loc["Female", "Flagged ratio vs largest group"] == "1.66"
    assert rows.loc["Male (largest)", "Flagged ratio vs largest group"] == (
        "1 (the reference)"
    )
    assert data.largest_group_share_flagged(_groups(), "gender", "test") == (
        "Male",
        pytest.approx(0.116),
    )
    points = data.fairness_points(_groups(), "gender", data.CLASSIFICATION)
    assert list(points["group"]) == ["Female", "Male"]  # no suppressed point


def _comparison(candidate: float, shown: float) -> pd.DataFrame:
    rows = [
        ("test", "n_rows", 412.0, 412.0),
        ("test", "roc_auc", candidate, shown),
        ("test", "recall_high_band", 0.35, 0.30),
        ("test", "brier", 0.08849, 0.08851),
        ("predict", "n_rows", 500.0, 500.0),
        ("predict", "moved_band", 12.0, None),
        ("predict", "moved_band_up", 5.0, None),
        ("predict", "moved_band_down", 7.0, None),
        ("predict", "band_low_to_high", 2.0, None),
        ("predict", "band_low_to_low", 300.0, None),
        ("drivers", "n_gained", 1.0, None),
        ("drivers", "top_5_overlap", 4.0, None),
    ]
    return pd.DataFrame(
        rows, columns=["split", "metric", "candidate_value", "compared_value"]
    )


@pytest.mark.parametrize(
    ("candidate", "shown", "verdict"),
    [
        (0.79, 0.76, "ranks leavers better: ROC AUC 0.79 vs 0.76"),
        (0.70, 0.76, "ranks leavers worse: ROC AUC 0.70 vs 0.76"),
        (0.7601, 0.7599, "ranks leavers as well: ROC AUC 0.76 vs 0.76"),
    ],
)
def test_comparison_headline_says_better_worse_or_as_well(candidate, shown, verdict):
    headline = data.comparison_headline(
        _comparison(candidate, shown), data.CLASSIFICATION
    )
    assert headline.startswith("On the same 412 people's outcomes, this run ")
    assert verdict in headline


def test_comparison_table_labels_formats_and_never_prints_minus_zero():
    table = data.comparison_table(
        _comparison(0.79, 0.76), data.CLASSIFICATION
    ).set_index("Measure")
    caught = table.loc["Share of leavers caught in the high band"]
    assert list(caught) == ["35.0%", "30.0%", "+5.0 pts"]
    brier = table.loc[next(i for i in table.index if i.startswith("Brier"))]
    assert brier["Change"] == "0.000"
    assert not any("_" in label for label in table.index)  # labels, not columns


def test_band_moves_and_driver_changes_read_the_pair_figures():
    comparison = _comparison(0.79, 0.76)
    moves = data.band_moves(comparison).set_index(["from_band", "to_band"])
    assert len(moves) == 9
    assert moves.loc[("low", "high"), "people"] == 2
    assert moves.loc[("high", "low"), "people"] == 0
    sentence = data.band_moves_sentence(comparison)
    assert "Of the 500 people predicted, 12 would change risk band: 5 up, 7 down" in (
        sentence
    )
    assert "2 from low straight to high risk" in sentence
    changes = data.driver_changes(comparison)
    assert changes["gained"] == 1 and changes["lost"] == 0
    assert changes["top_5_overlap"] == 4


def _review_run(status: str, failed: int) -> data.ReviewRun:
    return data.ReviewRun(
        run_id="a" * 32,
        model_key="attrition",
        run_number=2,
        problem_type=data.CLASSIFICATION,
        status=status,
        is_shown=False,
        predict_date=None,
        test_date=None,
        created_at=None,
        n_predict_rows=10,
        shown_run_id=None,
        shown_run_number=None,
        gate_count=3,
        failed_gate_count=failed,
        warned_gate_count=0,
        gate_status="fail" if failed else "pass",
    )


def test_deploy_command_needs_override_only_when_a_gate_failed():
    assert (
        data.deploy_command(_review_run("pending", 0), "aaaaaaaaaaaa")
        == 'people-ml deploy aaaaaaaaaaaa --reason "..."'
    )
    assert (
        data.deploy_command(_review_run("pending", 2), "aaaaaaaaaaaa")
        == 'people-ml deploy aaaaaaaaaaaa --override-gates --reason "..."'
    )
    assert data.deploy_command(_review_run("deployed", 0), "aaaaaaaaaaaa") is None


def test_gate_labels_and_messages_name_attributes_as_people_do():
    assert data.gate_label("min_selection_rate_ratio:ethnicity_group") == (
        "Four-fifths rule, ethnicity group"
    )
    assert data.gate_label("min_test_roc_auc").startswith("Ranks leavers")
    assert data.gate_label("some_new_gate") == "Some new gate"
    assert data.gate_message(
        "min_selection_rate_ratio:age_band", "age_band = 40-49: ratio 0.61"
    ) == ("Age band 40-49: ratio 0.61")


def test_groups_sort_in_reading_order():
    groups = ["50 and over", "30-39", "under 30", "40-49", "Undisclosed"]
    assert sorted(groups, key=data.group_order) == [
        "under 30",
        "30-39",
        "40-49",
        "50 and over",
        "Undisclosed",
    ]
    assert sorted(["10", "2", "1"], key=data.group_order) == ["1", "2", "10"]


def test_review_runs_list_pending_first_and_models_with_pending_first():
    marts = data.Marts(publication=None)  # frames given, nothing read
    marts._frames["dim_ml_runs"] = pd.DataFrame(
        {
            "run_id": ["r1", "r2", "r3", "p1"],
            "model_key": ["attrition", "attrition", "attrition", "expected_pay"],
            "status": ["deployed", "pending", "ignored", "pending"],
            "created_at": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-03-01", "2026-01-15"]
            ),
        }
    )
    assert data.review_run_ids(marts, "attrition") == ["r2", "r3", "r1"]
    assert data.review_models(marts) == ["attrition", "expected_pay"]
    marts._frames["dim_ml_runs"].loc[1, "status"] = "deployed"
    assert data.review_models(marts) == ["expected_pay", "attrition"]
