with

source as (

    select * from {{ source('hris', 'performance_ratings') }}

),

renamed as (

    select
        cast(performance_rating_id as varchar) as performance_rating_id,
        cast(worker_id as varchar) as worker_id,
        cast(rating_label as varchar) as rating_label,
        cast(review_year as integer) as review_year,
        cast(rating as integer) as rating,
        cast(review_date as date) as review_date

    from source

)

select * from renamed
