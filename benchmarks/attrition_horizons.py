"""Any horizon from one model: a monthly hazard against today's 12-month classifier.

For each seed: generate the default extract (2,000 employees x 36 months) into
a copy of the dbt project and build both attrition frames there with real dbt
(``int_attrition_samples_labelled``, quarterly samples with a 12-month label,
and ``int_attrition_person_months_labelled``, one row per person-month at risk
with a next-month label and the follow-up). All models are tested on the same
people: those active at the test date T, the latest sample date whose 12-month
label has resolved (the run's test period).

* ``classifier``: trained as the run trains it, ``time_split`` (samples at
  least 12 months before T) and ``fit_automl`` with the settings of the spec
  in ``python_models/ml/_ml__models.yml``. Its 3- and 6-month probabilities
  are pro-rated as monitoring does: ``1 - (1 - p) ** (H / 12)``.
* ``hazard``: ``people_ml.ml.fit_hazard`` on the person-months whose one-month
  label resolved on or before T (month-ends before T), same AutoML settings
  and candidate features; read at 3, 6 and 12 months as ``1 - prod (1 -
  h_k)`` with the clock features advanced (``look_ahead_months=1``).
* ``look-ahead``: the same rows, each paired with every month up to
  ``--look-ahead-months`` (12) ahead that resolved by T (follow-up censored at
  T; non-events sampled at 1/12, corrected exactly), so the model reads each
  month of the horizon directly.

Prints per seed the training rows of each, ROC AUC, PR AUC (average
precision), Brier score and expected (sum of probabilities) against actual
leavers per horizon, with z = (expected - actual) / sd, where sd is the
binomial sd a perfectly calibrated model would show; then medians over seeds,
the seeds with expected leavers within 5 % of actual, the dbt build time of the
person-month model and a verdict per hazard model by this rule:

    at least as good: yes when, at 3 and at 12 months, the median over seeds
    of (hazard - classifier) is >= -0.005 in ROC AUC and in PR AUC, the median
    Brier ratio (hazard / classifier) is <= 1.005, and the median |expected /
    actual - 1| of the hazard is <= max(5 %, the classifier's).

Usage::

    python benchmarks/attrition_horizons.py [--seeds 42 1 2 3]
        [--employees 2000] [--months 36] [--look-ahead-months 12]
        [--max-train-months N] [--non-event-rate R] [--jobs 1]

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml
from attrition_signal import build_frame, copy_project
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from people_ml.ml import (
    MLModelSpec,
    candidate_features,
    censor_at,
    fit_automl,
    fit_hazard,
    horizon_labels,
    time_split,
)
from people_ml.project import SIZING_VARIABLES, isolated_env
from people_ml.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = ROOT / "python_models" / "ml" / "_ml__models.yml"
RUN_MODEL = "ml_attrition_runs"
PERSON_MONTHS = "int_attrition_person_months_labelled"
HAZARD_TARGET = "has_voluntary_exit_next_month"
HORIZONS = (3, 6, 12)
JUDGED = (3, 12)
#: The verdict's tolerances (see the module docstring).
AUC_TOLERANCE = 0.005
BRIER_RATIO = 1.005
CALIBRATION = 0.05


#: What the `attrition` spec changes to be today's 12-month classifier on
#: int_attrition_samples_labelled (the committed spec is the hazard).
CLASSIFIER_KEYS: dict[str, Any] = {
    "formulation": "classifier",
    "horizons": None,
    "max_train_rows": None,
    "target": "has_voluntary_exit_in_horizon",
}


def attrition_spec(formulation: str | None = None) -> MLModelSpec:
    """The `attrition` spec of the dbt model, without its deployment options.

    ``formulation='classifier'``: the same spec as the 12-month classifier on
    the sample frame (its id column excluded, its outcome column kept out of
    the features); None: as committed.
    """
    models = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))["models"]
    config = next(m for m in models if m["name"] == RUN_MODEL)["config"]["ml_model"]
    config = dict(config)
    for key in ("review", "monitoring", "risk_bands", "auto_deploy_scored_runs"):
        config.pop(key, None)
    if formulation == "classifier" and config.get("formulation") == "hazard":
        config.update(CLASSIFIER_KEYS)
        config["exclude"] = [
            "attrition_sample_id" if c == "attrition_person_month_id" else c
            for c in config.get("exclude") or []
        ]
        config["keep_columns"] = [
            *(config.get("keep_columns") or []),
            "exit_type_in_horizon",
        ]
    return MLModelSpec.from_config(config)


def automl_settings(spec: MLModelSpec) -> dict[str, Any]:
    """The fit_automl settings a run uses (as ``people_ml.ml._run.train``)."""
    return {
        "metric": spec.metric,
        "cv_folds": spec.cv_folds,
        "candidates": spec.algorithms,
        "search_iterations": spec.search_iterations,
        "tuning_max_rows": spec.tuning_max_rows,
        "random_state": spec.random_state,
        "selection_rule": spec.selection_rule,
        "prune_features": spec.prune_features,
        "seasonal_calibration": spec.seasonal_calibration,
    }


def build_person_months(project: Path) -> tuple[pd.DataFrame, float, float]:
    """dbt-build the person-month frame (parents built); its frame and seconds.

    Returns the frame, the wall seconds of ``dbt build --select`` the model
    (with its tests, dbt's start-up included) and the node seconds of the model
    and its tests from run_results.json.
    """
    env = isolated_env(project, keep=SIZING_VARIABLES)
    dbt = Path(sys.executable).with_name("dbt")
    started = time.perf_counter()
    done = subprocess.run(
        [str(dbt), "build", "--select", PERSON_MONTHS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"dbt build of {PERSON_MONTHS} failed in {project}")
    results = json.loads((project / "target" / "run_results.json").read_text())
    nodes = sum(r["execution_time"] for r in results["results"])
    con = duckdb.connect(str(project / "warehouse" / "people_ml.duckdb"), True)
    try:
        frame = con.execute(f"SELECT * FROM intermediate.{PERSON_MONTHS}").df()
    finally:
        con.close()
    return frame, wall, nodes


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier and expected against actual events."""
    expected, actual = float(p.sum()), float(y.sum())
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "expected": expected,
        "actual": actual,
        "relative": expected / actual - 1.0,
        "z": (expected - actual) / float(np.sqrt(np.sum(p * (1 - p)))),
        "noise": float(np.sqrt(np.sum(p * (1 - p)))) / actual,
    }


