"""Hand edits the ledger refuses: backdated, abbreviated, deleted, fake rollback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from _ledger_helpers import ledger_project, write_log

from people_ml import ledger
from people_ml.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main
from people_ml.runs import decisions_frame


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return ledger_project(tmp_path, monkeypatch)


def test_a_decision_dated_before_its_run_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # aaaa2222 was recorded on 2026-01-02.
    write_log(project, "aaaa2222,deployed,2026-01-01 09:00:00,bo,backdated")
    assert main(["check-log"]) == EXIT_REFUSED
    error = capsys.readouterr().err
    assert "line 2" in error and "[rule decided_before_run]" in error


def test_a_shortened_run_id_is_refused_not_ignored(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(project, "aaaa11,deployed,2026-01-05 09:00:00,bo,as runs prints it")
    assert main(["check-log"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "line 2" in error and "only the start of run aaaa1111" in error


def test_a_reason_that_merely_starts_with_rollback_is_not_a_rollback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa1111,deployed,2026-01-05 09:00:00,ana,first",
        "aaaa1111,ignored,2026-01-06 09:00:00,bo,rollbacks are never needed",
    )
    assert main(["check-log"]) == EXIT_REFUSED
    assert "line 3" in capsys.readouterr().err
    write_log(
        project,
        "aaaa1111,deployed,2026-01-05 09:00:00,ana,first",
        "aaaa1111,ignored,2026-01-06 09:00:00,bo,rollback to cccc4444: wrong data",
    )
    assert main(["check-log"]) == EXIT_OK


def _loaded(project: Path, *lines: str) -> None:
    """The decisions a build read into the warehouse, as ml_decision_log does."""
    text = ledger.HEADER_LINE + "\n" + "".join(f"{line}\n" for line in lines)
    frame = decisions_frame(ledger.parse_log(text))
    with duckdb.connect(str(project / "warehouse" / "people_ml.duckdb")) as con:
        con.execute("create schema ml_decisions")
        con.register("frame", frame)
        con.execute("create table ml_decisions.ml_decision_log as select * from frame")


def test_deleting_a_decision_a_build_read_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    persisted = "aaaa2222,persisted,2026-01-05 09:00:00,ana,freeze"
    _loaded(project, persisted, "zzzz9999,deployed,2026-01-05 10:00:00,ana,typo")
    # The typo'd line (a run no warehouse knows) may go; the freeze may not.
    write_log(project, persisted)
    assert main(["check-log"]) == EXIT_OK
    capsys.readouterr()
    path = write_log(project)
    before = path.read_bytes()
    assert main(["runs"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "lost 1 decision" in error and "aaaa2222 set to persisted" in error
    assert main(["deploy", "aaaa1111", "--reason", "x", "--by", "ana"]) == EXIT_USAGE
    assert path.read_bytes() == before
