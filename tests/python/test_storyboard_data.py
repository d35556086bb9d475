"""The storyboard's figures on small frames: grouping, beeswarm points, formats."""

from __future__ import annotations

import dataclasses

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
    grouped = data.risk_by(_predictions(), "division_name", min_size=1)
    table = grouped.table.set_index("division_name")
    # Highest expected rate first: Sales 0.3, (unknown) 0.2, Ops 0.05.
    assert list(table.index) == ["Sales", "(unknown)", "Ops"]
    assert table.loc["Sales", "headcount"] == 2
    assert table.loc["Sales", "expected_leavers"] == pytest.approx(0.6)
    assert table.loc["Sales", "expected_rate"] == pytest.approx(0.3)
    assert table.loc["Sales", "high_risk_headcount"] == 1
    assert table.loc["Sales", "high_risk_share"] == pytest.approx(0.5)
    assert table["headcount"].sum() == 4  # nobody lost to a null group
    assert grouped.note("divisions") == ""


def _sized(sizes: dict[str, int]) -> pd.DataFrame:
    rows = [
        {
            "worker_id": f"{name}{i}",
            "job_level": name,
            "prediction": 0.1,
            "risk_band": "high" if i == 0 else "low",
        }
        for name, size in sizes.items()
        for i in range(size)
    ]
    return pd.DataFrame(rows)


def test_a_group_under_the_minimum_size_is_never_shown_alone():
    # Levels 5 and 6 have 6 and 5 people: merged into one row of 11.
    grouped = data.risk_by(_sized({"1": 40, "2": 25, "5": 6, "6": 5}), "job_level")
    table = grouped.table
    assert "5" not in set(table["job_level"]) and "6" not in set(table["job_level"])
    other = table[table["is_merged"]].iloc[0]
    assert other["job_level"] == "Other (2 groups under 10 people)"
    assert other["headcount"] == 11
    assert other["high_risk_headcount"] == 2
    assert table["headcount"].sum() == 76  # everyone counted once
    assert table["is_merged"].iloc[-1]  # the merged row comes last
    assert "2 job levels with fewer than 10 people" in grouped.note("job levels")


def test_small_groups_that_stay_small_together_are_left_out_and_counted():
    grouped = data.risk_by(_sized({"1": 40, "6": 6}), "job_level")
    assert list(grouped.table["job_level"]) == ["1"]
    assert grouped.hidden_people == 6
    assert grouped.note("job levels").startswith("6 people in 1 group with")
    # The size is configurable; a stricter minimum hides more.
    assert (
        list(
            data.risk_by(_sized({"1": 40}), "job_level", min_size=50).table["job_level"]
        )
        == []
    )


def test_the_minimum_group_size_setting_is_checked(monkeypatch):
    monkeypatch.delenv(data.MIN_GROUP_SIZE_ENV, raising=False)
    assert data.min_group_size_setting() == 10
    monkeypatch.setenv(data.MIN_GROUP_SIZE_ENV, "25")
    assert data.min_group_size_setting() == 25
    for bad in ("1", "ten", "-5"):
        monkeypatch.setenv(data.MIN_GROUP_SIZE_ENV, bad)
        with pytest.raises(ValueError, match="PEOPLE_ML_MIN_GROUP_SIZE"):
            data.min_group_size_setting()


def test_model_quality_reads_as_people_in_every_ten():
    quality = data.ModelQuality(
        run_id="r" * 32,
        run_number=3,
        test_date=pd.Timestamp("2025-10-31"),
        horizon_months=12,
        precision=0.31,
        recall=0.58,
        prevalence=0.12,
        roc_auc=0.781,
        expected_events=41.2,
        actual_events=44,
        threshold=0.234,
    )
    text = " ".join(data.quality_sentences(quality))
    assert "employed on 2025-10-31, followed for 12 months" in text
    assert "flagged (a risk above 23%), about 3 of every 10 left" in text
    assert "(of everyone, about 1 of every 10 did)" in text
    assert "it had flagged about 6 of every 10" in text
    assert "It expected 41 leavers; 44 left." in text
    assert "0.78" in text
    rare = dataclasses.replace(quality, precision=0.04)
    assert "about 4 of every 100 left" in " ".join(data.quality_sentences(rare))


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


# --- The Monitoring page's figures -----------------------------------------------


