with

source as (

    select * from {{ source('ml_store', 'drift_bins') }}

),

renamed as (

    select
        run_id,
        feature,
        bin_number,
        bin_label,
        lower_bound,
        upper_bound,
        reference_share,
        current_share,
        current_rows

    from source

)

select * from renamed