def measure(
    seed: int,
    employees: int,
    months: int,
    max_train_months: int | None,
    non_event_rate: float | None,
    look_ahead_months: int,
) -> dict[str, Any]:
    """Generate, build, fit the three models and score them on the test date."""
    with tempfile.TemporaryDirectory(prefix="attrition_horizons_") as tmp:
        project = copy_project(Path(tmp) / "project")
        generate(
            project / "data" / "raw" / "hris",
            employees=employees,
            months=months,
            seed=seed,
        )
        samples = build_frame(project)
        person_months, build_wall, build_nodes = build_person_months(project)
    spec = attrition_spec("classifier")
    settings = automl_settings(spec)
    split = time_split(samples, spec)
    test_date = split.boundaries.test_date
    out: dict[str, Any] = {
        "seed": seed,
        "test_date": test_date.date(),
        "build_wall": build_wall,
        "build_nodes": build_nodes,
        "person_month_rows": len(person_months),
    }

    started = time.perf_counter()
    train = split.train
    classifier = fit_automl(
        train.drop(columns=[spec.entity_id, spec.sample_date, spec.target]),
        train[spec.target],
        problem_type=spec.problem_type,
        groups=train[spec.entity_id].to_numpy(),
        sample_dates=pd.to_datetime(train[spec.sample_date]).to_numpy(),
        features=spec.features,
        exclude=spec.exclude,
        keep_columns=spec.keep_columns,
        **settings,
    ).model
    out["classifier"] = {
        "rows": split.boundaries.n_train,
        "note": (
            f"samples ({pd.to_datetime(train[spec.sample_date]).nunique()} "
            f"sample dates up to {split.boundaries.train_end.date()}; "
            f"{split.boundaries.n_unused:,} labelled or unresolved rows unused)"
        ),
        "algorithm": f"{classifier.algorithm} (calibration {classifier.calibration})",
        "seconds": time.perf_counter() - started,
    }

    # What was known at the test date: month-ends before it, exits up to it.
    known = censor_at(person_months, test_date)
    known = known[pd.to_datetime(known["sample_date"]) < test_date]
    hazards = {}
    for name, look_ahead in (("hazard", 1), ("look-ahead", look_ahead_months)):
        started = time.perf_counter()
        model = fit_hazard(
            known,
            entity_id=spec.entity_id,
            sample_date="sample_date",
            target=HAZARD_TARGET,
            features=candidate_features(samples, spec),
            look_ahead_months=look_ahead,
            max_train_months=max_train_months,
            non_event_rate=non_event_rate,
            **settings,
        )
        hazards[name] = model
        ahead = "the next month" if look_ahead == 1 else f"1-{look_ahead} months ahead"
        out[name] = {
            "rows": model.n_train_rows,
            "note": (
                f"person-months ({ahead}; month-ends {model.train_start.date()} to "
                f"{model.train_end.date()}, {model.n_events:,} exits; "
                f"{model.n_rows_available:,} labelled by then)"
            ),
            "algorithm": (
                f"{model.model.algorithm} (calibration {model.model.calibration})"
            ),
            "seconds": time.perf_counter() - started,
        }

    test = split.test.reset_index(drop=True)
    dates = pd.to_datetime(person_months["sample_date"])
    at_risk = person_months[dates == test_date]
    at_risk = test[[spec.entity_id]].merge(at_risk, on=spec.entity_id, how="left")
    if at_risk["sample_date"].isna().any() or len(at_risk) != len(test):
        raise SystemExit("the two frames disagree on who is at risk at the test date")
    labels = horizon_labels(at_risk, HORIZONS)
    if labels.isna().any().any():
        raise SystemExit("a test-date outcome is not known at some horizon")
    y12 = test[spec.target].astype(bool).to_numpy()
    if not np.array_equal(labels["within_12_months"].to_numpy(dtype=bool), y12):
        raise SystemExit("the 12-month labels of the two frames disagree")

    p12 = classifier.predict(
        classifier.prepare(test, test[spec.sample_date]), test[spec.sample_date]
    )
    p12 = np.asarray(p12.prediction, dtype=float)
    probabilities = {
        "classifier": np.column_stack([1 - (1 - p12) ** (h / 12) for h in HORIZONS])
    }
    for name, model in hazards.items():
        probabilities[name] = model.probability_within(at_risk, HORIZONS)
    out["n_test"] = len(test)
    out["table"] = {
        (name, h): scores(
            labels[f"within_{h}_months"].to_numpy(dtype=bool).astype(int),
            p[:, i],
        )
        for name, p in probabilities.items()
        for i, h in enumerate(HORIZONS)
    }
    return out