def _monitoring_runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a" * 32, "b" * 32, "c" * 32, "d" * 32],
            "model_key": ["attrition", "attrition", "attrition", "expected_pay"],
            "run_number": [1, 2, 3, 1],
            "predict_date": pd.to_datetime(
                ["2026-04-30", "2026-05-31", "2026-07-31", "2026-07-31"]
            ),
        }
    )


def _realized(shown: str, months: dict[str, int]) -> pd.DataFrame:
    """Leaver rows of fct_ml_realized_performance: run -> months of outcomes."""
    predict = _monitoring_runs().set_index("run_id")["predict_date"].to_dict()
    rows = []
    for run_id, last in months.items():
        for month in range(last + 1):
            expected = 2.0 * month
            for metric, value in (
                ("actual_leavers_to_date", 3.0 * month),
                ("expected_leavers_to_date", expected),
            ):
                rows.append(
                    {
                        "run_id": run_id,
                        "model_key": "attrition",
                        "metric_name": metric,
                        "months_since_prediction": month,
                        "decile": None,
                        "metric_value": value,
                        "lower_bound": max(expected - 1.5, 0.0),
                        "upper_bound": expected + 1.5,
                        "row_count": 100,
                        "label_horizon_months": 12,
                        "predict_date": predict[run_id],
                        "observed_through_date": predict[run_id]
                        + pd.offsets.MonthEnd(month),
                        "is_shown_run": run_id == shown,
                        "is_monitored": True,
                        "gate_threshold": None,
                        "test_metric_value": None,
                    }
                )
    return pd.DataFrame(rows)


def test_default_run_is_the_shown_run_once_it_has_outcomes():
    runs = _monitoring_runs()
    realized = _realized("b" * 32, {"a" * 32: 3, "b" * 32: 2, "c" * 32: 0})
    outcomes = data.outcome_runs(realized, runs, "attrition")
    assert list(outcomes["run_number"]) == [3, 2, 1]  # newest first
    assert list(outcomes["months_with_outcomes"]) == [0, 2, 3]
    choice = data.default_outcome_run(outcomes)
    assert choice.run_id == "b" * 32
    assert (
        choice.reason == "Run #2 is the run BI shows; 2 months of outcomes are known."
    )


def test_default_run_of_a_frozen_model_is_the_one_with_the_most_outcomes():
    # The shown run is the newest scored run: no month of outcomes yet.
    runs = _monitoring_runs()
    realized = _realized("c" * 32, {"a" * 32: 3, "b" * 32: 2, "c" * 32: 0})
    choice = data.default_outcome_run(data.outcome_runs(realized, runs, "attrition"))
    assert choice.run_id == "a" * 32
    assert "BI shows run #3, which predicted on 2026-07-31: too recent" in choice.reason
    assert (
        "opens on run #1, the deployed run with the most outcomes known (3 months)"
        in (choice.reason)
    )
    # A run whose window has closed comes after one still watched.
    realized.loc[realized["run_id"] == "a" * 32, "is_monitored"] = False
    choice = data.default_outcome_run(data.outcome_runs(realized, runs, "attrition"))
    assert choice.run_id == "b" * 32


def test_default_run_without_outcomes_is_none():
    runs = _monitoring_runs()
    outcomes = data.outcome_runs(_realized("a" * 32, {"a" * 32: 0}), runs, "attrition")
    assert data.default_outcome_run(outcomes).run_id is None
    no_rows = _realized("a" * 32, {"a" * 32: 1}).iloc[0:0]
    empty = data.outcome_runs(no_rows, runs, "attrition")
    assert empty.empty
    assert data.default_outcome_run(empty).run_id is None


