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
    python benchmarks/build_timings.py --employees 2000 25000 100000   # + growth

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
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from people_ml.project import SIZING_VARIABLES, copy_project_files, isolated_env

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
    env = isolated_env(root, keep=SIZING_VARIABLES)
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


#: The issue's budgets for the train and score builds, by size (seconds).
BUDGETS = {2_000: (25.0, None), 100_000: (150.0, 60.0), 1_000_000: (900.0, 240.0)}
#: Peak resident memory allowed at a million employees (MiB).
PEAK_BUDGET_MIB = 8 * 1024


@dataclass
class Size:
    """What one size measured.

    Attributes
    ----------
    employees, months : int
        The synthetic extract's size.
    steps : list of (str, float, float)
        Each step's name, wall seconds and peak resident MiB.
    runs : list of tuple
        Each ML run's row of the runs table (see ``_runs``).
    sql_seconds : list of (str, float)
        Monitoring SQL node-seconds per build.
    """

    employees: int
    months: int
    steps: list[tuple[str, float, float]] = field(default_factory=list)
    runs: list[tuple] = field(default_factory=list)
    sql_seconds: list[tuple[str, float]] = field(default_factory=list)

    def step(self, name: str) -> tuple[float, float]:
        """(wall seconds, peak MiB) of the step called ``name``."""
        return next((s, m) for step, s, m in self.steps if step == name)


def _measure(employees: int, months: int, keep: bool) -> Size:
    """Generate, build (train), freeze, advance a month, build (score)."""
    bin_dir = Path(sys.executable).parent
    root = Path(tempfile.mkdtemp(prefix="people_ml_bench_")) / "project"
    root.mkdir()
    _copy(root)
    size = Size(employees, months)
    generate = [str(bin_dir / "people-ml"), "generate", "--employees", str(employees)]
    seconds, mib = _timed([*generate, "--months", str(months)], root)
    size.steps.append(("generate", seconds, mib))
    seconds, mib = _timed([str(bin_dir / "dbt"), "build"], root)
    size.steps.append(("dbt build (train)", seconds, mib))
    size.sql_seconds.append(("train", _monitoring_node_seconds(root)))
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
    size.steps.append(("advance 1 month", seconds, mib))
    seconds, mib = _timed([str(bin_dir / "dbt"), "build"], root)
    size.steps.append(("dbt build (score)", seconds, mib))
    size.sql_seconds.append(("score", _monitoring_node_seconds(root)))
    size.runs = trained + _runs(root, 2)
    _print_size(size)
    if keep:
        print(f"\nkept {root}")
    else:
        shutil.rmtree(root.parent)
    return size


def _print_size(size: Size) -> None:
    # The sizing settings as given; unset means the project's own defaults
    # (profiles.yml, people_ml.ml._threads), not restated here.
    sizing = ", ".join(
        f"{name}={os.environ.get(name, 'unset')}" for name in SIZING_VARIABLES
    )
    print(
        f"\n{size.employees:,} employees x {size.months} months "
        f"({os.cpu_count()} cores, {sizing})\n"
    )
    print(f"{'step':<22}{'wall s':>10}{'peak MiB':>12}")
    for step, seconds, mib in size.steps:
        print(f"{step:<22}{seconds:>10.1f}{mib:>12.0f}")
    print(
        f"\n{'run':<24}{'mode':<9}{'train rows':>11}{'predicted':>10}"
        f"{'fit s':>8}{'predict s':>10}{'SHAP s':>8}{'review s':>9}"
        f"{'monitor s':>10}{'total s':>9}{'SHAP rows/s':>12}{'CV score':>11}"
    )
    for run in size.runs:
        model, _, mode, n_train, n_predict, fit, predict, shap, review = run[:9]
        monitor, total, shap_rate, cv = run[9], run[10], run[11], run[12]
        print(
            f"{model:<24}{mode:<9}{n_train:>11,}{n_predict:>10,}{fit:>8.1f}"
            f"{predict:>10.2f}{shap:>8.1f}{review:>9.1f}{monitor:>10.2f}{total:>9.1f}"
            f"{shap_rate or 0:>12,.0f}{cv:>11.4f}"
        )
    print()
    for build, node_seconds in size.sql_seconds:
        print(f"monitoring SQL nodes, {build} build: {node_seconds:.1f} node-seconds")


