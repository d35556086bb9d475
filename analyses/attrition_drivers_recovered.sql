-- Does the shown attrition run recover the documented drivers of the
-- synthetic HRIS (docs/attrition_drivers.md)? Compile with
-- `dbt compile --select attrition_drivers_recovered` and run the SQL, or
-- `dbt show --select attrition_drivers_recovered`. Expected directions: pay
-- below band (compa_ratio: higher lowers), months_since_promotion (higher
-- raises), manager_changes_last_6_months (higher raises), tenure_months
-- (higher lowers: new joiners leave more).
with

importance as (

    select * from {{ ref('fct_ml_feature_importance') }}

),

models as (

    select * from {{ ref('dim_ml_models') }}

),

documented as (

    select
        drivers.feature,
        drivers.documented_direction
    from (
        values
        ('compa_ratio', 'higher lowers'),
        ('months_since_promotion', 'higher raises'),
        ('manager_changes_last_6_months', 'higher raises'),
        ('tenure_months', 'higher lowers')
    ) as drivers (feature, documented_direction)

),

final as (

    select
        documented.feature,
        documented.documented_direction,
        importance.direction as recovered_direction,
        importance.importance_rank,
        importance.mean_abs_shap_value,
        importance.direction = documented.documented_direction as is_recovered

    from documented
    inner join models
        on models.model_key = 'attrition'
    left join importance
        on
            models.shown_run_id = importance.run_id
            and documented.feature = importance.feature

)

select * from final