def test_leaver_trend_and_summary_read_the_band_and_the_latest_month():
    realized = _realized("a" * 32, {"a" * 32: 3, "b" * 32: 1})
    extra = pd.DataFrame(
        [
            {
                "run_id": "a" * 32,
                "model_key": "attrition",
                "metric_name": metric,
                "months_since_prediction": 3,
                "decile": None,
                "metric_value": value,
                "lower_bound": low,
                "upper_bound": high,
                "row_count": 100,
                "label_horizon_months": 12,
                "predict_date": pd.Timestamp("2026-04-30"),
                "observed_through_date": pd.Timestamp("2026-07-31"),
                "is_shown_run": True,
                "is_monitored": True,
                "gate_threshold": gate,
                "test_metric_value": test,
            }
            for metric, value, low, high, gate, test in (
                ("roc_auc", 0.61, 0.55, 0.67, 0.65, 0.78),
                ("high_band_precision", 0.25, None, None, None, None),
                ("high_band_recall", 4 / 9, None, None, None, None),
            )
        ]
    )
    realized = pd.concat([realized, extra], ignore_index=True)
    trend = data.leaver_trend(realized, "a" * 32)
    assert list(trend["months_since_prediction"]) == [0, 1, 2, 3]
    assert list(trend["actual"]) == [0.0, 3.0, 6.0, 9.0]
    assert list(trend["expected"]) == [0.0, 2.0, 4.0, 6.0]
    assert list(trend["upper"]) == [1.5, 3.5, 5.5, 7.5]
    assert trend["lower"].iloc[0] == 0.0

    summary = data.realized_leavers(realized, "a" * 32)
    assert (summary.months, summary.people, summary.actual) == (3, 100, 9.0)
    assert summary.leaver_share == pytest.approx(0.09)
    assert data.prediction_window(1, summary) == (
        "Run #1 predicted on 2026-04-30 who of 100 people would leave within "
        "12 months; 3 of those 12 months have passed (outcomes known through "
        "2026-07-31)."
    )
    assert data.band_verdict(summary).startswith("More people left than the model")
    sentence = data.roc_auc_sentence(summary)
    assert "Realized ROC AUC 0.61 (95% interval 0.55–0.67)" in sentence
    assert "straddles the review gate 0.65" in sentence
    assert "On its test period it was 0.78." in sentence
    assert (summary.high_band_leavers, summary.high_band_people) == (4, 16)
    assert data.high_band_sentence(summary) == (
        "Of the 16 people flagged high risk, 4 (25.0%) have left so far; they are "
        "44.4% of the 9 who left."
    )


def test_band_verdict_within_and_below_the_band():
    summary = data.RealizedLeavers(
        run_id="r",
        predict_date=None,
        label_horizon_months=12,
        months=2,
        observed_through_date=None,
        people=100,
        actual=5.0,
        expected=6.0,
        lower=2.0,
        upper=10.0,
        roc_auc=None,
        roc_auc_low=None,
        roc_auc_high=None,
        gate=None,
        test_roc_auc=None,
        high_band_precision=None,
        high_band_recall=None,
    )
    assert data.band_verdict(summary).startswith("Within the range chance alone")
    assert "none yet" in data.roc_auc_sentence(summary)
    assert "cannot be judged" in data.high_band_sentence(summary)
    below = dataclasses.replace(summary, actual=1.0)
    assert data.band_verdict(below).startswith("Fewer people left")


def _drift() -> pd.DataFrame:
    rows = []
    for feature, kind, psi, status, other in (
        ("department_name", "categorical", 0.76, "alert", 0.24),
        ("tenure_months", "numeric", 0.02, "ok", 0.07),
        ("compa_ratio", "numeric", 0.15, "warn", 0.11),
        ("prediction", "prediction", 0.30, "alert", 0.2),
    ):
        baseline = "previous_run" if kind == "prediction" else "training"
        common = {
            "run_id": "c" * 32,
            "model_key": "attrition",
            "run_number": 3,
            "is_latest_run": True,
            "feature": feature,
            "feature_kind": kind,
            "baseline": baseline,
            "baseline_run_id": ("b" if kind == "prediction" else "a") * 32,
        }
        rows.append(
            common
            | {
                "statistic": "psi",
                "statistic_value": psi,
                "warn_threshold": 0.1,
                "alert_threshold": 0.25,
                "drift_status": status,
            }
        )
        rows.append(
            common
            | {
                "statistic": "js_distance" if kind == "categorical" else "ks",
                "statistic_value": other,
                "warn_threshold": None,
                "alert_threshold": None,
                "drift_status": None,
            }
        )
    return pd.DataFrame(rows)


#: Labels as the marts carry them (the spec's feature_labels).
LABELS = {
    "department_name": "Department",
    "compa_ratio": "Pay against band midpoint",
    "tenure_months": "Time at the company",
    "age_years": "Age",
}


