with

source as (

    select * from {{ source('hris', 'pay_bands') }}

),

renamed as (

    select
        cast(pay_band_id as varchar) as pay_band_id,
        cast(job_family as varchar) as job_family,
        upper(cast(currency as varchar)) as currency,
        cast(job_level as integer) as job_level,
        cast(band_minimum as double) as band_minimum,
        cast(band_midpoint as double) as band_midpoint,
        cast(band_maximum as double) as band_maximum,
        cast(effective_date as date) as effective_date

    from source

)

select * from renamed
