"""The decision commands: parsing, rules and every refusal, on a real warehouse.

The commands run against a real DuckDB warehouse file holding run tables of
the shape the dbt Python models write, and a real decision log CSV.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import duckdb
import pytest
from _ledger_helpers import CREATED, HEADER, RUNS, ledger_project, write_log

from people_ml import ledger, lifecycle
from people_ml.cli import EXIT_BUSY, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return ledger_project(tmp_path, monkeypatch)


def seed(project: Path, *lines: str) -> Path:
    return write_log(project, *lines)


def _read(path: Path) -> tuple[ledger.Decision, ...]:
    return ledger.read_log(path).decisions


def decide(*args: str) -> int:
    return main([*args, "--by", "ana@example.com"])


# -- well-formedness ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run_id,status\n", "line 1: the header"),
        ("run_id;status;decided_at;decided_by;reason\n", "separated by ';'"),
        (HEADER + "a,deployed,2026-01-01 00:00:00,ana\n", "line 2: expected 5 fields"),
        (
            HEADER + "a,shipped,2026-01-01 00:00:00,ana,why\n",
            "line 2: status 'shipped'",
        ),
        (HEADER + "a,deployed,yesterday,ana,why\n", "line 2: decided_at 'yesterday'"),
        (HEADER + "a,deployed,2026-02-30 10:00:00,ana,why\n", "not a valid date"),
        (HEADER + "\na,deployed,2026-01-01,ana,why\n", "line 3: decided_at"),
        (HEADER + "a,deployed,2026-01-01 00:00:00,ana,\n", "line 2: reason is empty"),
        (HEADER + ",deployed,2026-01-01 00:00:00,ana,why\n", "line 2: run_id"),
        (HEADER + "a,deployed,2026-01-01 00:00:00,,why\n", "line 2: decided_by"),
        (
            HEADER + "a,deployed,2026-01-01 00:00:00,people-ml,why\n",
            "line 2: decided_by 'people-ml' is the system's name",
        ),
        (HEADER + 'a,deployed,2026-01-01 00:00:00,ana,"x"y\n', "line 2: not one CSV"),
    ],
)
def test_a_malformed_log_is_refused_with_its_line_number(
    text: str, message: str
) -> None:
    with pytest.raises(ledger.DecisionLogError, match=message):
        ledger.parse_log(text)


def test_a_non_utf8_log_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "run_status.csv"
    path.write_bytes(HEADER.encode() + b"a,deployed,2026-01-01 00:00:00,Jos\xe9,ok\n")
    with pytest.raises(ledger.DecisionLogError, match="line 2: not UTF-8"):
        ledger.read_log(path)


def test_a_reason_with_a_comma_round_trips(project: Path) -> None:
    path = seed(project)
    assert decide("deploy", "aaaa1", "--reason", "good, stable") == EXIT_OK
    [decision] = _read(path)
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
def test_the_transition_table(current: str, new: str, allowed: bool) -> None:
    matrix = {(f, t, a): (r, p) for f, t, a, r, p in ledger.transition_matrix()}
    rule, prefix = matrix[(current, new, "person")]
    assert (rule is None) == allowed
    # A rollback is the one exception, and only with its reason prefix.
    assert (prefix == "rollback to ") == (
        (current, new) in {("deployed", "ignored"), ("persisted", "ignored")}
    )
    # The system only ever deploys a pending run.
    assert (matrix[(current, new, "system")][0] is None) == (
        (current, new) == ("pending", "deployed")
    )


def _ledger(text: str) -> ledger.Ledger:
    facts = {
        run_id: ledger.RunFacts(run_id, model, number, CREATED[run_id], auto, frozen)
        for run_id, (model, number, _, frozen, auto) in RUNS.items()
    }
    return ledger.validate(ledger.parse_log(text), facts)


def dt(day: int):
    import datetime

    return datetime.datetime(2026, 1, day)


def test_current_status_is_the_latest_decision_else_pending() -> None:
    state = _ledger(
        HEADER
        + "aaaa2222,persisted,2026-01-02 00:00:00,ana,freeze\n"
        + "aaaa2222,deployed,2026-01-05 00:00:00,ana,unfreeze: drift\n"
        + "cccc4444,ignored,2026-01-01 00:00:00,ana,experiment\n"
    )
    assert state.statuses() == {
        "aaaa1111": "pending",
        "aaaa2222": "deployed",
        "bbbb3333": "deployed",  # the system's auto-deploy
        "cccc4444": "ignored",
    }
    assert state.frozen_run("attrition") is None
    # bbbb3333 was first deployed (by the system) after aaaa2222 was persisted.
    assert state.shown_runs() == {"attrition": "bbbb3333"}


def test_a_log_that_breaks_a_rule_is_refused_naming_the_line() -> None:
    with pytest.raises(ledger.RuleError, match=r"line 3: run cccc4444 .*final"):
        _ledger(
            HEADER
            + "cccc4444,ignored,2026-01-01 00:00:00,ana,experiment\n"
            + "cccc4444,deployed,2026-01-02 00:00:00,bo,oops\n"
        )


def test_lines_out_of_time_order_are_read_in_time_order() -> None:
    # A merge of two branches can put a later decision above an earlier one.
    state = _ledger(
        HEADER
        + "aaaa2222,deployed,2026-01-05 00:00:00,ana,unfreeze: drift\n"
        + "aaaa2222,persisted,2026-01-02 00:00:00,ana,freeze\n"
    )
    assert state.status("aaaa2222") == "deployed"


def test_two_decisions_on_a_run_at_one_instant_are_refused() -> None:
    with pytest.raises(ledger.RuleError, match=r"line 3.*same decided_at"):
        _ledger(
            HEADER
            + "aaaa1111,persisted,2026-01-02 00:00:00,ana,freeze\n"
            + "aaaa1111,deployed,2026-01-02 00:00:00,ana,unfreeze: x\n"
        )


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
    rows = [(d.run_id, d.status, d.decided_by, d.reason) for d in _read(path)]
    assert rows == [
        ("aaaa1111", "deployed", "ana@example.com", "looks right"),
        ("aaaa2222", "persisted", "ana@example.com", "freeze"),
        ("cccc4444", "ignored", "ana@example.com", "experiment"),
        ("aaaa2222", "deployed", "ana@example.com", "unfreeze: data drift"),
    ]
    times = [d.decided_at for d in _read(path)]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_who_decides_comes_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed(project)
    monkeypatch.setenv("PEOPLE_ML_USER", "hr-analytics@example.com")
    assert main(["deploy", "aaaa1111", "--reason", "ok"]) == EXIT_OK
    assert _read(path)[0].decided_by == "hr-analytics@example.com"


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
    log = _read(path)
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
    assert _read(path)[0].reason == evil
    store = lifecycle.load_runs(project / "warehouse" / "people_ml.duckdb")
    assert len(store.runs) == len(RUNS)