def test_drift_table_sorts_by_psi_with_statuses_and_labels():
    drift = _drift()
    drift["feature_label"] = drift["feature"].map(LABELS)
    table = data.drift_table(drift, "c" * 32)
    assert list(table["feature"]) == ["department_name", "compa_ratio", "tenure_months"]
    assert list(table["Feature"]) == [
        "Department",
        "Pay against band midpoint",
        "Time at the company",
    ]
    assert list(table["Status"]) == ["Alert: above 0.25", "Warning: above 0.10", "OK"]
    assert list(table["KS / JS"]) == ["JS 0.240", "KS 0.110", "KS 0.070"]
    assert data.drift_baseline(drift, "c" * 32) == "a" * 32
    assert data.latest_drift_run(drift, "attrition")["run_number"] == 3
    assert data.latest_drift_run(drift, "expected_pay") is None
    assert data.prediction_drift(drift, "c" * 32, _monitoring_runs()) == (
        "The risk scores themselves, against run #2's: PSI 0.30, moved (above 0.10): "
        "reported, not an alert of its own; the features' drift says why."
    )
    assert data.drift_table(drift, "no such run").empty
    # A feature whose drift the spec declares expected: shown, not a warning.
    expected = drift.assign(
        drift_status=drift["drift_status"].where(
            ~((drift["feature"] == "compa_ratio") & (drift["statistic"] == "psi")),
            "expected",
        )
    )
    table = data.drift_table(expected, "c" * 32).set_index("feature")
    assert table.loc["compa_ratio", "Status"] == "Expected (declared in the spec)"
    assert table.loc["department_name", "Status"] == "Alert: above 0.25"


def test_drift_bins_pair_training_and_now_with_readable_labels():
    bins = pd.DataFrame(
        {
            "run_id": ["r"] * 5,
            "feature": ["tenure", "tenure", "tenure", "dept", "dept"],
            "bin_number": [2, 1, 3, 1, 2],
            "bin_label": ["(12, 24]", "<= 12", "> 24", "Sales", "(unseen levels)"],
            "lower_bound": [12.0, None, 24.0, None, None],
            "upper_bound": [24.0, 12.0, None, None, None],
            "reference_share": [0.5, 0.3, 0.2, 1.0, 0.0],
            "current_share": [0.4, 0.4, 0.2, 0.9, 0.1],
        }
    )
    tenure = data.drift_bins(bins, "r", "tenure")
    assert list(tenure["bin_label"]) == [
        "up to 12",
        "up to 12",
        "12 to 24",
        "12 to 24",
        "above 24",
        "above 24",
    ]
    assert list(tenure["which"][:2]) == ["Training data", "Now"]
    assert list(tenure["share"][:2]) == [0.3, 0.4]
    assert list(data.drift_bins(bins, "r", "dept")["bin_label"].unique()) == [
        "Sales",
        data.UNSEEN_BIN,
    ]


def test_input_issues_in_words_warnings_first():
    issues = pd.DataFrame(
        {
            "run_id": ["r", "r", "r"],
            "feature": ["compa_ratio", "department_name", "age_years"],
            "issue": ["out_of_range", "unseen_category", "unexpected_null"],
            "severity": ["info", "warning", "warning"],
            "row_count": [214, 62, 3],
            "row_share": [0.2, 0.06, 0.003],
            "examples": ["[0.519847, 0.52]", '["Core Platform"]', "[null]"],
            "issue_message": [
                "compa_ratio: 214 below the training minimum (run " + "a" * 32 + ")",
                "department_name: 62 rows hold a level never seen",
                "age_years: 3 missing",
            ],
        }
    )
    table = data.input_issue_table(issues, "r", LABELS)
    assert list(table["Feature"]) == ["Department", "Age", "Pay against band midpoint"]
    assert list(table["Issue"]) == [
        "Values never seen in training",
        "Missing, never missing in training",
        "Outside the training range",
    ]
    assert list(table["Examples"]) == ["Core Platform", "(missing)", "0.5198, 0.52"]
    assert list(table["People"]) == [62, 3, 214]
    # No column name prefix, no 32-character run id.
    assert table["What to do"].iloc[2] == (
        "214 below the training minimum (run " + "a" * 12 + ")"
    )
    assert data.input_issue_table(issues, "other").empty


