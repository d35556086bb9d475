-- The flat export in the ML input contract (one row per employee): entity
-- id, sample date (the export date), target (has_left) and the features.
-- Protected attributes stay as columns for the fairness review and are never
-- features (keep_columns in the spec); age is also given as a band.
with

employees as (

    select * from {{ ref('stg_flat_export__employees') }}

),

final as (

    select
        employee_id,
        export_date as sample_date,
        has_left,
        gender,
        marital_status,
        age_years,
        {{ age_band('age_years') }} as age_band,
        business_travel,
        department_name,
        job_role,
        education_field,
        education_level,
        job_level,
        stock_option_level,
        distance_from_home_km,
        monthly_income,
        daily_rate,
        hourly_rate,
        monthly_rate,
        percent_salary_hike,
        works_overtime,
        environment_satisfaction,
        job_satisfaction,
        relationship_satisfaction,
        job_involvement,
        work_life_balance,
        performance_rating,
        companies_worked_count,
        total_working_years,
        trainings_last_year,
        years_at_company,
        years_in_current_role,
        years_since_last_promotion,
        years_with_current_manager

    from employees

)

select * from final
