"""The ledger on real dbt: the SQL models agree with the Python rules.

The parity test compiles the SQL models that read the log
(int_ml_decisions_validated, int_ml_run_decisions, int_ml_run_statuses,
int_ml_runs_shown) with real dbt, runs them in DuckDB over random logs and run
records, and compares what they decide with :mod:`people_ml.ledger`: the same
first broken rule on the same line, or the same status for every run and the
same run shown for every model.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import Project, clone_project, copy_project, linear_models_only

from people_ml import ledger
from people_ml.ledger import Decision
from people_ml.runs import decisions_frame

pytestmark = pytest.mark.dbt

SQL_MODELS = (
    "int_ml_decisions_validated",
    "int_ml_run_decisions",
    "int_ml_run_statuses",
    "int_ml_runs_shown",
)
N_LOGS = 300


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The four models' SQL as dbt compiles it."""
    project = copy_project(tmp_path_factory.mktemp("compiled") / "people_ml")
    result = project.dbt("compile", "--select", *SQL_MODELS)
    assert result.ok, result.output[-4000:]
    folder = project.root / "target" / "compiled" / "people_ml" / "models"
    return {
        name: (folder / "intermediate" / "ml" / f"{name}.sql").read_text()
        for name in SQL_MODELS
    }


def _random_case(rng: random.Random) -> tuple[list[ledger.RunFacts], str]:
    """Run records and the text of a decision log, valid or not."""
    base = dt.datetime(2026, 3, 1, 9)
    times = [base + dt.timedelta(hours=h) for h in range(12)]
    runs: list[ledger.RunFacts] = []
    for model in ("attrition", "expected_pay"):
        trained: list[str] = []
        for number in range(1, rng.randint(1, 4) + 1):
            run_id = f"{model[:3]}{number:02d}{rng.randrange(16**4):04x}"
            scored = bool(trained) and rng.random() < 0.35
            runs.append(
                ledger.RunFacts(
                    run_id=run_id,
                    model_key=model,
                    run_number=number,
                    created_at=rng.choice(times[:4]),
                    is_auto_deployed=scored and rng.random() < 0.8,
                    frozen_run_id=rng.choice(trained) if scored else None,
                    has_failed_gates=rng.random() < 0.25,
                )
            )
            trained.append(run_id)
    ids = [run.run_id for run in runs] + ["unknown0001"]
    status: dict[str, str] = {}
    lines = []
    for _ in range(rng.randint(0, 8)):
        run_id = rng.choice(ids)
        current = status.get(run_id, "pending")
        if rng.random() < 0.8:  # mostly what the rules allow from here
            options = {
                "pending": ["deployed", "persisted", "persisted", "ignored"],
                "persisted": ["deployed", "ignored"],
                "deployed": ["ignored"],
            }.get(current, list(ledger.STATUSES))
        else:
            options = list(ledger.STATUSES)
        new = rng.choice(options)
        status[run_id] = new
        # Mostly after the runs were recorded; sometimes backdated.
        when = rng.choice(times[3:] if rng.random() < 0.85 else times[:4])
        reason = rng.choice(
            ["r", "r", "rollback to x: r", "rollback: r", "override gates (g): r"]
        )
        lines.append(
            f"{run_id},{new},{when:%Y-%m-%d %H:%M:%S},p{rng.randint(1, 3)},{reason}"
        )
    return runs, ledger.HEADER_LINE + "\n" + "".join(f"{x}\n" for x in lines)


def _python(runs: list[ledger.RunFacts], decisions: tuple[Decision, ...]) -> tuple:
    facts = {run.run_id: run for run in runs}
    try:
        state = ledger.validate(decisions, facts)
    except ledger.RuleError as error:
        v = error.violation
        assert v is not None
        where = v.decision.line if v.decision.line is not None else v.decision.run_id
        return ("refused", where, v.rule)
    statuses = {run.run_id: state.status(run.run_id) for run in runs}
    return ("valid", statuses, state.shown_runs())


def _sql(
    con: duckdb.DuckDBPyConnection,
    compiled: dict[str, str],
    runs: list[ledger.RunFacts],
    decisions: tuple[Decision, ...],
) -> tuple:
    log = decisions_frame(decisions)
    records = pd.DataFrame(
        {
            "run_id": [r.run_id for r in runs],
            "model_key": [r.model_key for r in runs],
            "run_number": [r.run_number for r in runs],
            "frozen_run_id": [r.frozen_run_id for r in runs],
            "is_auto_deployed": [r.is_auto_deployed for r in runs],
            "created_at": [r.created_at for r in runs],
        }
    )
    gates = pd.DataFrame(
        {
            "run_id": [r.run_id for r in runs if r.has_failed_gates],
            "gate": "min_test_roc_auc",
            "status": "fail",
        }
    )
    con.register("log_frame", log)
    con.register("records_frame", records)
    con.register("gates_frame", gates)
    con.execute(
        "create or replace table staging.stg_ml_store__gate_results as "
        "select run_id::varchar as run_id, gate::varchar as gate, "
        "status::varchar as status from gates_frame"
    )
    con.execute(
        "create or replace table ml_decisions.ml_decision_log as "
        "select * from log_frame"
    )
    con.execute(
        "create or replace table intermediate.int_ml_runs_unioned as "
        "select * from records_frame"
    )
    try:
        con.execute(
            "create or replace table intermediate.int_ml_decisions_validated as "
            + compiled["int_ml_decisions_validated"]
        )
    except duckdb.Error as error:
        message = str(error)
        rule = re.search(r"\[rule (\w+)\]", message)
        line = re.search(r"run_status\.csv, line (\d+)", message)
        system = re.search(r"auto-deploy of run (\w+)", message)
        assert rule and (line or system), message
        where = int(line.group(1)) if line else system.group(1)  # type: ignore[union-attr]
        return ("refused", where, rule.group(1))
    for name in SQL_MODELS[1:]:
        con.execute(f"create or replace view intermediate.{name} as {compiled[name]}")
    statuses = dict(
        con.execute(
            "select run_id, status from intermediate.int_ml_run_statuses"
        ).fetchall()
    )
    shown = dict(
        con.execute(
            "select model_key, run_id from intermediate.int_ml_runs_shown"
        ).fetchall()
    )
    return ("valid", statuses, shown)


