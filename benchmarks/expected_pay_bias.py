"""Bias and error of the expected-pay model on its test period, before and after bands.

Pay bands rise every January, so a model of annual FTE base salary fit on
past sample dates without anything that moves with them predicts the latest
period's pay too low for everyone (and the pay page reads that as everyone
being overpaid). The pay frame now carries the band midpoint in force for the
person's job family and level at the sample date and the one in force when
their salary was last set.

For each seed: generate the default extract (``people-ml generate``: 2,000
employees x 36 months from 2023-11-01) into a copy of the dbt project, build
the pay frame there with the real dbt project (``dbt build --select
+int_pay_samples_labelled``) and train the ``expected_pay`` model exactly as a
run does (``people_ml.ml.train`` with the spec of ``ml_expected_pay_runs`` in
``python_models/ml/_ml__models.yml``: the time split, AutoML and the test
period's metrics), twice:

* before: the spec restricted to the feature list the model had before the
  band columns (:data:`BASELINE_FEATURES`);
* after: the spec as it is.

The bias is the run's ``mean_bias_share`` test metric, mean predicted over
mean actual salary minus 1 (the same ratio of averages as the pay page's
``average_pay_gap_share``, with the opposite sign: negative means predicted
too low). The mean of the per-person ratios (predicted - actual) / actual is
printed beside it; it sits above the ratio of means even for a model that is
right on average. The MAE is the run's ``mae`` test metric.

Usage::

    python benchmarks/expected_pay_bias.py [--seeds 42 1 2 3]
        [--employees 2000] [--months 36] [--jobs 1]

Prints one line per seed and the medians over seeds; exits 1 unless the after
bias of every seed is within +-0.5 % (:data:`MAX_ABS_BIAS`) and the median
after MAE is below the median before MAE.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from people_ml.ml import MLModelSpec, train
from people_ml.synthetic import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attrition_signal import build_frame, copy_project

FRAME = "intermediate.int_pay_samples_labelled"
PYTHON_MODEL = "ml_expected_pay_runs"
# The expected_pay features before the pay frame carried the band midpoints.
BASELINE_FEATURES = (
    "job_family",
    "division_name",
    "department_name",
    "region",
    "job_level",
    "fte",
    "tenure_months",
    "months_since_promotion",
    "last_rating",
    "direct_report_count",
    "is_remote",
    "is_people_manager",
)
MAX_ABS_BIAS = 0.005


def load_spec(project: Path) -> MLModelSpec:
    """The expected_pay spec of the project's ``ml_expected_pay_runs`` config."""
    path = project / "python_models" / "ml" / "_ml__models.yml"
    models = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    config = next(m for m in models if m["name"] == PYTHON_MODEL)["config"]
    # Review, monitoring and deployment options are not part of the model.
    keys = {f.name for f in dataclasses.fields(MLModelSpec)}
    return MLModelSpec.from_config(
        {k: v for k, v in config["ml_model"].items() if k in keys}
    )


def run_figures(frame: pd.DataFrame, spec: MLModelSpec, tmp: Path) -> dict:
    """Train as a run does and read its test-period figures."""
    with tempfile.TemporaryDirectory(dir=tmp) as artifacts:
        out = train(frame, spec, artifact_dir=Path(artifacts), run_id=spec.key)
    metrics = out.metrics
    test = metrics[(metrics["split"] == "test") & metrics["class_label"].isna()]
    values = test.set_index("metric")["value"]
    rows = out.test_predictions
    per_person = (rows["prediction"] - rows["actual"]) / rows["actual"]
    run = out.run.iloc[0]
    return {
        "mae": float(values["mae"]),
        "bias": float(values["mean_bias_share"]),
        "per_person_bias": float(per_person.mean()),
        "r2": float(values["r2"]),
        "algorithm": str(run["algorithm"]),
        "features": json.loads(run["features"]),
        "test_date": str(pd.Timestamp(run["test_date"]).date()),
        "n_test": int(run["n_test_rows"]),
    }


def measure(seed: int, employees: int, months: int) -> dict[str, object]:
    """Generate, build and train before and after for one seed."""
    with tempfile.TemporaryDirectory(prefix="expected_pay_bias_") as tmp:
        # The committed fixture log, never the working tree's own state.
        project = copy_project(Path(tmp) / "project")
        generate(
            project / "data" / "raw" / "hris",
            employees=employees,
            months=months,
            seed=seed,
        )
        frame = build_frame(project, FRAME)
        spec = load_spec(project)
        baseline = dataclasses.replace(spec, features=BASELINE_FEATURES, exclude=())
        return {
            "seed": seed,
            "before": run_figures(frame, baseline, Path(tmp)),
            "after": run_figures(frame, spec, Path(tmp)),
        }


def _line(label: str, before: dict, after: dict) -> str:
    return (
        f"{label:>6}  {before['mae']:>10,.0f} {before['bias']:>+9.2%} "
        f"{before['per_person_bias']:>+9.2%}  {after['mae']:>10,.0f} "
        f"{after['bias']:>+9.2%} {after['per_person_bias']:>+9.2%}  "
        f"{after['mae'] / before['mae'] - 1:>+8.1%}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds measured in parallel"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    n = len(args.seeds)
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        results = list(
            pool.map(measure, args.seeds, [args.employees] * n, [args.months] * n)
        )
    first = results[0]
    print(
        f"expected_pay, test period {first['after']['test_date']} "
        f"(n={first['after']['n_test']:,} for seed {first['seed']}); "
        "bias = mean predicted / mean actual - 1, per person = "
        "mean of (predicted - actual) / actual"
    )
    print(f"before: {', '.join(first['before']['features'])}")
    print(f"after:  {', '.join(first['after']['features'])}")
    print()
    print(
        f"{'':>6}  {'before':-^30}  {'after':-^30}  {'MAE':>8}\n"
        f"{'seed':>6}  {'MAE':>10} {'bias':>9} {'per pers.':>9}  {'MAE':>10} "
        f"{'bias':>9} {'per pers.':>9}  {'change':>8}"
    )
    for r in results:
        line = _line(str(r["seed"]), r["before"], r["after"])
        print(f"{line}  {r['before']['algorithm']} -> {r['after']['algorithm']}")
    median = {
        side: {
            key: float(np.median([r[side][key] for r in results]))
            for key in ("mae", "bias", "per_person_bias")
        }
        for side in ("before", "after")
    }
    print(_line("median", median["before"], median["after"]))
    print(f"({time.perf_counter() - began:.0f} s)")
    outside = [r["seed"] for r in results if abs(r["after"]["bias"]) > MAX_ABS_BIAS]
    failed = False
    if outside:
        print(f"FAIL: after bias outside +-{MAX_ABS_BIAS:.1%} for seed(s) {outside}")
        failed = True
    if median["after"]["mae"] >= median["before"]["mae"]:
        print("FAIL: the median MAE did not improve")
        failed = True
    if not failed:
        print(
            f"PASS: after bias within +-{MAX_ABS_BIAS:.1%} for every seed, "
            "median MAE improved"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
