"""The data-quality gate: a fixture per check, each caught by its named check.

Every case of ``tests/fixtures/quality/cases.yml`` (a flat export of 400 IBM
employees with one defect, made by ``make_fixtures.py``) trains a real run
through ``people_ml.ml.train`` with ``split: holdout``: a check that fails
refuses the run with a message naming it, its place and the fix; a check that
warns lands in the run's ``data_quality`` rows and the EDA profile. The clean
fixture raises none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from people_ml.ml import DataError, MLModelSpec, train
from people_ml.quality import CHECKS, DataQualityError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quality"
CASES = yaml.safe_load((FIXTURES / "cases.yml").read_text())


def _frame(file: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / file, dtype={"employee_id": str})
    frame["export_date"] = pd.to_datetime(frame["export_date"])
    return frame


def _spec(case: str) -> MLModelSpec:
    return MLModelSpec.from_config(
        {**CASES["base_spec"], **CASES["cases"][case].get("spec", {})}
    )


def _run(case: str, tmp_path: Path):
    spec = _spec(case)
    frame = _frame(CASES["cases"][case]["file"])
    return train(frame, spec, artifact_dir=tmp_path, run_id=f"run_{case}")


def test_every_check_has_a_fixture() -> None:
    assert set(CASES["cases"]) == {"clean", *CHECKS}


def test_the_clean_fixture_raises_no_check(tmp_path: Path) -> None:
    outputs = _run("clean", tmp_path)
    assert outputs.data_quality.empty, outputs.data_quality.to_dict("records")
    assert outputs.run["n_test_rows"].iloc[0] == 100
    # Scored: the people still employed (has_left 0), 340 of the 400.
    stayers = int((_frame("clean.csv")["has_left"] == 0).sum())
    assert outputs.run["n_predict_rows"].iloc[0] == stayers == 340


FAILING = sorted(name for name, check in CHECKS.items() if check.severity == "fail")
WARNING = sorted(name for name, check in CHECKS.items() if check.severity == "warn")


@pytest.mark.parametrize("check", FAILING)
def test_a_failing_check_refuses_the_run_naming_itself(
    check: str, tmp_path: Path
) -> None:
    expected = DataError if check == "column_case_mismatch" else DataQualityError
    with pytest.raises(expected) as caught:
        _run(check, tmp_path)
    message = str(caught.value)
    assert check in message
    assert "Fix" in message or "fix" in message
    assert not any(tmp_path.iterdir()), "a refused run writes no pickle"


def test_a_case_mismatch_names_the_right_column_and_lists_every_column(
    tmp_path: Path,
) -> None:
    with pytest.raises(DataError) as caught:
        _run("column_case_mismatch", tmp_path)
    message = str(caught.value)
    assert "did you mean 'has_left'" in message
    assert "'MaritalStatus'" in message  # the 18th of 18 columns: never cut


@pytest.mark.parametrize("check", WARNING)
def test_a_warning_check_lands_in_the_runs_data_quality_rows(
    check: str, tmp_path: Path
) -> None:
    outputs = _run(check, tmp_path)
    found = outputs.data_quality
    rows = found[found["check_name"] == check]
    assert len(rows) == 1, found.to_dict("records")
    row = rows.iloc[0]
    assert row["severity"] == "warn"
    assert row["message"] and row["fix"]
    column = row["column_name"]
    if pd.notna(column):
        profile = outputs.feature_profiles.set_index("feature")
        assert check in profile.at[column, "reason"]


def test_missingness_leakage_drops_the_column_before_it_is_a_feature(
    tmp_path: Path,
) -> None:
    outputs = _run("missingness_leakage", tmp_path)
    profile = outputs.feature_profiles.set_index("feature")
    assert profile.at["TerminationDate", "status"] == "dropped"
    assert "TerminationDate" not in outputs.run["features"].iloc[0]
    assert outputs.data_quality["check_name"].tolist() == ["missingness_leakage"]


def test_numeric_codes_are_categories_never_scaled_numbers(tmp_path: Path) -> None:
    outputs = _run("id_like_column", tmp_path)
    profile = outputs.feature_profiles.set_index("feature")
    assert profile.at["ManagerID", "detected_type"] == "categorical"
    assert profile.at["ManagerID", "treatment"].startswith("one-hot")


def test_a_spec_raises_a_warning_to_a_failure(tmp_path: Path) -> None:
    spec = MLModelSpec.from_config(
        {
            **CASES["base_spec"],
            "keep_columns": ["Age", "MaritalStatus"],
            "quality": {"protected_attribute": "fail"},
        }
    )
    with pytest.raises(DataQualityError, match="protected_attribute: column 'Gender'"):
        train(_frame("clean.csv"), spec, artifact_dir=tmp_path, run_id="r")


def test_a_spec_cannot_lower_a_failing_check() -> None:
    from people_ml.ml import SpecError

    with pytest.raises(SpecError, match="cannot be lowered"):
        MLModelSpec.from_config(
            {**CASES["base_spec"], "quality": {"two_digit_year": "warn"}}
        )
    with pytest.raises(SpecError, match="a check among"):
        MLModelSpec.from_config({**CASES["base_spec"], "quality": {"typo": "fail"}})


def test_a_finding_quotes_values_as_a_reader_writes_them() -> None:
    from people_ml.quality import column_findings

    frame = pd.DataFrame({"is_rehire": [False] * 30, "x": range(30)})
    [finding] = column_findings(
        frame,
        ["is_rehire"],
        kinds={"is_rehire": ("boolean", "")},
        y=None,
        scored=np.arange(0),
        sample_dates=None,
        problem_type="binary_classification",
    )
    assert finding.check == "constant_column"
    assert "(False)" in finding.message and "np." not in finding.message


def test_row_hashes_tell_rows_apart_by_value_not_position() -> None:
    """Equal rows hash alike wherever they stand; any changed value, a null
    among them, changes the hash; typed and object frames both work."""
    from people_ml.quality import row_hashes

    frame = pd.DataFrame(
        {
            "id": pd.array(["a", "a", "b", None], dtype="str"),
            "months": pd.array([1, 1, 2, None], dtype="Int64"),
            "pay": [0.5, 0.5, np.nan, 0.5],
            "when": pd.to_datetime(["2026-01-31"] * 3 + [None]),
            "flag": pd.array([True, True, False, None], dtype="boolean"),
        }
    )
    columns = list(frame.columns)
    hashes = row_hashes(frame, columns)
    assert hashes.dtype == np.uint64 and len(hashes) == 4
    assert hashes[0] == hashes[1]
    assert len(set(hashes[1:].tolist())) == 3
    reordered = row_hashes(frame.iloc[[3, 2, 1, 0]], columns)
    assert reordered.tolist() == hashes[::-1].tolist()
    changed = frame.copy()
    changed.loc[1, "pay"] = 0.25
    assert row_hashes(changed, columns)[1] != hashes[1]
    # Only the named columns count, in any subset.
    assert row_hashes(frame, ["id"])[0] == row_hashes(frame, ["id"])[1]
    assert row_hashes(frame, ["id", "months"])[0] != row_hashes(frame, ["id"])[2]
    # An object column (a library caller's frame) takes pandas' path.
    mixed = pd.DataFrame({"m": pd.array(["x", 2, "x"], dtype=object)})
    mixed_hashes = row_hashes(mixed, ["m"])
    assert mixed_hashes[0] == mixed_hashes[2] != mixed_hashes[1]
    assert len(row_hashes(frame, [])) == 4


def test_row_hashes_of_categoricals_and_repeated_labels_follow_the_values() -> None:
    """DuckDB hashes a categorical by its codes: two frames of different
    values with the same codes must not look alike (an unchanged input
    fingerprint would skip a run). Period and interval columns, which DuckDB
    cannot hash, and a repeated column label hash too."""
    from people_ml.quality import row_hashes

    first = pd.DataFrame({"c": pd.Categorical(["a", "a", "b"])})
    second = pd.DataFrame({"c": pd.Categorical(["b", "b", "c"])})
    assert row_hashes(first, ["c"]).tolist() != row_hashes(second, ["c"]).tolist()
    as_text = first.astype({"c": "str"})
    assert row_hashes(first, ["c"])[0] == row_hashes(first, ["c"])[1]
    assert row_hashes(as_text, ["c"])[0] != row_hashes(as_text, ["c"])[2]
    odd = pd.DataFrame(
        {
            "period": pd.period_range("2026-01", periods=3, freq="M"),
            "span": pd.interval_range(0, 3),
        }
    )
    assert len(set(row_hashes(odd, ["period", "span"]).tolist())) == 3
    repeated = pd.DataFrame([[1, 2], [1, 3]], columns=["x", "x"])
    assert len(set(row_hashes(repeated, ["x"]).tolist())) == 2