def test_alerts_in_plain_words_realized_performance_first():
    runs = _monitoring_runs()
    alerts = pd.DataFrame(
        [
            {
                "alert_kind": "feature_drift",
                "model_key": "attrition",
                "run_id": "c" * 32,
                "subject": "department_name",
                "months_since_prediction": None,
                "observed_value": 0.7612,
                "lower_bound": None,
                "upper_bound": None,
                "threshold": 0.25,
                "alert_message": "run ccc...: department_name has PSI 0.761",
            },
            {
                "alert_kind": "leavers_outside_expected_band",
                "model_key": "attrition",
                "run_id": "a" * 32,
                "subject": "actual_leavers_to_date",
                "months_since_prediction": 5,
                "observed_value": 75.0,
                "lower_bound": 42.4,
                "upper_bound": 69.8,
                "threshold": 56.1,
                "alert_message": "run aaa...: 75 actual leavers",
            },
            {
                "alert_kind": "realized_roc_auc_below_gate",
                "model_key": "attrition",
                "run_id": "a" * 32,
                "subject": "roc_auc",
                "months_since_prediction": 5,
                "observed_value": 0.55,
                "lower_bound": 0.48,
                "upper_bound": 0.62,
                "threshold": 0.65,
                "alert_message": "run aaa...: realized ROC AUC",
            },
        ]
    )
    sentences = data.model_alerts(alerts, runs, "attrition", LABELS)
    assert sentences == [
        "More people left than run #1 predicted: 75 in the 5 months since "
        "2026-04-30, against 56.1 expected (chance alone allows 42–70).",
        "Run #1 no longer ranks leavers well enough: 5 months after its prediction "
        "of 2026-04-30, its realized ROC AUC is 0.55 (95% interval 0.48–0.62), "
        "below the review gate 0.65.",
        "**Department** has shifted since the model learned: PSI 0.76 (alert above "
        "0.25) for the people run #3 scored as of 2026-07-31.",
    ]
    assert data.model_alerts(alerts, runs, "expected_pay") == []


def test_realized_pay_per_run_and_in_words():
    runs = _monitoring_runs()
    realized = pd.DataFrame(
        [
            {
                "run_id": "d" * 32,
                "model_key": "expected_pay",
                "metric_name": metric,
                "metric_value": value,
                "test_metric_value": 6000.0 if metric == "mae" else None,
                "predict_date": pd.Timestamp("2026-07-31"),
                "row_count": 1000,
                "is_shown_run": True,
            }
            for metric, value in (("mae", 12385.0), ("bias", -3707.0), ("mape", 0.15))
        ]
    )
    pay = data.realized_pay(realized, runs, "expected_pay")
    row = pay.iloc[0]
    assert (row["run_number"], row["people"], row["mae"], row["bias"]) == (
        1,
        1000,
        12385.0,
        -3707.0,
    )
    assert data.pay_sentence(row) == (
        "Expected pay misses actual pay by 12,385 a year on average, 2.1 times its "
        "test-period error (6,000); actual pay is 3,707 below expected on average."
    )
    assert data.realized_pay(realized, runs, "attrition").empty


def test_monitoring_labels():
    assert data.model_label("expected_pay") == "Expected pay"
    # The spec's label when the marts carry one; else the name with spaces.
    labels = {"compa_ratio": "Pay against band midpoint"}
    assert data.feature_label("compa_ratio", labels) == "Pay against band midpoint"
    assert data.feature_label("department_name") == "Department name"
    assert data.feature_label("prediction") == data.PREDICTION_LABEL
    assert data.months_text(1) == "1 month"
    assert data.shorten_run_ids("run " + "ab" * 16 + ".") == "run " + "ab" * 6 + "."
    assert data.examples_text(None) == ""
    assert data.examples_text("not json") == "not json"


def test_unfreeze_hint_only_for_a_frozen_model():
    models = pd.DataFrame(
        {
            "model_key": ["attrition", "expected_pay"],
            "is_frozen": [True, False],
            "frozen_run_id": ["a" * 32, None],
        }
    )
    hint = data.unfreeze_hint(models, _monitoring_runs(), "attrition")
    assert hint.startswith("The model is frozen (run #1)")
    assert '`people-ml unfreeze attrition --reason "..."`' in hint
    assert data.unfreeze_hint(models, _monitoring_runs(), "expected_pay") is None
    assert data.unfreeze_hint(models, _monitoring_runs(), "unknown") is None


def test_the_beeswarm_for_any_reader_carries_no_worker_id():
    """A chart embeds every column of its frame in the page: the Drivers page is
    for any reader, so its dots must be anonymous."""
    import json

    from people_ml.storyboard import charts

    points = data.beeswarm_points(_drivers(20), ["tenure"]).assign(
        feature_label="Tenure", effect=lambda f: f["shap_value"]
    )
    spec = json.dumps(charts.beeswarm(points, ["Tenure"], axis="Effect").to_dict())
    assert "w0001" not in spec
    for column in ("worker_id", "feature_value", "shap_value"):
        assert column not in spec
    # The jitter cannot be computed from an id, nor links one person's dots.
    two = data.beeswarm_points(_drivers(20), ["tenure", "region"])
    person = two[two["worker_id"] == "w0003"].set_index("feature")["jitter"]
    assert person["tenure"] != person["region"]
