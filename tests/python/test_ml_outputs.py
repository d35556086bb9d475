"""Run outputs come from the contract; the evaluation-trust rules in isolation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from people_ml.ledger.contract import RUN_GLUE_COLUMNS, RUN_RECORD, STORE_TABLES
from people_ml.ml import OUTPUT_COLUMNS, MLError, MLModelSpec
from people_ml.ml._labels import LABEL_COLUMNS
from people_ml.ml._outputs import ML_STORE_TABLES, run_record
from people_ml.ml._profile import PROFILE_COLUMNS
from people_ml.ml._run import _check_frozen_spec
from people_ml.ml._trust import (
    bootstrap_se,
    check_cv_folds,
    check_cv_test_agreement,
    check_test_period,
)


def test_output_columns_are_the_contracts():
    run = tuple(c for c in RUN_RECORD.column_names if c not in RUN_GLUE_COLUMNS)
    assert OUTPUT_COLUMNS["run"] == run
    assert list(OUTPUT_COLUMNS) == ["run", *ML_STORE_TABLES]
    for name in ML_STORE_TABLES:
        assert OUTPUT_COLUMNS[name] == STORE_TABLES[name].column_names, name
    assert "actual" not in OUTPUT_COLUMNS["predictions"]


def test_profile_columns_match_the_contracts_feature_profiles():
    # The profile's own columns, then the spec's words for each feature.
    assert (
        "run_id",
        *PROFILE_COLUMNS,
        *LABEL_COLUMNS,
    ) == STORE_TABLES["feature_profiles"].column_names


@pytest.mark.parametrize(("mode", "frozen"), [("trained", "r0"), ("scored", None)])
def test_run_record_refuses_a_mode_that_contradicts_the_frozen_run(mode, frozen):
    with pytest.raises(MLError, match="frozen"):
        run_record(
            run_id="r1",
            mode=mode,
            spec=None,
            model=None,
            boundaries=None,
            training={},
            artifact_sha256="",
            artifact_path="",
            library_versions={},
            timings={},
            frozen_run_id=frozen,
        )


def test_test_period_rule():
    y = np.array([1] * 9 + [0] * 100)
    (note,) = check_test_period(y, test_date=pd.Timestamp("2024-06-30"), min_rows=10)
    assert note.code == "test_too_few_minority" and note.severity == "warning"
    assert "9 row(s) of class 1" in note.message and "2024-06-30" in note.message
    assert check_test_period(np.r_[y, 1], test_date=None, min_rows=10) == []
    assert check_test_period(np.zeros(50), test_date=None, min_rows=10) == []


def test_cv_fold_rule_names_every_small_fold():
    (note,) = check_cv_folds([(90, 12), (95, 4), (99, 9)], min_rows=10)
    assert note.code == "cv_fold_too_few_minority"
    assert "2 of 3 CV folds" in note.message
    assert "fold 1: 4" in note.message and "fold 2: 9" in note.message
    assert check_cv_folds([(90, 12), (95, 10)], min_rows=10) == []
    assert check_cv_folds((), min_rows=10) == []  # regression


@pytest.mark.parametrize(
    ("test_score", "test_se", "flagged"),
    [
        (0.80 - 2 * math.hypot(0.01, 0.02) + 1e-6, 0.02, False),
        (0.80 - 2 * math.hypot(0.01, 0.02) - 1e-6, 0.02, True),
        (0.75, math.nan, True),  # no standard error: the fold spread alone
        (0.85, math.nan, False),  # better than CV: expected, never flagged
        (math.nan, 0.02, False),
    ],
)
def test_cv_test_agreement_rule(test_score, test_se, flagged):
    # mean 0.80, population standard deviation exactly 0.01
    folds = (0.80 - 0.01 * math.sqrt(1.5), 0.80, 0.80 + 0.01 * math.sqrt(1.5))
    notes = check_cv_test_agreement(
        folds, test_score, test_se, metric="roc_auc", test_date=None
    )
    assert bool(notes) is flagged
    if flagged:
        assert notes[0].code == "cv_test_disagree" and "roc_auc" in notes[0].message


def test_bootstrap_se_shrinks_with_more_rows():
    rng = np.random.default_rng(0)

    def mean_gap(y, output):
        return float(np.mean(output - y))

    small = bootstrap_se(mean_gap, np.zeros(50), rng.normal(size=50), random_state=0)
    large = bootstrap_se(
        mean_gap, np.zeros(5000), rng.normal(size=5000), random_state=0
    )
    assert 0.08 < small < 0.2 and 0.008 < large < 0.02


def test_frozen_spec_without_a_newer_key_is_not_a_change():
    spec = MLModelSpec(
        key="m", problem_type="regression", entity_id="e", sample_date="d", target="t"
    )
    frozen = spec.to_dict()
    del frozen["min_minority_rows"]  # an artifact saved before the key existed
    assert _check_frozen_spec(spec, frozen, "r2", "r1") == []
    changed = MLModelSpec(**{**frozen, "min_minority_rows": 3, "cv_folds": 4})
    (note,) = _check_frozen_spec(changed, frozen, "r2", "r1")
    assert "cv_folds" in note.message and "min_minority_rows" not in note.message
