"""Benchmark the main job: dbt build with training, then with frozen models.

For each size: copy the project to a temporary folder, generate the synthetic
HRIS extract, run `dbt build` (AutoML trains both ML models), freeze both runs,
advance one month and build again (scoring only). Prints wall time and peak
memory of each build, and the fit / predict / SHAP / review seconds each run
recorded (the review: group metrics, the comparison with the shown run, gates;
monitoring: drift against the training reference and input checks), and the
node seconds of the monitoring SQL (realized performance, drift and alert
marts and their tests) from dbt's run_results.json.

    python benchmarks/build_timings.py                  # default size
    python benchmarks/build_timings.py --employees 100000

A script that prints figures, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from people_ml.project import copy_project_files, isolated_env

REPO = Path(__file__).resolve().parents[1]
MODELS = ("ml_attrition_runs", "ml_expected_pay_runs")
#: dbt nodes of the monitoring SQL (models and tests), by name.
MONITORING_NODES = ("realized", "drift", "input_issues", "monitor")


def _monitoring_node_seconds(root: Path) -> float:
    """Node seconds of the monitoring models and tests in the last dbt run."""
    results = json.loads((root / "target" / "run_results.json").read_text())
    return sum(
        r["execution_time"]
        for r in results["results"]
        if any(part in r["unique_id"] for part in MONITORING_NODES)
    )


def _copy(root: Path) -> None:
    # The committed decision log (header only), never the working tree's.
    log = REPO / "tests" / "fixtures" / "run_status.csv"
    copy_project_files(REPO, root, decision_log=log)


def _timed(command: list[str], root: Path) -> tuple[float, float]:
    """Run a command; return wall seconds and peak resident memory in MiB."""
    # None of the caller's paths: a PEOPLE_ML_DUCKDB would build the user's file.
    env = isolated_env(root, keep=("PEOPLE_ML_THREADS",))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{output.decode()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def _runs(root: Path, run_number: int) -> list[tuple]:
    with duckdb.connect(
        str(root / "warehouse/people_ml.duckdb"), read_only=True
    ) as con:
        return [
            con.execute(
                f"select '{model}', run_id, mode, n_train_rows, n_predict_rows, "
                f"fit_seconds, predict_seconds, explain_seconds, review_seconds, "
                f"monitoring_seconds, total_seconds, shap_rows_per_second, "
                f"cv_score "
                f"from ml.{model} where run_number = {run_number}"
            ).fetchone()
            for model in MODELS
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    root = Path(tempfile.mkdtemp(prefix="people_ml_bench_")) / "project"
    root.mkdir()
    _copy(root)
    rows = []
    seconds, mib = _timed(
        [
            str(bin_dir / "people-ml"),
            "generate",
            "--employees",
            str(args.employees),
            "--months",
            str(args.months),
        ],
        root,
    )
    rows.append(("generate", seconds, mib))
    seconds, mib = _timed([str(bin_dir / "dbt"), "build"], root)
    rows.append(("dbt build (train)", seconds, mib))
    sql_seconds = [("train", _monitoring_node_seconds(root))]
    trained = _runs(root, 1)
    with (root / "seeds" / "run_status.csv").open("a") as log:
        for run in trained:
            now = dt.datetime.now(dt.UTC)
            log.write(
                f"{run[1]},persisted,{now:%Y-%m-%d %H:%M:%S},benchmark,"
                "override gates: freeze\n"
            )
    seconds, mib = _timed(
        [str(bin_dir / "people-ml"), "advance", "--months", "1"], root
    )
    rows.append(("advance 1 month", seconds, mib))
    seconds, mib = _timed([str(bin_dir / "dbt"), "build"], root)
    rows.append(("dbt build (score)", seconds, mib))
    sql_seconds.append(("score", _monitoring_node_seconds(root)))
    scored = _runs(root, 2)

    print(
        f"\n{args.employees:,} employees x {args.months} months "
        f"({os.cpu_count()} cores, PEOPLE_ML_THREADS="
        f"{os.environ.get('PEOPLE_ML_THREADS', '1')})\n"
    )
    print(f"{'step':<22}{'wall s':>10}{'peak MiB':>12}")
    for step, seconds, mib in rows:
        print(f"{step:<22}{seconds:>10.1f}{mib:>12.0f}")
    print(
        f"\n{'run':<24}{'mode':<9}{'train rows':>11}{'predicted':>10}"
        f"{'fit s':>8}{'predict s':>10}{'SHAP s':>8}{'review s':>9}"
        f"{'monitor s':>10}{'total s':>9}{'SHAP rows/s':>12}{'CV score':>11}"
    )
    for run in trained + scored:
        model, _, mode, n_train, n_predict, fit, predict, shap, review = run[:9]
        monitor, total, shap_rate, cv = run[9], run[10], run[11], run[12]
        print(
            f"{model:<24}{mode:<9}{n_train:>11,}{n_predict:>10,}{fit:>8.1f}"
            f"{predict:>10.2f}{shap:>8.1f}{review:>9.1f}{monitor:>10.2f}{total:>9.1f}"
            f"{shap_rate or 0:>12,.0f}{cv:>11.4f}"
        )
    print()
    for build, node_seconds in sql_seconds:
        print(f"monitoring SQL nodes, {build} build: {node_seconds:.1f} node-seconds")
    if args.keep:
        print(f"\nkept {root}")
    else:
        shutil.rmtree(root.parent)


if __name__ == "__main__":
    main()
