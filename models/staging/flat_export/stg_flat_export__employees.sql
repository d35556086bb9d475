-- The flat export, one row per employee: renamed to snake_case and cast
-- (every column arrives as text). This is the template for your own export:
-- map its columns here, cast dates with an explicit format (never leave a
-- date as text) and keep codes as text. The export date is the day the file
-- was taken (var flat_export_date): it is every row's sample date. Column
-- names are case-insensitive in SQL: IBM's EmployeeNumber is employeenumber.
with

source as (

    select * from {{ source('flat_export', 'employees') }}

),

renamed as (

    select
        'E' || lpad(cast(employeenumber as string), 4, '0') as employee_id,
        cast('{{ var("flat_export_date") }}' as date) as export_date,
        case attrition
            when 'Yes' then 1
            when 'No' then 0
        end as has_left,
        cast(age as integer) as age_years,
        cast(gender as string) as gender,
        cast(maritalstatus as string) as marital_status,
        cast(businesstravel as string) as business_travel,
        cast(department as string) as department_name,
        cast(jobrole as string) as job_role,
        cast(educationfield as string) as education_field,
        cast(education as integer) as education_level,
        cast(joblevel as integer) as job_level,
        cast(stockoptionlevel as integer) as stock_option_level,
        cast(distancefromhome as integer) as distance_from_home_km,
        cast(monthlyincome as double) as monthly_income,
        cast(dailyrate as double) as daily_rate,
        cast(hourlyrate as double) as hourly_rate,
        cast(monthlyrate as double) as monthly_rate,
        cast(percentsalaryhike as double) as percent_salary_hike,
        cast(overtime = 'Yes' as boolean) as works_overtime,
        cast(environmentsatisfaction as integer) as environment_satisfaction,
        cast(jobsatisfaction as integer) as job_satisfaction,
        cast(relationshipsatisfaction as integer) as relationship_satisfaction,
        cast(jobinvolvement as integer) as job_involvement,
        cast(worklifebalance as integer) as work_life_balance,
        cast(performancerating as integer) as performance_rating,
        cast(numcompaniesworked as integer) as companies_worked_count,
        cast(totalworkingyears as integer) as total_working_years,
        cast(trainingtimeslastyear as integer) as trainings_last_year,
        cast(yearsatcompany as integer) as years_at_company,
        cast(yearsincurrentrole as integer) as years_in_current_role,
        cast(yearssincelastpromotion as integer) as years_since_last_promotion,
        cast(yearswithcurrmanager as integer) as years_with_current_manager

    from source

)

select * from renamed