#: The models compared, in column order; the first is the baseline.
MODELS = ("classifier", "hazard", "look-ahead")
METRICS = (("roc_auc", "ROC AUC"), ("pr_auc", "PR AUC"), ("brier", "Brier"))


def _row(name: str, values: list[str], width: int = 19) -> str:
    return f"    {name:<22}" + "".join(f"{v:>{width}}" for v in values)


def report(result: dict[str, Any]) -> None:
    """Print one seed's training rows and its table."""
    print(
        f"seed {result['seed']}: test date {result['test_date']}, "
        f"{result['n_test']:,} people at risk; training rows:"
    )
    for name in MODELS:
        fit = result[name]
        print(
            f"    {name:<11} {fit['rows']:>8,} {fit['note']}, {fit['algorithm']}, "
            f"{fit['seconds']:.0f} s"
        )
    table = result["table"]
    print(_row("", list(MODELS)))
    for h in HORIZONS:
        print(f"  {h:>2} months")
        for metric, label in METRICS:
            print(_row(label, [f"{table[(m, h)][metric]:.4f}" for m in MODELS]))
        print(
            _row(
                "expected / actual",
                [
                    f"{table[(m, h)]['expected']:.1f} / {table[(m, h)]['actual']:.0f}"
                    for m in MODELS
                ],
            )
        )
        print(
            _row(
                "  difference (z)",
                [
                    f"{table[(m, h)]['relative']:+.1%} ({table[(m, h)]['z']:+.1f})"
                    for m in MODELS
                ],
            )
        )


def _values(
    results: list[dict[str, Any]], model: str, h: int, metric: str
) -> np.ndarray:
    values = np.array([r["table"][(model, h)][metric] for r in results])
    return np.abs(values) if metric == "relative" else values


