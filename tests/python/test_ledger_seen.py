"""What was seen (issue 10), each reproduced through the commands a person runs.

Every test here failed on the code before the ledger: a decision swallowed by
an unbalanced quote, rule-breaking hand edits read as valid, false times,
Excel's byte-order mark refused and CRLF rewritten, a deleted log read as "no
decisions", no fallback for who decides, a traceback on a closed pipe.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _ledger_helpers import HEADER, ledger_project, write_log

from people_ml.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return ledger_project(tmp_path, monkeypatch)


def _log(project: Path) -> Path:
    return project / "seeds" / "run_status.csv"


def decide(*args: str) -> int:
    return main([*args, "--by", "ana@example.com"])


# 1. Lost decisions


def test_an_unbalanced_quote_is_refused_and_no_decision_is_swallowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_log(
        project, 'aaaa1111,deployed,2026-01-05 10:00:00,ana,"good run, stable'
    )
    before = path.read_bytes()
    assert main(["runs"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "line 2" in error and "quote" in error
    assert decide("deploy", "cccc4444", "--reason", "fine") == EXIT_USAGE
    assert "line 2" in capsys.readouterr().err
    assert path.read_bytes() == before


# 2. Rule-breaking edits


def test_a_hand_written_ignore_of_an_auto_deployed_run_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # bbbb3333 was scored with the frozen aaaa2222 and deployed by the system.
    write_log(
        project,
        "aaaa2222,persisted,2026-01-02 10:00:00,ana,freeze",
        "bbbb3333,ignored,2026-01-05 10:00:00,bo,hand edit",
    )
    assert main(["runs"]) == EXIT_REFUSED
    error = capsys.readouterr().err
    assert "line 3" in error and "bbbb3333" in error and "already deployed" in error


def test_a_hand_written_persist_of_an_auto_deployed_run_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa2222,persisted,2026-01-02 10:00:00,ana,freeze",
        "aaaa2222,deployed,2026-01-04 10:00:00,ana,unfreeze: drift",
        "bbbb3333,persisted,2026-01-05 10:00:00,bo,hand edit",
    )
    assert main(["runs"]) == EXIT_REFUSED
    assert "line 4" in capsys.readouterr().err


def test_two_persisted_runs_of_one_model_in_the_log_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(
        project,
        "aaaa1111,persisted,2026-01-01 10:00:00,ana,freeze",
        "aaaa2222,persisted,2026-01-02 10:00:00,bo,freeze too",
    )
    assert main(["runs"]) == EXIT_REFUSED
    error = capsys.readouterr().err
    assert "line 3" in error and "at most one frozen run per model" in error
    assert "frozen by run aaaa1111" in error


def test_an_unknown_status_word_names_the_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(project, "aaaa1111,deploy,2026-01-05 10:00:00,ana,typo")
    assert main(["runs"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "line 2" in error and "'deploy'" in error


# 3. False times


def test_a_future_dated_line_is_refused_and_never_dates_a_new_decision(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    future = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=30)
    path = write_log(project, f"aaaa1111,deployed,{future:%Y-%m-%d %H:%M:%S},ana,ok")
    before = path.read_bytes()
    assert decide("ignore", "cccc4444", "--reason", "experiment") == EXIT_USAGE
    error = capsys.readouterr().err
    assert "line 2" in error and "in the future" in error
    assert path.read_bytes() == before


def test_a_decision_is_dated_by_the_clock(project: Path) -> None:
    path = write_log(project, "aaaa1111,deployed,2026-01-05 10:00:00,ana,ok")
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert decide("ignore", "cccc4444", "--reason", "experiment") == EXIT_OK
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    written = path.read_text().splitlines()[-1].split(",")[2]
    assert before <= dt.datetime.fromisoformat(written) <= after


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-01-05 12:00:00+02:00", "2026-01-05 10:00:00"),
        ("2026-01-05T10:00:00Z", "2026-01-05 10:00:00"),
    ],
)
def test_a_time_with_a_utc_offset_is_refused_with_the_utc_spelling(
    project: Path, capsys: pytest.CaptureFixture[str], written: str, utc: str
) -> None:
    path = write_log(project, f"aaaa1111,deployed,{written},ana,ok")
    before = path.read_bytes()
    assert decide("ignore", "cccc4444", "--reason", "x") == EXIT_USAGE
    error = capsys.readouterr().err
    assert "line 2" in error and "offset" in error and utc in error
    assert path.read_bytes() == before


# 4. Excel and deletion


def test_excels_byte_order_mark_is_read_and_kept(project: Path) -> None:
    path = _log(project)
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.encode() + b"aaaa1111,deployed,2026-01-05 10:00:00,"
        b"ana,ok\n"
    )
    before = path.read_bytes()
    assert decide("ignore", "cccc4444", "--reason", "experiment") == EXIT_OK
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode().startswith("cccc4444,ignored,")


def test_a_crlf_log_is_appended_to_in_crlf_never_rewritten(project: Path) -> None:
    path = _log(project)
    path.write_bytes(
        HEADER.replace("\n", "\r\n").encode()
        + b"aaaa1111,deployed,2026-01-05 10:00:00,ana,ok\r\n"
    )
    before = path.read_bytes()
    assert decide("ignore", "cccc4444", "--reason", "experiment") == EXIT_OK
    after = path.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added.endswith(b"\r\n") and added.count(b"\n") == 1


def test_a_deleted_log_is_an_error_not_no_decisions(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(project, "aaaa2222,persisted,2026-01-02 10:00:00,ana,freeze")
    _log(project).unlink()
    assert main(["runs"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "missing" in error and "git checkout" in error
    assert decide("deploy", "aaaa1111", "--reason", "x") == EXIT_USAGE
    assert not _log(project).exists()


# 6. Smaller


def _git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, email: str) -> None:
    config = tmp_path / "gitconfig"
    config.write_text(f"[user]\n\temail = {email}\n" if email else "")
    for var in ("USER", "LOGNAME", "PEOPLE_ML_USER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(tmp_path)  # not inside a repository with its own config


def test_without_a_login_name_git_says_who_decides(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_config(tmp_path, monkeypatch, "ci-bot@example.com")
    assert main(["deploy", "aaaa1111", "--reason", "ok"]) == EXIT_OK
    assert _log(project).read_text().splitlines()[-1].split(",")[3] == (
        "ci-bot@example.com"
    )


def test_with_nobody_to_name_the_error_names_the_option(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _git_config(tmp_path, monkeypatch, "")
    before = _log(project).read_bytes()
    assert main(["deploy", "aaaa1111", "--reason", "ok"]) == EXIT_USAGE
    assert "--by" in capsys.readouterr().err
    assert _log(project).read_bytes() == before


def test_a_closed_pipe_ends_quietly(project: Path) -> None:
    env = {**os.environ, "PEOPLE_ML_HOME": str(project)}
    completed = subprocess.run(
        f"'{sys.executable}' -m people_ml.cli runs | true",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in completed.stderr
    assert "BrokenPipeError" not in completed.stderr
