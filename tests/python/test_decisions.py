"""The decision log: parsing, rules and every refusal of the commands.

The commands run against a real DuckDB warehouse file holding run tables of
the shape the dbt Python models write, and a real seed CSV.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import duckdb
import pytest

from people_ml import decisions, lifecycle
from people_ml.cli import EXIT_BUSY, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main

HEADER = "run_id,status,decided_at,decided_by,reason\n"
RUNS = {
    # run_id: (model_key, run_number, mode, frozen_run_id, is_auto_deployed)
    "aaaa1111": ("attrition", 1, "trained", None, False),
    "aaaa2222": ("attrition", 2, "trained", None, False),
    "bbbb3333": ("attrition", 3, "scored", "aaaa2222", True),
    "cccc4444": ("expected_pay", 1, "trained", None, False),
}


def make_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema ml")
        for table, key in (
            ("ml_attrition_runs", "attrition"),
            ("ml_expected_pay_runs", "expected_pay"),
        ):
            con.execute(
                f"create table ml.{table} (run_id varchar, model_key varchar, "
                "run_number integer, mode varchar, frozen_run_id varchar, "
                "is_auto_deployed boolean, created_at timestamp, algorithm varchar, "
                "selection_metric varchar, cv_score double)"
            )
            for run_id, (model, number, mode, frozen, auto) in RUNS.items():
                if model == key:
                    con.execute(
                        f"insert into ml.{table} values (?, ?, ?, ?, ?, ?, ?, "
                        "'logistic_regression', 'roc_auc', 0.7)",
                        [
                            run_id,
                            model,
                            number,
                            mode,
                            frozen,
                            auto,
                            dt.datetime(2026, 1, number),
                        ],
                    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: people_ml\n")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "warehouse").mkdir()
    make_warehouse(tmp_path / "warehouse" / "people_ml.duckdb")
    for var in ("PEOPLE_ML_HOME", "PEOPLE_ML_DUCKDB", "PEOPLE_ML_USER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PEOPLE_ML_HOME", str(tmp_path))
    return tmp_path


def seed(project: Path, *lines: str) -> Path:
    path = project / "seeds" / "run_status.csv"
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines))
    return path


def decide(*args: str) -> int:
    return main([*args, "--by", "ana@example.com"])


# -- well-formedness ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run_id,status\n", "line 1: the header"),
        (HEADER + "a,deployed,2026-01-01 00:00:00,ana\n", "line 2: expected 5 fields"),
        (
            HEADER + "a,shipped,2026-01-01 00:00:00,ana,why\n",
            "line 2: status 'shipped'",
        ),
        (HEADER + "a,deployed,yesterday,ana,why\n", "line 2: decided_at 'yesterday'"),
        (HEADER + "\na,deployed,2026-01-01,ana,\n", "line 3: reason is empty"),
        (HEADER + ",deployed,2026-01-01,ana,why\n", "line 2: run_id is empty"),
    ],
)
def test_a_malformed_log_is_refused_with_its_line_number(
    text: str, message: str
) -> None:
    with pytest.raises(decisions.DecisionLogError, match=message):
        decisions.parse_log(text)


def test_a_reason_with_a_comma_round_trips(project: Path) -> None:
    path = seed(project)
    assert decide("deploy", "aaaa1", "--reason", "good, stable") == EXIT_OK
    [decision] = decisions.read_log(path)
    assert decision.reason == "good, stable"


# -- the rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("pending", "deployed", True),
        ("pending", "persisted", True),
        ("pending", "ignored", True),
        ("persisted", "deployed", True),  # unfreeze
        ("deployed", "persisted", False),
        ("deployed", "ignored", False),
        ("deployed", "deployed", False),
        ("ignored", "deployed", False),
        ("ignored", "persisted", False),
        ("ignored", "ignored", False),
        ("persisted", "ignored", False),
        ("persisted", "persisted", False),
        ("pending", "pending", False),
    ],
)
def test_transitions(current: str, new: str, allowed: bool) -> None:
    if allowed:
        decisions.check_transition("r1", current, new)
    else:
        with pytest.raises(decisions.RuleError, match="r1"):
            decisions.check_transition("r1", current, new)


def test_current_status_is_the_latest_decision_else_pending() -> None:
    log = decisions.to_frame(
        decisions.parse_log(
            HEADER
            + "r1,persisted,2026-01-02 00:00:00,ana,freeze\n"
            + "r1,deployed,2026-01-03 00:00:00,ana,unfreeze: drift\n"
            + "r2,ignored,2026-01-01 00:00:00,ana,experiment\n"
        )
    )
    statuses = decisions.current_statuses(log, ["r1", "r2", "r3"])
    assert statuses.to_dict() == {"r1": "deployed", "r2": "ignored", "r3": "pending"}
    assert decisions.frozen_run_id(log, ["r1", "r2", "r3"]) is None


def test_a_log_that_breaks_a_rule_is_refused_naming_the_run() -> None:
    log = decisions.parse_log(
        HEADER
        + "r1,ignored,2026-01-01 00:00:00,ana,experiment\n"
        + "r1,deployed,2026-01-02 00:00:00,bo,oops\n"
    )
    with pytest.raises(decisions.RuleError, match=r"run r1 .*ignoring is final"):
        decisions.check_log(log)


# -- the commands: every refusal leaves the seed byte-identical ---------------------

LOG = (
    "aaaa1111,deployed,2026-01-05 10:00:00,ana,first good run",
    "aaaa2222,persisted,2026-01-06 10:00:00,ana,freeze it",
    "cccc4444,ignored,2026-01-06 11:00:00,bo,experiment",
)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["deploy", "cccc4444", "--reason", "x"], EXIT_REFUSED, "ignoring is final"),
        (
            ["deploy", "aaaa1111", "--persist", "--reason", "x"],
            EXIT_REFUSED,
            "only a pending run can be acted on",
        ),
        (["ignore", "aaaa1111", "--reason", "x"], EXIT_REFUSED, "already deployed"),
        (
            ["ignore", "cccc4444", "--reason", "again"],
            EXIT_REFUSED,
            "ignoring is final",
        ),
        (["deploy", "bbbb3333", "--reason", "x"], EXIT_REFUSED, "already deployed"),
        (["deploy", "ffff", "--reason", "x"], EXIT_USAGE, "no run 'ffff'"),
        (["deploy", "aaaa", "--reason", "x"], EXIT_USAGE, "ambiguous"),
        (["deploy", "aaaa1111", "--reason", "  "], EXIT_USAGE, "a reason is required"),
        (["unfreeze", "expected_pay", "--reason", "x"], EXIT_REFUSED, "not frozen"),
        (["unfreeze", "headcount", "--reason", "x"], EXIT_USAGE, "no ML model"),
    ],
)
def test_refusals_leave_the_seed_byte_identical(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    path = seed(project, *LOG)
    before = path.read_bytes()
    assert decide(*args) == code
    assert message in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_missing_reason_is_a_usage_error(project: Path) -> None:
    path = seed(project)
    with pytest.raises(SystemExit) as exit_info:
        main(["deploy", "aaaa1111"])
    assert exit_info.value.code == EXIT_USAGE
    assert path.read_bytes() == HEADER.encode()


def test_persisting_a_second_run_of_a_frozen_model_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = seed(project, "aaaa2222,persisted,2026-01-06 10:00:00,ana,freeze")
    before = path.read_bytes()
    assert decide("deploy", "aaaa1111", "--persist", "--reason", "x") == EXIT_REFUSED
    error = capsys.readouterr().err
    assert "already frozen by run aaaa2222" in error
    assert "people-ml unfreeze attrition" in error
    assert path.read_bytes() == before


def test_a_malformed_seed_is_refused_with_its_line_and_left_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = seed(project, "aaaa1111,deployed,not a time,ana,why")
    before = path.read_bytes()
    assert decide("ignore", "cccc4444", "--reason", "x") == EXIT_USAGE
    assert "line 2" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_deploy_persist_ignore_unfreeze_append_one_line_each(project: Path) -> None:
    path = seed(project)
    assert decide("deploy", "aaaa1", "--reason", "looks right") == EXIT_OK
    assert decide("deploy", "aaaa2", "--persist", "--reason", "freeze") == EXIT_OK
    assert decide("ignore", "cccc", "--reason", "experiment") == EXIT_OK
    assert decide("unfreeze", "attrition", "--reason", "data drift") == EXIT_OK
    rows = [
        (d.run_id, d.status, d.decided_by, d.reason) for d in decisions.read_log(path)
    ]
    assert rows == [
        ("aaaa1111", "deployed", "ana@example.com", "looks right"),
        ("aaaa2222", "persisted", "ana@example.com", "freeze"),
        ("cccc4444", "ignored", "ana@example.com", "experiment"),
        ("aaaa2222", "deployed", "ana@example.com", "unfreeze: data drift"),
    ]
    times = [d.decided_at for d in decisions.read_log(path)]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_who_decides_comes_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed(project)
    monkeypatch.setenv("PEOPLE_ML_USER", "hr-analytics@example.com")
    assert main(["deploy", "aaaa1111", "--reason", "ok"]) == EXIT_OK
    assert decisions.read_log(path)[0].decided_by == "hr-analytics@example.com"


def test_the_system_auto_deploy_shows_in_the_run_list(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(project)
    assert main(["runs", "--status", "deployed"]) == EXIT_OK
    listed = capsys.readouterr().out
    assert "bbbb3333" in listed and "aaaa1111" not in listed


def _deploy_in_process(home: str, run_id: str, queue: multiprocessing.Queue) -> None:
    import os

    os.environ["PEOPLE_ML_HOME"] = home
    queue.put(main(["deploy", run_id, "--reason", "parallel", "--by", "p"]))


def test_two_decisions_written_at_once_both_land_intact(project: Path) -> None:
    path = seed(project)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_deploy_in_process, args=(str(project), run_id, queue)
        )
        for run_id in ("aaaa1111", "cccc4444")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(queue.get() for _ in workers) == [EXIT_OK, EXIT_OK]
    log = decisions.read_log(path)
    assert sorted(d.run_id for d in log) == ["aaaa1111", "cccc4444"]


def test_a_locked_warehouse_gives_a_clear_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(project)
    warehouse = project / "warehouse" / "people_ml.duckdb"
    # A writer in another process holds the lock, as dbt build does.
    ready, done = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(
        target=_hold_lock, args=(str(warehouse), ready, done)
    )
    holder.start()
    try:
        assert ready.wait(30)
        assert main(["runs"]) == EXIT_BUSY
        assert "locked by another process" in capsys.readouterr().err
    finally:
        done.set()
        holder.join(30)


def _hold_lock(
    path: str, ready: multiprocessing.Event, done: multiprocessing.Event
) -> None:
    with duckdb.connect(path):
        ready.set()
        done.wait(30)


def test_run_ids_and_reasons_are_data_not_sql(project: Path) -> None:
    path = seed(project)
    evil = "x'); drop table ml.ml_attrition_runs; --"
    assert decide("deploy", evil, "--reason", evil) == EXIT_USAGE
    assert decide("deploy", "aaaa1111", "--reason", evil) == EXIT_OK
    assert decisions.read_log(path)[0].reason == evil
    store = lifecycle.load_runs(project / "warehouse" / "people_ml.duckdb")
    assert len(store.runs) == len(RUNS)