def verdict(results: list[dict[str, Any]], model: str) -> bool:
    """The rule of the module docstring for one hazard model."""
    ok = True
    base = MODELS[0]
    for h in JUDGED:
        for metric in ("roc_auc", "pr_auc"):
            diff = _values(results, model, h, metric) - _values(
                results, base, h, metric
            )
            ok &= float(np.median(diff)) >= -AUC_TOLERANCE
        ratio = _values(results, model, h, "brier") / _values(results, base, h, "brier")
        ok &= float(np.median(ratio)) <= BRIER_RATIO
        ok &= float(np.median(_values(results, model, h, "relative"))) <= max(
            CALIBRATION, float(np.median(_values(results, base, h, "relative")))
        )
    return bool(ok)


def summarise(results: list[dict[str, Any]]) -> None:
    """Print medians, the 5 % counts, rows, build time and the verdicts."""
    base = MODELS[0]
    print(f"medians over seeds {[r['seed'] for r in results]}:")
    print(_row("", [*MODELS, *(f"{m} - clf" for m in MODELS[1:])]))
    for h in HORIZONS:
        print(f"  {h:>2} months")
        for metric, label in (*METRICS, ("relative", "|expected/actual-1|")):
            fmt = "{:.1%}" if metric == "relative" else "{:.4f}"
            level = [
                fmt.format(float(np.median(_values(results, m, h, metric))))
                for m in MODELS
            ]
            diffs = []
            for m in MODELS[1:]:
                diff = np.median(
                    _values(results, m, h, metric) - _values(results, base, h, metric)
                )
                if metric == "brier":
                    ratio = np.median(
                        _values(results, m, h, metric)
                        / _values(results, base, h, metric)
                    )
                    diffs.append(f"{diff:+.4f} (x{ratio:.3f})")
                else:
                    diffs.append(
                        f"{diff:+.1%}" if metric == "relative" else f"{diff:+.4f}"
                    )
            print(_row(label, level + diffs))
    for h in JUDGED:
        counts = ", ".join(
            f"{m} {sum(_values(results, m, h, 'relative') <= CALIBRATION)}"
            for m in MODELS
        )
        noise = np.median([r["table"][("hazard", h)]["noise"] for r in results])
        print(
            f"expected vs actual leavers within {CALIBRATION:.0%} over the next "
            f"{h} months, seeds of {len(results)}: {counts} (a calibrated model's "
            f"expected count misses the actual by a binomial sd of {noise:.1%} at "
            "this size)"
        )
    rows = ", ".join(
        f"{m} {int(np.median([r[m]['rows'] for r in results])):,}" for m in MODELS
    )
    print(f"training rows (median): {rows}")
    print(
        "dbt build of int_attrition_person_months_labelled (view + tests, "
        "median): "
        f"{np.median([r['build_nodes'] for r in results]):.2f} s of node time, "
        f"{np.median([r['build_wall'] for r in results]):.1f} s wall with dbt's "
        f"start-up; {int(np.median([r['person_month_rows'] for r in results])):,} "
        "rows"
    )
    rule = (
        f"rule: at 3 and 12 months, median difference >= -{AUC_TOLERANCE} in ROC "
        f"AUC and PR AUC, median Brier ratio <= {BRIER_RATIO}, median "
        f"|expected/actual - 1| <= max({CALIBRATION:.0%}, the classifier's)"
    )
    for m in MODELS[1:]:
        answer = "yes" if verdict(results, m) else "no"
        print(f"{m} at least as good: {answer} ({rule})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--max-train-months",
        type=int,
        default=None,
        help="train the hazard on the latest N month-ends only",
    )
    parser.add_argument(
        "--non-event-rate",
        type=float,
        default=None,
        help="keep this share of the hazards' non-event rows (exact correction; "
        "default: all for the next month, 1/L for an L-month look-ahead)",
    )
    parser.add_argument(
        "--look-ahead-months",
        type=int,
        default=12,
        help="months ahead the look-ahead hazard is trained on",
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds in parallel")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    n = len(args.seeds)
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        results = list(
            pool.map(
                measure,
                args.seeds,
                [args.employees] * n,
                [args.months] * n,
                [args.max_train_months] * n,
                [args.non_event_rate] * n,
                [args.look_ahead_months] * n,
            )
        )
    for result in results:
        report(result)
    summarise(results)
    print(f"({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
