-- Each run beside the run BI showed when it was made (same model), one row
-- per candidate run, compared run and metric: both scored on the candidate's
-- test period with their own pickles (split test), the population of the
-- candidate's predict set (split predict: band moves, rank correlation) and
-- their drivers (split drivers). A figure about the pair (a count of people
-- moving, a correlation) is the candidate value with no compared value.
with

runs as (

    select * from {{ ref('int_ml_runs_unioned') }}

),

comparisons as (

    select * from {{ ref('stg_ml_store__run_comparisons') }}

),

final as (

    select
        comparisons.run_id,
        comparisons.compared_run_id,
        runs.model_key,
        comparisons.split,
        comparisons.metric,
        comparisons.candidate_value,
        comparisons.compared_value,
        comparisons.candidate_value
        - comparisons.compared_value as value_difference

    from comparisons
    inner join runs
        on comparisons.run_id = runs.run_id

)

select * from final
