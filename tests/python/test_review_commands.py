"""The review's commands on a real warehouse: gates refuse deploy, rollback."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from _ledger_helpers import ledger_project, write_log

from people_ml.cli import EXIT_OK, EXIT_REFUSED, main
from people_ml.ledger.contract import STORE_TABLES


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = ledger_project(tmp_path, monkeypatch)
    with duckdb.connect(str(root / "warehouse" / "people_ml.duckdb")) as con:
        con.execute("create schema ml_store")
        con.execute(STORE_TABLES["gate_results"].ddl())
        con.execute(
            "insert into ml_store.gate_results values "
            "('aaaa1111', 'min_test_roc_auc', 'fail', 0.61, null, null, 0.65, "
            "'test ROC AUC 0.6100, must be >= 0.65'), "
            "('aaaa1111', 'min_selection_rate_ratio:gender', 'warn', 0.9, 0.7, "
            "1.1, 0.8, 'straddles'), "
            "('aaaa2222', 'min_test_roc_auc', 'pass', 0.8, null, null, 0.65, 'ok')"
        )
        # Run records point at their pickles (content-addressed files).
        con.execute("alter table ml.ml_attrition_runs add column artifact_path varchar")
        con.execute(
            "alter table ml.ml_attrition_runs add column artifact_sha256 varchar"
        )
        models = root / "artifacts" / "models"
        models.mkdir(parents=True)
        for run_id in ("aaaa1111", "aaaa2222"):
            data = f"pickle of {run_id}".encode()
            digest = hashlib.sha256(data).hexdigest()
            (models / f"{digest}.pkl").write_bytes(data)
            # bbbb3333 was scored with aaaa2222's pickle.
            con.execute(
                "update ml.ml_attrition_runs set artifact_path = ?, "
                "artifact_sha256 = ? where run_id = ? or (? = 'aaaa2222' and "
                "run_id = 'bbbb3333')",
                [f"{digest}.pkl", digest, run_id, run_id],
            )
    return root


def _log(project: Path) -> Path:
    return project / "seeds" / "run_status.csv"


def decide(*args: str) -> int:
    return main([*args, "--by", "ana@example.com"])


def test_a_failed_gate_refuses_deploy_and_leaves_the_log_byte_identical(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _log(project).read_bytes()
    for persist in ([], ["--persist"]):
        assert decide("deploy", "aaaa1111", *persist, "--reason", "ok") == (
            EXIT_REFUSED
        )
        error = capsys.readouterr().err
        assert "min_test_roc_auc" in error and "0.6100" in error
        assert "--override-gates" in error
        assert _log(project).read_bytes() == before
    # A warn does not block, and ignoring is never gated.
    assert decide("ignore", "aaaa1111", "--reason", "not good enough") == EXIT_OK


def test_override_gates_is_recorded_in_the_log(project: Path) -> None:
    assert (
        decide("deploy", "aaaa1111", "--override-gates", "--reason", "HRBP signed off")
        == EXIT_OK
    )
    line = _log(project).read_text().splitlines()[-1]
    assert line.endswith("override gates (min_test_roc_auc): HRBP signed off")


def test_rollback_shows_the_previous_run_again_and_the_rolled_back_one_never(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa1111,deployed,2026-02-01 10:00:00,ana,override gates: first",
        "aaaa2222,deployed,2026-02-02 10:00:00,ana,second",
    )
    before = _log(project).read_bytes()
    assert decide("rollback", "attrition", "--reason", "pay data was wrong") == EXIT_OK
    out = capsys.readouterr().out
    assert "BI shows run aaaa1111 again" in out
    after = _log(project).read_bytes()
    assert after.startswith(before)  # history is never edited
    last = after.decode().splitlines()[-1].split(",")
    assert last[:2] == ["aaaa2222", "ignored"]
    assert last[4] == "rollback to aaaa1111: pay data was wrong"
    # The run rolled back from cannot come back: ignoring is final.
    assert decide("deploy", "aaaa2222", "--reason", "again") == EXIT_REFUSED
    assert "ignoring is final" in capsys.readouterr().err
    # Rolling back again goes one further back: to bbbb3333, which the
    # system deployed when it was scored; then there is nothing earlier.
    assert decide("rollback", "attrition", "--reason", "again") == EXIT_OK
    assert "BI shows run bbbb3333 again" in capsys.readouterr().out
    assert decide("rollback", "attrition", "--reason", "again") == EXIT_REFUSED
    assert "no earlier deployed run" in capsys.readouterr().err


def test_rollback_refuses_a_target_whose_pickle_fails_verification(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa1111,deployed,2026-02-01 10:00:00,ana,override gates: first",
        "aaaa2222,deployed,2026-02-02 10:00:00,ana,second",
    )
    for pickle in (project / "artifacts" / "models").glob("*.pkl"):
        if pickle.read_bytes() == b"pickle of aaaa1111":
            pickle.write_bytes(b"tampered")
    before = _log(project).read_bytes()
    assert decide("rollback", "attrition", "--reason", "x") == EXIT_REFUSED
    error = capsys.readouterr().err
    assert "cannot roll back to run aaaa1111" in error and "altered" in error
    assert _log(project).read_bytes() == before


def test_rollback_of_the_frozen_run_unfreezes_the_model(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa1111,deployed,2026-02-01 10:00:00,ana,override gates: first",
        "aaaa2222,persisted,2026-02-02 10:00:00,ana,freeze",
    )
    # bbbb3333 was scored with aaaa2222 and auto-deployed (2026-01-03, before
    # the freeze in this made-up log, so aaaa2222 is the run shown).
    assert decide("rollback", "attrition", "--reason", "bad model") == EXIT_OK
    out = capsys.readouterr().out
    assert "no longer frozen" in out
    assert main(["check-log"]) == EXIT_OK
    assert "frozen by" not in capsys.readouterr().out


def test_an_ignore_of_a_deployed_run_is_not_a_rollback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project, "aaaa1111,deployed,2026-02-01 10:00:00,ana,override gates: first"
    )
    before = _log(project).read_bytes()
    assert decide("ignore", "aaaa1111", "--reason", "rollback please") == EXIT_REFUSED
    assert "already deployed" in capsys.readouterr().err
    assert _log(project).read_bytes() == before


def test_the_rules_come_before_the_gates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(project, "aaaa1111,deployed,2026-02-01 10:00:00,ana,override gates")
    assert decide("deploy", "aaaa1111", "--persist", "--reason", "freeze") == (
        EXIT_REFUSED
    )
    error = capsys.readouterr().err
    assert "already deployed" in error and "gate" not in error


def test_a_hand_written_deploy_past_a_failed_gate_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(project, "aaaa1111,deployed,2026-02-01 10:00:00,bo,hand edit")
    assert main(["check-log"]) == EXIT_REFUSED
    assert "[rule gates_failed]" in capsys.readouterr().err
    write_log(project, "aaaa1111,deployed,2026-02-01 10:00:00,bo,override gates: ok")
    assert main(["check-log"]) == EXIT_OK
