{#
    The append-only store of ML run outputs. dbt Python models insert into
    these tables; dbt never drops them (they are not dbt models), so no
    `--full-refresh` or `dbt clean` can lose run history. Each model's run
    record (its own incremental table) is written last and is the commit
    marker: outputs whose run_id has no run record are never read.
#}
{% macro create_ml_store() %}
    {% set ddl %}
    create schema if not exists ml_store;

    create table if not exists ml_store.predictions (
        run_id varchar not null,
        entity_id varchar not null,
        sample_date date,
        prediction double,
        predicted_class integer,
        actual double,
        base_value double,
        model_output double
    );

    create table if not exists ml_store.shap_values (
        run_id varchar not null,
        entity_id varchar not null,
        feature varchar not null,
        feature_value varchar,
        shap_value double
    );

    create table if not exists ml_store.metrics (
        run_id varchar not null,
        split varchar not null,
        metric varchar not null,
        class_label varchar,
        value double
    );

    create table if not exists ml_store.feature_profiles (
        run_id varchar not null,
        feature varchar not null,
        detected_type varchar,
        missing_share double,
        distinct_count bigint,
        treatment varchar,
        status varchar,
        reason varchar,
        target_association double,
        association_measure varchar,
        is_leakage_suspect boolean,
        n_observations bigint
    );

    create table if not exists ml_store.warnings (
        run_id varchar not null,
        severity varchar,
        code varchar,
        message varchar
    );
    {% endset %}
    {% do run_query(ddl) %}
{% endmacro %}
