-- The one place that decides what BI shows: per ML model, the latest deployed
-- run. A run counts as deployed while its status is deployed or persisted;
-- it is ordered by when it was first deployed (an unfreeze does not make an
-- old run new again), ties broken by run number, then run id. Pending and
-- ignored runs are never shown; a model with no deployed run shows nothing.
with

statuses as (

    select * from {{ ref('int_ml_run_statuses') }}

),

decisions as (

    select * from {{ ref('int_ml_run_decisions') }}

),

first_deployments as (

    select
        run_id,
        min(decided_at) as deployed_at

    from decisions
    where status in ('deployed', 'persisted')
    group by 1

),

deployed_runs as (

    select
        statuses.run_id,
        statuses.model_key,
        statuses.run_number,
        first_deployments.deployed_at,
        row_number() over (
            partition by statuses.model_key
            order by
                first_deployments.deployed_at desc,
                statuses.run_number desc,
                statuses.run_id desc
        ) as deployment_rank

    from statuses
    inner join first_deployments
        on statuses.run_id = first_deployments.run_id
    where statuses.is_deployed

),

final as (

    select
        run_id,
        model_key,
        run_number,
        deployed_at

    from deployed_runs
    where deployment_rank = 1

)

select * from final
