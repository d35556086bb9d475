"""A warehouse of run records and a decision log, for the ledger's tests.

The run tables have the shape the dbt Python models write (the columns the
ledger reads); the log is a real CSV file in a project folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

HEADER = "run_id,status,decided_at,decided_by,reason\n"
RUNS = {
    # run_id: (model_key, run_number, mode, frozen_run_id, is_auto_deployed)
    "aaaa1111": ("attrition", 1, "trained", None, False),
    "aaaa2222": ("attrition", 2, "trained", None, False),
    "bbbb3333": ("attrition", 3, "scored", "aaaa2222", True),
    "cccc4444": ("expected_pay", 1, "trained", None, False),
}
# When each run was recorded (the system's auto-deploy of bbbb3333 is then).
CREATED = {
    run_id: dt.datetime(2026, 1, number) for run_id, (_, number, *_) in RUNS.items()
}


def make_warehouse(path: Path, runs: dict | None = None) -> None:
    """Run tables ml.ml_attrition_runs and ml.ml_expected_pay_runs."""
    runs = RUNS if runs is None else runs
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
            for run_id, (model, number, mode, frozen, auto) in runs.items():
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


def make_project(root: Path) -> Path:
    """A minimal people_ml project folder with a warehouse and an empty log."""
    (root / "dbt_project.yml").write_text("name: people_ml\n")
    (root / "seeds").mkdir()
    (root / "warehouse").mkdir()
    make_warehouse(root / "warehouse" / "people_ml.duckdb")
    (root / "seeds" / "run_status.csv").write_text(HEADER)
    return root


def ledger_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """:func:`make_project` in ``root``, the commands pointed at it.

    conftest's autouse fixture has already cleared the user's state variables.
    """
    monkeypatch.setenv("PEOPLE_ML_HOME", str(root))
    return make_project(root)


def write_log(project: Path, *lines: str, header: str = HEADER) -> Path:
    """Write the decision log with these lines (LF line ends)."""
    path = project / "seeds" / "run_status.csv"
    path.write_text(header + "".join(f"{line}\n" for line in lines))
    return path
