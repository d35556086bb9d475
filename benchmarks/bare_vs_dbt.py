"""What dbt costs over the ML work it runs: dbt against a bare script.

In a copy of the project with the synthetic extract (2,000 employees by
default) and every input of the two ML models built, each repeat times, in
fresh processes on the same warehouse:

* ``bare``: a Python script that does what the two dbt Python models do and
  nothing else: read the decision log and each model's frame from DuckDB and
  call :func:`people_ml.runs.execute_run` for both models in two threads (as
  dbt's two threads run them), appending each run record to its run table;
* ``dbt run``: ``dbt run --select ml_attrition_runs ml_expected_pay_runs``,
  the same two models through dbt (startup, parse, materialization);
* ``dbt build``: the whole ``dbt build`` a user runs (every SQL model, test and
  the publication as well).

Every run trains (``ml_rerun_unchanged``), so the ML work is the same. Prints
the median wall seconds of each and the ratios dbt run / bare and dbt build /
bare. Then, whether the two models slow each other down: each model's fit
seconds (from its run record) when the bare script runs it alone, against
when both run at once (median over the repeats).

    python benchmarks/bare_vs_dbt.py [--employees 2000] [--repeats 3]

A script that prints figures, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from people_ml.project import SIZING_VARIABLES, copy_project_files, isolated_env

REPO = Path(__file__).resolve().parents[1]
MODELS = ("ml_attrition_runs", "ml_expected_pay_runs")


def _bare(root: Path, models: tuple[str, ...] = MODELS) -> None:
    """The Python models' work without dbt (run in a child process)."""
    import duckdb

    from people_ml.runs import execute_run, previous_runs

    manifest = json.loads((root / "target" / "manifest.json").read_text())
    nodes = {n["name"]: n for n in manifest["nodes"].values()}
    con = duckdb.connect(str(root / "warehouse" / "people_ml.duckdb"))
    decisions = con.execute(
        f"select * from {nodes['ml_decision_log']['relation_name']}"
    ).df()
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            node = nodes[name]
            session = con.cursor()
            (frame_id,) = (
                d for d in node["depends_on"]["nodes"] if "ml_decision_log" not in d
            )
            frame = session.sql(
                f"select * from {manifest['nodes'][frame_id]['relation_name']}"
            )
            this = node["relation_name"]
            record = execute_run(
                spec_config=node["config"]["ml_model"],
                frame=frame,
                decisions=decisions,
                runs=previous_runs(session, this, True),
                session=session,
                rerun_unchanged=True,
                model_name=name,
            )
            session.register("record", record)
            session.execute(f"insert into {this} by name select * from record")
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _fit_seconds(root: Path, model: str) -> float:
    """The fit seconds of the model's latest run."""
    import duckdb

    with duckdb.connect(str(root / "warehouse/people_ml.duckdb"), read_only=True) as c:
        return c.execute(
            f"select fit_seconds from ml.{model} order by run_number desc limit 1"
        ).fetchone()[0]


def _timed(command: list[str], root: Path) -> float:
    env = isolated_env(root, keep=SIZING_VARIABLES)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--models", nargs="+", default=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        _bare(args.bare, tuple(args.models))
        return
    bin_dir = Path(sys.executable).parent
    dbt = str(bin_dir / "dbt")
    root = Path(tempfile.mkdtemp(prefix="people_ml_bare_")) / "project"
    root.mkdir()
    copy_project_files(
        REPO, root, decision_log=REPO / "tests" / "fixtures" / "run_status.csv"
    )
    try:
        people_ml = str(bin_dir / "people-ml")
        size = ["--employees", str(args.employees), "--months", str(args.months)]
        _timed([people_ml, "generate", *size], root)
        _timed([dbt, "build"], root)  # every input, run table and mart exists
        rerun = ["--vars", "{ml_rerun_unchanged: true}"]
        times: dict[str, list[float]] = {"bare": [], "dbt run": [], "dbt build": []}
        fits: dict[tuple[str, str], list[float]] = {}
        bare = [sys.executable, __file__, "--bare", str(root), "--models"]
        for _ in range(args.repeats):
            for model in MODELS:
                _timed([*bare, model], root)
                fits.setdefault((model, "alone"), []).append(_fit_seconds(root, model))
            times["bare"].append(_timed([*bare, *MODELS], root))
            for model in MODELS:
                fits.setdefault((model, "both"), []).append(_fit_seconds(root, model))
            times["dbt run"].append(
                _timed([dbt, "run", "--select", *MODELS, *rerun], root)
            )
            times["dbt build"].append(_timed([dbt, "build", *rerun], root))
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
    median = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"\n{args.employees:,} employees x {args.months} months, both ML models "
        f"training, {args.repeats} repeats ({os.cpu_count()} cores)\n"
    )
    print(f"{'':<12}{'median s':>10}{'runs':>28}{'/ bare':>9}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(
            f"{name:<12}{median[name]:>10.1f}{runs:>28}"
            f"{median[name] / median['bare']:>9.2f}"
        )
    print(f"\n{'fit seconds':<24}{'alone':>8}{'both at once':>14}{'ratio':>8}")
    for model in MODELS:
        alone = statistics.median(fits[(model, "alone")])
        both = statistics.median(fits[(model, "both")])
        print(f"{model:<24}{alone:>8.1f}{both:>14.1f}{both / alone:>8.2f}")


if __name__ == "__main__":
    main()
