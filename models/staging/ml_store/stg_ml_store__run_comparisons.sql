with

source as (

    select * from {{ source('ml_store', 'run_comparisons') }}

),

renamed as (

    select
        run_id,
        compared_run_id,
        split,
        metric,
        candidate_value,
        compared_value

    from source

)

select * from renamed
