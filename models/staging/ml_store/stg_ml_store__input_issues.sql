with

source as (

    select * from {{ source('ml_store', 'input_issues') }}

),

renamed as (

    select
        run_id,
        feature,
        issue,
        severity,
        row_count,
        row_share,
        examples,
        baseline_run_id,
        message as issue_message

    from source

)

select * from renamed
