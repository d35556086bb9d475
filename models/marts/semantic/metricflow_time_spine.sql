-- The day-grain time spine MetricFlow joins metrics to (configured with
-- time_spine: in _semantic__models.yml): one row per day from 2015-01-01 to
-- 2035-12-31, wide enough for every sample date the HRIS extract can carry.
with

days as (

    select cast(day_start as date) as date_day

    from generate_series(
            date '2015-01-01',
            date '2035-12-31',
            interval 1 day
        ) as spine (day_start)

),

final as (

    select date_day from days

)

select * from final
