-- The data-quality gate's findings, one row per run and finding: the check
-- (people_ml.quality), its severity, the column or rows it found, the figure
-- and the fix. A run refused by a failing check has no run record and so no
-- rows here: its error is in ml_store.run_failures and the build's output.
with

findings as (

    select * from {{ ref('stg_ml_store__data_quality') }}

),

runs as (

    select * from {{ ref('int_ml_runs_monitored') }}

),

final as (

    select
        findings.run_id,
        runs.model_key,
        runs.run_number,
        runs.is_latest_run,
        runs.is_shown_run,
        findings.check_name,
        findings.severity,
        findings.column_name,
        findings.row_count,
        findings.finding_message,
        findings.finding_fix

    from findings
    inner join runs
        on findings.run_id = runs.run_id

)

select * from final
