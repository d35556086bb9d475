"""End-to-end: train, freeze, score, tamper and refresh with real dbt runs."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from conftest import Project, linear_models_only

pytestmark = pytest.mark.dbt

SELECT = ("--select", "+ml_attrition_runs")


def _runs(project: Project) -> list[tuple]:
    return project.query(
        "select run_id, run_number, mode, frozen_run_id, artifact_sha256, "
        "artifact_path from ml.ml_attrition_runs order by run_number"
    )


def _store_counts(project: Project) -> dict[str, int]:
    return {
        table: project.query(f"select count(*) from ml_store.{table}")[0][0]
        for table in ("predictions", "shap_values", "metrics", "feature_profiles")
    }


def _freeze(project: Project, run_id: str) -> None:
    """Record a persist decision by hand (the decision commands come later)."""
    with (project.root / "seeds" / "run_status.csv").open("a") as log:
        # Microseconds, as the decision commands write: a time cut to the
        # second can fall before a run recorded earlier in that same second.
        now = dt.datetime.now(dt.UTC)
        log.write(f"{run_id},persisted,{now:%Y-%m-%d %H:%M:%S.%f},analyst@example.com,")
        log.write("override gates: good enough to freeze\n")


def test_train_freeze_score_tamper_refresh(project: Project) -> None:
    linear_models_only(project)
    # 1. The first build trains run 1.
    first = project.dbt("build", *SELECT)
    assert first.ok, first.output[-4000:]
    [run_1] = _runs(project)
    run_1_id, number, mode, frozen, sha_1, artifact = run_1
    assert (number, mode, frozen) == (1, "trained", None)
    pickle = project.artifact_dir / artifact
    assert hashlib.sha256(pickle.read_bytes()).hexdigest() == sha_1
    pickle_bytes = pickle.read_bytes()

    # 2. Freeze run 1. A build of the ML model alone would read the decisions
    # loaded before the edit, so it refuses rather than train a frozen model.
    _freeze(project, run_1_id)
    stale = project.dbt("build", "--select", "ml_attrition_runs")
    assert not stale.ok
    assert "differs from the decisions loaded in the warehouse" in stale.output
    assert len(_runs(project)) == 1
    # Move the company forward a month and build: run 2 scores.
    advanced = project.people_ml("advance", "--months", "1")
    assert advanced.returncode == 0, advanced.stderr
    second = project.dbt("build", *SELECT)
    assert second.ok, second.output[-4000:]
    run_1_again, run_2 = _runs(project)
    assert run_1_again == run_1
    run_2_id, number, mode, frozen, sha_2, _ = run_2
    assert (number, mode, frozen) == (2, "scored", run_1_id)
    assert sha_2 == sha_1
    assert pickle.read_bytes() == pickle_bytes  # the estimator is byte-identical
    assert len(list(project.artifact_dir.glob("*.pkl"))) == 1  # nothing retrained

    # New hires of the new month get predictions from the frozen model.
    new_hires = project.query(
        f"""
        select count(*) from ml_store.predictions as predictions
        inner join staging.stg_hris__workers as workers
            on predictions.entity_id = workers.worker_id
        where predictions.run_id = '{run_2_id}'
            and workers.hire_date > date '2026-04-30'
        """
    )[0][0]
    assert new_hires > 0
    predicted = project.query(
        f"select count(*) from ml_store.predictions where run_id = '{run_2_id}'"
    )[0][0]
    current = project.query(
        "select count(*) from intermediate.int_attrition_person_months_labelled"
        " where sample_period = 'current'"
    )[0][0]
    assert predicted == current
    # The scored run has its drivers too: importance with intervals from the
    # refits frozen in the pickle, and per-level effects of every person.
    ((features, with_interval, effect_rows),) = project.query(
        f"""
        select count(*), count(importance_lower),
            (select sum(entity_count) from ml_store.feature_effects
             where run_id = '{run_2_id}' and feature = 'last_rating')
        from ml_store.feature_importance where run_id = '{run_2_id}'
        """
    )
    assert features > 0 and with_interval == features
    assert effect_rows == predicted

    # 3. A tampered pickle fails the build loudly, and loses no history.
    before = _store_counts(project)
    tampered = bytearray(pickle_bytes)
    tampered[len(tampered) // 2] ^= 0xFF
    pickle.write_bytes(bytes(tampered))
    failed = project.dbt("build", *SELECT)
    assert not failed.ok
    assert run_1_id in failed.output
    assert str(pickle.name) in failed.output
    assert "sha256" in failed.output.lower()
    assert _runs(project) == [run_1, run_2]
    assert _store_counts(project) == before

    # 4. Restored, --full-refresh and dbt clean keep every run and artifact.
    pickle.write_bytes(pickle_bytes)
    refreshed = project.dbt(
        "build", "--full-refresh", *SELECT, "--vars", "{ml_rerun_unchanged: true}"
    )
    assert refreshed.ok, refreshed.output[-4000:]
    assert project.dbt("clean").ok
    runs = _runs(project)
    assert [row[:2] for row in runs[:2]] == [row[:2] for row in [run_1, run_2]]
    assert [row[1] for row in runs] == [1, 2, 3]
    assert runs[2][2] == "scored"
    assert pickle.read_bytes() == pickle_bytes
    after = _store_counts(project)
    assert all(after[table] > before[table] for table in before)