def _verdict(value: float, budget: float | None) -> str:
    """'within B' or 'OVER B' for a figure against its budget; '' without one."""
    if budget is None:
        return ""
    return f"{'within' if value <= budget else 'OVER'} {budget:,.0f}"


def _print_growth(sizes: list[Size]) -> None:
    """How time and memory grow with the head count, and the budgets' verdicts.

    Each row after the first also gives the growth since the size before it,
    per 1,000 employees. The last line extends the growth between the two
    largest sizes in a straight line to a million employees: a projection,
    printed as one, never a measurement.
    """
    print("\nHow time and memory grow with the head count\n")
    print(
        f"{'employees':>10}{'train s':>9}{'score s':>9}{'train MiB':>11}"
        f"{'score MiB':>11}{'s/1k (train)':>14}{'MiB/1k (train)':>16}"
        f"   budgets (s)"
    )
    previous: Size | None = None
    for size in sorted(sizes, key=lambda s: s.employees):
        train_s, train_mib = size.step("dbt build (train)")
        score_s, score_mib = size.step("dbt build (score)")
        if previous is not None:
            thousands = (size.employees - previous.employees) / 1000
            p_s, p_mib = previous.step("dbt build (train)")
            growth = (
                f"{(train_s - p_s) / thousands:>14.3f}"
                f"{(train_mib - p_mib) / thousands:>16.1f}"
            )
        else:
            growth = f"{'':>14}{'':>16}"
        budgets = zip(
            ("train", "score"),
            (train_s, score_s),
            BUDGETS.get(size.employees, (None, None)),
            strict=True,
        )
        verdicts = ", ".join(
            f"{build} {_verdict(value, budget)}"
            for build, value, budget in budgets
            if budget is not None
        )
        if size.employees >= 1_000_000:
            peak = max(train_mib, score_mib)
            verdicts += f", peak MiB {_verdict(peak, PEAK_BUDGET_MIB)}"
        print(
            f"{size.employees:>10,}{train_s:>9.1f}{score_s:>9.1f}{train_mib:>11.0f}"
            f"{score_mib:>11.0f}{growth}   {verdicts}"
        )
        previous = size
    if len(sizes) >= 2:
        small, large = sorted(sizes, key=lambda s: s.employees)[-2:]
        if large.employees < 1_000_000:
            thousands = (1_000_000 - large.employees) / 1000
            step = (large.employees - small.employees) / 1000
            projected = {}
            for name in ("dbt build (train)", "dbt build (score)"):
                (s0, m0), (s1, m1) = small.step(name), large.step(name)
                projected[name] = (
                    s1 + (s1 - s0) / step * thousands,
                    m1 + (m1 - m0) / step * thousands,
                )
            (ts, tm), (ss, sm) = projected.values()
            print(
                f"\nprojected, not measured (straight line through "
                f"{small.employees:,} and {large.employees:,}): 1,000,000 "
                f"employees would take train {ts:,.0f} s and {tm:,.0f} MiB, "
                f"score {ss:,.0f} s and {sm:,.0f} MiB (budgets "
                f"{BUDGETS[1_000_000][0]:,.0f} s, {BUDGETS[1_000_000][1]:,.0f} s, "
                f"{PEAK_BUDGET_MIB:,} MiB)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--employees",
        type=int,
        nargs="+",
        default=[2000],
        help="one or more sizes; with two or more, a table of how time and "
        "memory grow follows",
    )
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--keep", action="store_true", help="keep the temp folders")
    args = parser.parse_args()
    if len(set(args.employees)) < len(args.employees):
        parser.error("each size once: --employees takes distinct head counts")
    sizes = [_measure(n, args.months, args.keep) for n in args.employees]
    if len(sizes) >= 2:
        _print_growth(sizes)


if __name__ == "__main__":
    main()
