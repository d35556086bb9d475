"""End-to-end: real dbt on a real DuckDB file over a synthetic HRIS extract."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import yaml
from conftest import Project

from people_ml.ml import BUILT_IN_FEATURES

pytestmark = pytest.mark.dbt


def test_build_passes_and_snapshot_covers_every_month(built_project: Project) -> None:
    months, first, last = built_project.query(
        "select count(distinct snapshot_date), min(snapshot_date), max(snapshot_date)"
        " from intermediate.int_employees_snapshotted_monthly"
    )[0]
    # snapshot_history_months (36) month-ends up to the as-of date, which is the
    # end of the extract's 30th month from 2023-11-01.
    assert months == 36
    assert last == dt.date(2026, 4, 30)
    assert first == dt.date(2023, 5, 31)


def test_snapshot_headcount_matches_active_spells(built_project: Project) -> None:
    # Recount the as-of headcount straight from the staging tables.
    expected = built_project.query(
        """
        with starts as (
            select worker_id, effective_date as start_date,
                lead(effective_date) over (
                    partition by worker_id order by effective_date
                ) as next_start
            from staging.stg_hris__job_history where is_spell_start
        )
        select count(*) from starts
        where start_date <= date '2026-04-30'
          and not exists (
            select 1 from staging.stg_hris__terminations as t
            where t.worker_id = starts.worker_id
              and t.termination_date >= starts.start_date
              and t.termination_date <= date '2026-04-30'
              and (starts.next_start is null or t.termination_date < starts.next_start)
          )
        """
    )[0][0]
    actual = built_project.query(
        "select count(*) from intermediate.int_employees_snapshotted_monthly"
        " where snapshot_date = date '2026-04-30'"
    )[0][0]
    assert actual == expected > 300


def test_attrition_frame_follows_the_input_contract(built_project: Project) -> None:
    rows = built_project.query(
        """
        select sample_period, min(sample_date), max(sample_date),
            count(*), count(has_voluntary_exit_in_horizon),
            avg(has_voluntary_exit_in_horizon::int)
        from intermediate.int_attrition_samples_labelled group by 1 order by 1
        """
    )
    by_period = {row[0]: row[1:] for row in rows}
    assert set(by_period) == {"current", "labelled"}
    current_min, current_max, _, current_labelled, _ = by_period["current"]
    assert current_min == current_max == dt.date(2026, 4, 30)
    assert current_labelled == 0
    _, labelled_max, n_labelled, n_with_target, positive_rate = by_period["labelled"]
    # The outcome window (12 months) must have closed by the as-of date.
    assert labelled_max == dt.date(2025, 4, 30)
    assert n_with_target == n_labelled
    assert 0.03 < positive_rate < 0.35


def test_features_have_no_nulls_where_the_model_needs_them(
    built_project: Project,
) -> None:
    nulls = built_project.query(
        """
        select count(*) filter (where compa_ratio is null),
            count(*) filter (where job_level is null),
            count(*) filter (where tenure_months is null)
        from intermediate.int_attrition_samples_labelled
        """
    )[0]
    assert nulls == (0, 0, 0)


def test_person_months_rebuild_the_samples_and_their_labels(
    built_project: Project,
) -> None:
    # Every labelled sample is a person-month with the same features, and the
    # follow-up columns rebuild its 12-month label.
    mismatched, missing, n = built_project.query(
        """
        select
            count(*) filter (
                where person_months.compa_ratio is distinct from samples.compa_ratio
                or person_months.last_rating is distinct from samples.last_rating
                or coalesce(
                    person_months.exit_type = 'voluntary'
                    and person_months.months_until_exit <= 12, false
                ) is distinct from samples.has_voluntary_exit_in_horizon
            ),
            count(*) filter (where person_months.worker_id is null),
            count(*)
        from intermediate.int_attrition_samples_labelled as samples
        left join intermediate.int_attrition_person_months_labelled
            as person_months
            on samples.worker_id = person_months.worker_id
            and samples.sample_date = person_months.sample_date
        where samples.sample_period = 'labelled'
        """
    )[0]
    assert n > 0 and missing == 0 and mismatched == 0
    rows = built_project.query(
        """
        select sample_period, max(sample_date), count(*),
            count(has_voluntary_exit_next_month),
            avg(has_voluntary_exit_next_month::int)
        from intermediate.int_attrition_person_months_labelled
        group by 1 order by 1
        """
    )
    by_period = {row[0]: row[1:] for row in rows}
    # The next month's outcome is known for every month-end but the as-of date.
    assert by_period["current"][0] == dt.date(2026, 4, 30)
    assert by_period["current"][2] == 0
    last, n_labelled, n_with_target, monthly_rate = by_period["labelled"]
    assert last == dt.date(2026, 3, 31) and n_with_target == n_labelled
    assert 0.003 < monthly_rate < 0.03


def test_every_column_of_the_shipped_models_has_a_label(built_project: Project):
    """No reader meets a column name: each shipped model's spec labels every
    column its run profiled, and the marts carry the labels."""
    models = yaml.safe_load(
        (built_project.root / "python_models/ml/_ml__models.yml").read_text()
    )["models"]
    declared = {
        model["config"]["ml_model"]["key"]: set(
            model["config"]["ml_model"]["feature_labels"]
        )
        for model in models
    }
    profiled = built_project.query(
        "select distinct runs.model_key, profiles.feature from "
        "ml_store.feature_profiles as profiles inner join "
        "intermediate.int_ml_runs_unioned as runs on profiles.run_id = runs.run_id"
    )
    assert profiled
    unlabelled = [
        (key, feature)
        for key, feature in profiled
        if feature not in declared[key] | set(BUILT_IN_FEATURES)
    ]
    assert unlabelled == []
    assert built_project.query(
        "select count(*) from ml_store.warnings where code = 'features_without_labels'"
    ) == [(0,)]
    labels = dict(
        built_project.query(
            "select feature, feature_label from marts.fct_ml_feature_importance "
            "where model_key = 'attrition'"
        )
    )
    assert labels["compa_ratio"] == "Pay against band midpoint"
    ((drivers, labelled),) = built_project.query(
        "select count(*), count(*) filter (where feature_label <> feature) "
        "from marts.fct_ml_feature_importance"
    )
    assert drivers == labelled > 0


def test_docs_generate(built_project: Project) -> None:
    result = built_project.dbt("docs", "generate")
    assert result.ok, result.output[-3000:]
    assert (built_project.root / "target" / "catalog.json").is_file()


def test_driver_marts_carry_intervals_and_per_level_effects(
    built_project: Project,
) -> None:
    # Every run's importance has its interval around it, a stated direction,
    # and the mean |SHAP| the run stored.
    importance = built_project.query(
        """
        select
            count(*),
            count(*) filter (
                where importance.importance_lower <= importance.mean_abs_shap_value
                and importance.mean_abs_shap_value <= importance.importance_upper
            ),
            count(*) filter (
                where abs(importance.mean_abs_shap_value
                    - stored.mean_abs_shap_value) < 1e-9
            ),
            count(distinct importance.run_id),
            count(*) filter (where importance.direction = 'unclear')
        from marts.fct_ml_feature_importance as importance
        inner join ml_store.feature_importance as stored
            on importance.run_id = stored.run_id
            and importance.feature = stored.feature
        """
    )[0]
    total, covered, agree, runs, unclear = importance
    assert total > 0 and covered == total and agree == total
    assert runs == built_project.query("select count(*) from marts.dim_ml_runs")[0][0]
    assert 0 < unclear < total
    # Per-level effects: each ordinal or categorical feature's levels hold
    # every person predicted, labelled as the SHAP values render the values.
    counts = built_project.query(
        """
        with levels as (
            select run_id, feature, sum(entity_count) as entity_count
            from marts.fct_ml_feature_effects
            group by 1, 2
        )
        select
            count(*),
            count(*) filter (where levels.entity_count = runs.n_predict_rows),
            count(*) filter (where levels.entity_count = importance.entity_count)
        from levels
        inner join marts.dim_ml_runs as runs
            on levels.run_id = runs.run_id
        inner join marts.fct_ml_feature_importance as importance
            on levels.run_id = importance.run_id
            and levels.feature = importance.feature
        """
    )[0]
    assert counts[0] > 0 and counts[0] == counts[1] == counts[2]
    unknown = built_project.query(
        """
        select count(*) from marts.fct_ml_feature_effects as effects
        where not effects.is_missing_level and not effects.is_other_level
            and not exists (
                select 1 from ml_store.shap_values as shap
                where shap.run_id = effects.run_id
                    and shap.feature = effects.feature
                    and shap.feature_value = effects.level_label
            )
        """
    )[0][0]
    assert unknown == 0
    # The rating is ordinal: its levels in value order, its direction judged
    # from them (never 'higher lowers' when its effects rise and fall).
    rating = built_project.query(
        """
        select effects.run_id, effects.level_label, effects.driver_kind
        from marts.fct_ml_feature_effects as effects
        inner join marts.dim_ml_runs as runs
            on effects.run_id = runs.run_id
        where runs.model_key = 'attrition' and effects.feature = 'last_rating'
            and not effects.is_missing_level
        order by effects.run_id, effects.level_order
        """
    )
    assert rating and {kind for *_, kind in rating} == {"ordinal"}
    for run_id in {row[0] for row in rating}:
        labels = [float(label) for run, label, _ in rating if run == run_id]
        assert len(labels) >= 3 and labels == sorted(labels)
    # `people-ml show` prints the run's interval and supported direction.
    run_id = rating[0][0]
    shown = built_project.people_ml("show", run_id[:12])
    assert shown.returncode == 0, shown.stderr
    analysis = shown.stdout.split("Feature analysis", 1)[1].split("\n\n", 1)[0]
    assert " to " in analysis and "interval" in analysis


def _rewrite(project: Project, table: str, select_sql: str) -> None:
    """Replace a raw extract file by the result of a query over it."""
    path = project.raw_dir / f"{table}.parquet"
    tmp = path.with_suffix(".tmp.parquet")
    query = select_sql.format(src=f"read_parquet('{path}')")
    with duckdb.connect() as con:
        con.execute(f"copy ({query}) to '{tmp}' (format parquet)")
    tmp.replace(path)


BAD_EXTRACTS = {
    "duplicate key": (
        "workers",
        "select * from {src} union all (select * from {src} limit 1)",
        "unique_stg_hris__workers_worker_id",
    ),
    "null id": (
        "job_history",
        "select * replace (case when job_history_id = (select min(job_history_id)"
        " from {src}) then null else worker_id end as worker_id) from {src}",
        "not_null_stg_hris__job_history_worker_id",
    ),
    "unknown category": (
        "terminations",
        "select * replace (case when termination_id = (select min(termination_id)"
        " from {src}) then 'layoff' else termination_type end"
        " as termination_type) from {src}",
        "stg_hris__terminations_termination_type_accepted_values",
    ),
    "termination before hire": (
        "terminations",
        "select * replace (case when termination_id = (select min(termination_id)"
        " from {src}) then date '1990-01-01' else termination_date end"
        " as termination_date) from {src}",
        "assert_stg_hris__terminations_not_before_hire",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EXTRACTS))
def test_bad_extract_fails_at_staging_naming_table_and_rule(
    project: Project, case: str
) -> None:
    table, select_sql, failing_test = BAD_EXTRACTS[case]
    _rewrite(project, table, select_sql)
    result = project.dbt("build", "--select", "staging+", "--exclude", "tag:ml_model")
    assert not result.ok
    assert f"in test {failing_test} (" in result.output
    # Nothing downstream of the failed staging model was built from bad data.
    assert "int_attrition_person_months_labelled" not in _built_relations(project)


def _built_relations(project: Project) -> set[str]:
    if not project.warehouse.exists():
        return set()
    return {
        row[0]
        for row in project.query("select table_name from information_schema.tables")
    }