def test_python_and_sql_agree_on_random_logs(
    compiled: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(20261201)
    outcomes = {"valid": 0, "refused": 0}
    rules: set[str] = set()
    with duckdb.connect(str(tmp_path / "people_ml.duckdb")) as con:
        con.execute("create schema ml_decisions")
        con.execute("create schema intermediate")
        con.execute("create schema staging")
        for case in range(N_LOGS):
            runs, text = _random_case(rng)
            decisions = ledger.parse_log(text)
            python = _python(runs, decisions)
            sql = _sql(con, compiled, runs, decisions)
            assert python == sql, f"case {case}:\n{text}\n{runs}"
            outcomes[python[0]] += 1
            if python[0] == "refused":
                rules.add(python[2])
    # Both kinds are well represented, and every rule is exercised.
    assert outcomes["valid"] >= 60 and outcomes["refused"] >= 60, outcomes
    assert rules == set(ledger.RULES) - {"system_only_deploys"}, rules


def test_two_frozen_runs_fail_the_build_before_any_ml_model_runs(
    built_project: Project, tmp_path: Path
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    linear_models_only(project)  # a second run is all this needs
    second = project.dbt("build", "--select", "ml_attrition_runs")
    assert second.ok, second.output[-4000:]
    (run_1,), (run_2,) = project.query(
        "select run_id from ml.ml_attrition_runs order by run_number"
    )
    log = project.root / "seeds" / "run_status.csv"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    log.write_text(
        ledger.HEADER_LINE
        + f"\n{run_1},persisted,{now:%Y-%m-%d %H:%M:%S},ana,override gates: a\n"
        + f"{run_2},persisted,{now:%Y-%m-%d %H:%M:%S}.5,bo,override gates: b\n"
    )
    counts = project.query(
        "select (select count(*) from ml.ml_attrition_runs), "
        "(select count(*) from ml.ml_expected_pay_runs)"
    )
    broken = project.dbt("build")
    assert not broken.ok
    assert "line 3" in broken.output
    assert "at most one frozen run per model" in broken.output
    assert f"frozen by run {run_1}" in broken.output
    # Neither ML model ran: the log is checked before both.
    assert (
        project.query(
            "select (select count(*) from ml.ml_attrition_runs), "
            "(select count(*) from ml.ml_expected_pay_runs)"
        )
        == counts
    )
    shutil.rmtree(project.root)


def test_outputs_without_a_run_record_are_reported_and_removable(
    built_project: Project, tmp_path: Path
) -> None:
    project = clone_project(built_project, tmp_path / "people_ml")
    # What a build killed after writing its outputs, before its run record,
    # leaves behind.
    orphan = "0" * 31 + "1"
    with duckdb.connect(str(project.warehouse)) as con:
        before = con.execute("select count(*) from ml_store.metrics").fetchone()[0]
        con.execute(
            "insert into ml_store.metrics values "
            f"('{orphan}', 'test', 'roc_auc', null, 0.9), "
            f"('{orphan}', 'test', 'pr_auc', null, 0.5)"
        )
        con.execute(
            "insert into ml_store.predictions values "
            f"('{orphan}', 'w1', date '2026-01-31', 0.5, 1, 0.0, 0.0)"
        )
    warned = project.dbt(
        "build", "--select", "assert_ml_store_outputs_have_run_records"
    )
    assert warned.ok, warned.output[-3000:]
    assert "WARN=1" in warned.output
    assert "assert_ml_store_outputs_have_run_records" in warned.output

    listed = project.people_ml("orphans")
    assert listed.returncode == 0, listed.stderr
    assert orphan[:12] in listed.stdout
    assert "metrics 2 rows" in listed.stdout and "predictions 1 row" in listed.stdout

    removed = project.people_ml("orphans", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert "Removed 3 orphaned ml_store rows" in removed.stdout
    assert project.query("select count(*) from ml_store.metrics")[0][0] == before
    assert "No orphaned ml_store rows" in project.people_ml("orphans").stdout
    shutil.rmtree(project.root)
