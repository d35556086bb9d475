with

source as (

    select * from {{ source('ml_store', 'group_metrics') }}

),

renamed as (

    select
        run_id,
        split,
        attribute,
        attribute_kind,
        group_value,
        metric,
        value,
        ci_low,
        ci_high,
        n_rows,
        is_suppressed,
        is_reference_group,
        min_group_size

    from source

)

select * from renamed
