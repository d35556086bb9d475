"""The expected-pay frame is time-aware through the pay bands, and leaks no target."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import Project

from people_ml.ml import MLModelSpec, candidate_features

pytestmark = pytest.mark.dbt

BAND_COLUMNS = ("band_midpoint", "band_midpoint_at_pay_change")


def _pay_spec(project: Project) -> MLModelSpec:
    path = project.root / "python_models" / "ml" / "_ml__models.yml"
    models = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    config = next(m for m in models if m["name"] == "ml_expected_pay_runs")
    spec = dict(config["config"]["ml_model"])
    for key in ("review", "monitoring"):
        spec.pop(key, None)
    return MLModelSpec.from_config(spec)


def test_pay_frame_carries_the_bands_in_force(built_project: Project) -> None:
    # Recount from staging: the band for the family and level in force at the
    # sample date, and at the effective date of the salary in force then.
    ((rows, wrong_now, wrong_then, older, missing),) = built_project.query(
        """
        with bands as (
            select *, lead(effective_date) over (
                partition by job_family, job_level order by effective_date
            ) as valid_to
            from staging.stg_hris__pay_bands
        ),
        pay as (
            select *, lead(effective_date) over (
                partition by worker_id order by effective_date, compensation_id
            ) as valid_to
            from staging.stg_hris__compensation_history
        ),
        samples as (
            select samples.*, pay.effective_date as pay_set_date
            from intermediate.int_pay_samples_labelled as samples
            inner join pay
                on samples.worker_id = pay.worker_id
                and samples.sample_date >= pay.effective_date
                and (pay.valid_to is null or samples.sample_date < pay.valid_to)
        ),
        recount as (
            select samples.*, now_bands.band_midpoint as midpoint_now,
                then_bands.band_midpoint as midpoint_then
            from samples
            left join bands as now_bands
                on samples.job_family = now_bands.job_family
                and samples.job_level = now_bands.job_level
                and samples.sample_date >= now_bands.effective_date
                and (now_bands.valid_to is null
                    or samples.sample_date < now_bands.valid_to)
            left join bands as then_bands
                on samples.job_family = then_bands.job_family
                and samples.job_level = then_bands.job_level
                and samples.pay_set_date >= then_bands.effective_date
                and (then_bands.valid_to is null
                    or samples.pay_set_date < then_bands.valid_to)
        )
        select count(*),
            count(*) filter (where band_midpoint is distinct from midpoint_now),
            count(*) filter (
                where band_midpoint_at_pay_change is distinct from midpoint_then
            ),
            count(*) filter (where band_midpoint_at_pay_change < band_midpoint),
            count(*) filter (
                where band_midpoint is null or band_midpoint_at_pay_change is null
            )
        from recount
        """
    )
    [(frame_rows,)] = built_project.query(
        "select count(*) from intermediate.int_pay_samples_labelled"
    )
    assert rows == frame_rows > 0
    assert (wrong_now, wrong_then, missing) == (0, 0, 0)
    # Salaries set before this year's bands sit against an older, lower band.
    assert 0 < older < rows


def test_pay_features_follow_the_bands_and_never_the_salary(
    built_project: Project,
) -> None:
    spec = _pay_spec(built_project)
    columns = [
        row[0]
        for row in built_project.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'intermediate' "
            "and table_name = 'int_pay_samples_labelled' order by ordinal_position"
        )
    ]
    features = candidate_features(pd.DataFrame(columns=columns), spec)
    assert set(BAND_COLUMNS) <= set(features)
    # Salary over midpoint is a function of the target: never in the frame.
    assert "compa_ratio" not in columns
    never = {"base_salary", "actual_base_salary", "gender", "ethnicity_group"}
    never |= {"age_years", "age_band"}
    assert not never & set(features)
    # The run trained on that frame used them.
    [(recorded,)] = built_project.query(
        "select features from ml.ml_expected_pay_runs order by run_number limit 1"
    )
    used = set(json.loads(recorded))
    assert set(BAND_COLUMNS) & used
    # A band column the run left out was pruned for lack of evidence (the two
    # midpoints carry much the same information in a small company).
    for column in set(BAND_COLUMNS) - used:
        [(status, reason)] = built_project.query(
            "select status, reason from ml_store.feature_profiles "
            f"where feature = '{column}' and run_id = (select run_id from "
            "ml.ml_expected_pay_runs order by run_number limit 1)"
        )
        assert status == "dropped" and reason.startswith("no evidence it helps")
