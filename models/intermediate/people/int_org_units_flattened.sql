-- One row per org unit with its ancestors at each level of the hierarchy, so
-- that a team can be rolled up to its department and division.
with recursive

org_units as (

    select * from {{ ref('stg_hris__org_units') }}

),

ancestry as (

    select
        org_unit_id,
        org_unit_id as ancestor_org_unit_id,
        0 as ancestor_depth

    from org_units

    union all

    select
        ancestry.org_unit_id,
        org_units.parent_org_unit_id as ancestor_org_unit_id,
        ancestry.ancestor_depth + 1 as ancestor_depth

    from ancestry
    inner join org_units
        on ancestry.ancestor_org_unit_id = org_units.org_unit_id
    -- The depth guard stops a cycle in bad data from recursing forever.
    where org_units.parent_org_unit_id is not null
        and ancestry.ancestor_depth < 20

),

ancestors_pivoted as (

    select
        ancestry.org_unit_id,
        max(ancestors.org_unit_id) filter (
            where ancestors.org_unit_type = 'division'
        ) as division_org_unit_id,
        max(ancestors.org_unit_name) filter (
            where ancestors.org_unit_type = 'division'
        ) as division_name,
        max(ancestors.org_unit_id) filter (
            where ancestors.org_unit_type = 'department'
        ) as department_org_unit_id,
        max(ancestors.org_unit_name) filter (
            where ancestors.org_unit_type = 'department'
        ) as department_name,
        max(ancestry.ancestor_depth) as depth_below_root

    from ancestry
    inner join org_units as ancestors
        on ancestry.ancestor_org_unit_id = ancestors.org_unit_id
    group by 1

),

final as (

    select
        org_units.org_unit_id,
        org_units.parent_org_unit_id,
        ancestors_pivoted.division_org_unit_id,
        ancestors_pivoted.department_org_unit_id,
        org_units.org_unit_name,
        org_units.org_unit_type,
        ancestors_pivoted.division_name,
        ancestors_pivoted.department_name,
        ancestors_pivoted.depth_below_root

    from org_units
    inner join ancestors_pivoted
        on org_units.org_unit_id = ancestors_pivoted.org_unit_id

)

select * from final
