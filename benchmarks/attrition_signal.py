"""How much attrition signal the synthetic HRIS carries, measured as a model sees it.

For each seed: generate the default extract (``people-ml generate``: 2,000
employees x 36 months from 2023-11-01) into a copy of the dbt project, build the
attrition training frame there with the real dbt project (``dbt build --select
+int_attrition_samples_labelled``) and fit a plain logistic regression on the
observable snapshot features, evaluated the time-aware way an ML run is: the
labelled rows (one per active employee per quarterly sample date, target = a
voluntary exit within the next 12 months) with a sample date at least 12 months
before the latest labelled one are the training set, the latest labelled sample
date is the test set (so no training label overlaps the test window).

Usage::

    python benchmarks/attrition_signal.py [--seeds 42 1 2 3]
        [--employees 2000] [--months 36] [--jobs 1]
        [--coefficients {all,first,none}] [--gbm]

Prints, per seed, the held-out ROC AUC, the positive rate of train and test,
the realised annual voluntary / involuntary attrition of the extract and (for
the first seed, or all with ``--coefficients all``) the logistic coefficients
(numeric features standardised, so they compare) and the documented drivers'
effects on the 12-month label; then the AUC over seeds. ``--gbm`` adds a
gradient-boosted model's held-out AUC and its SHAP ranking of the features.
The documented target (``docs/attrition_drivers.md``) is a held-out ROC AUC of
about 0.72-0.80 at the default size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from people_ml.project import SIZING_VARIABLES, copy_project_files, isolated_env
from people_ml.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
# The committed decision log (header only): never the working tree's own.
DECISION_LOG = ROOT / "tests" / "fixtures" / "run_status.csv"
FRAME = "intermediate.int_attrition_samples_labelled"
TARGET = "has_voluntary_exit_in_horizon"
HORIZON_MONTHS = 12
CATEGORICAL = ["job_family", "division_name", "region", "last_rating"]
NUMERIC = [
    "job_level",
    "fte",
    "compa_ratio",
    "tenure_months",
    "months_since_promotion",
    "manager_changes_last_6_months",
    "direct_report_count",
    "is_remote",
    "is_rehire",
    "is_people_manager",
]
SHAP_DIRECTIONS = (
    "compa_ratio",
    "tenure_months",
    "months_since_promotion",
    "manager_changes_last_6_months",
)
TARGET_AUC = (0.72, 0.80)


def copy_project(dst: Path) -> Path:
    """A copy of the dbt project (no warehouse, no data, no decisions) in ``dst``."""
    copy_project_files(ROOT, dst, decision_log=DECISION_LOG)
    return dst


def build_frame(project: Path, frame: str = FRAME) -> pd.DataFrame:
    """dbt-build a training frame (``schema.model``) of ``project``'s extract.

    Builds the model and its parents from ``project``/data/raw/hris and reads it;
    by default the attrition frame.
    """
    # None of the caller's paths (warehouse, pickles, publication, profile).
    env = isolated_env(project, keep=SIZING_VARIABLES)
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), "build", "--select", "+" + frame.split(".")[-1]],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"dbt build failed in {project}")
    con = duckdb.connect(str(project / "warehouse" / "people_ml.duckdb"), True)
    try:
        return con.execute(f"SELECT * FROM {frame}").df()
    finally:
        con.close()


def annual_rates(raw: Path) -> tuple[float, float]:
    """Realised annual voluntary and involuntary attrition of an extract.

    Exits in each simulated month over the people employed on the last day of
    the month before, pooled and times 12 (the definition of the documentation).
    """
    manifest = json.loads((raw / "_manifest.json").read_text(encoding="utf-8"))
    start = manifest["parameters"]["start_date"]
    as_of = manifest["as_of_date"]
    con = duckdb.connect()
    try:
        for t in ("job_history", "terminations"):
            con.execute(
                f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{raw}/{t}.parquet')"
            )
        row = con.execute(
            f"""
            WITH starts AS (
                SELECT worker_id, effective_date AS spell_start,
                       lead(effective_date) OVER (PARTITION BY worker_id
                                                  ORDER BY effective_date) AS nxt
                FROM job_history WHERE event_type IN ('hire', 'rehire')),
            spells AS (
                SELECT s.*, (SELECT min(t.termination_date) FROM terminations t
                             WHERE t.worker_id = s.worker_id
                               AND t.termination_date >= s.spell_start
                               AND (s.nxt IS NULL OR t.termination_date < s.nxt))
                           AS spell_end
                FROM starts s),
            snaps AS (
                SELECT cast(m AS DATE) - 1 AS snap
                FROM generate_series(DATE '{start}', DATE '{as_of}',
                                     INTERVAL 1 MONTH) AS g(m)),
            at_risk AS (
                SELECT count(*) AS n FROM snaps, spells
                WHERE spells.spell_start <= snaps.snap
                  AND (spell_end IS NULL OR spell_end > snaps.snap))
            SELECT 12.0 * count(*) FILTER (termination_type = 'voluntary')
                       / (SELECT n FROM at_risk),
                   12.0 * count(*) FILTER (termination_type = 'involuntary')
                       / (SELECT n FROM at_risk)
            FROM terminations
            WHERE termination_date >= DATE '{start}'
            """
        ).fetchone()
    finally:
        con.close()
    return float(row[0]), float(row[1])


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time-aware split: train up to the latest labelled date minus the horizon."""
    labelled = frame[frame["sample_period"] == "labelled"].copy()
    labelled["sample_date"] = pd.to_datetime(labelled["sample_date"])
    latest = labelled["sample_date"].max()
    cutoff = latest - pd.DateOffset(months=HORIZON_MONTHS)
    train = labelled[labelled["sample_date"] <= cutoff]
    test = labelled[labelled["sample_date"] == latest]
    return train, test


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The observable snapshot features; a missing rating is its own level."""
    x = frame[CATEGORICAL + NUMERIC].copy()
    x["last_rating"] = (
        x["last_rating"].astype("Int64").astype("string").fillna("missing")
    )
    for col in CATEGORICAL:
        x[col] = x[col].astype("string").fillna("missing").astype(str)
    for col in NUMERIC:
        x[col] = pd.to_numeric(x[col]).astype(float).fillna(0.0)
    return x


def fit_and_score(frame: pd.DataFrame) -> dict[str, object]:
    """Held-out ROC AUC and coefficients of a plain logistic regression."""
    train, test = split(frame)
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), NUMERIC),
                        (
                            "cat",
                            OneHotEncoder(handle_unknown="ignore", drop=None),
                            CATEGORICAL,
                        ),
                    ]
                ),
            ),
            ("logit", LogisticRegression(C=1.0, max_iter=5000)),
        ]
    )
    y_train = train[TARGET].astype(int).to_numpy()
    y_test = test[TARGET].astype(int).to_numpy()
    model.fit(features(train), y_train)
    p = model.predict_proba(features(test))[:, 1]
    names = model.named_steps["prep"].get_feature_names_out()
    coefs = dict(zip(names, model.named_steps["logit"].coef_[0], strict=True))
    return {
        "auc": float(roc_auc_score(y_test, p)),
        "n_train": len(train),
        "n_test": len(test),
        "pos_train": float(y_train.mean()),
        "pos_test": float(y_test.mean()),
        "test_date": str(test["sample_date"].max().date()),
        "coefficients": coefs,
    }


def gbm_view(frame: pd.DataFrame) -> dict[str, object]:
    """Held-out ROC AUC and SHAP ranking of a gradient-boosted model.

    Same split and features as :func:`fit_and_score`; the mean absolute SHAP
    value (log-odds) of each one-hot column is summed back to its feature, and
    the direction is read as the Spearman correlation of a numeric feature with
    its SHAP values and as the mean SHAP value of each rating level.
    """
    import shap
    from sklearn.ensemble import HistGradientBoostingClassifier

    train, test = split(frame)
    x_train = pd.get_dummies(features(train), columns=CATEGORICAL, dtype=float)
    x_test = pd.get_dummies(features(test), columns=CATEGORICAL, dtype=float)
    x_test = x_test.reindex(columns=x_train.columns, fill_value=0.0)
    model = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=200, max_depth=3, min_samples_leaf=50
    ).fit(x_train, train[TARGET].astype(int))
    p = model.predict_proba(x_test)[:, 1]
    values = pd.DataFrame(
        shap.TreeExplainer(model).shap_values(x_test),
        columns=x_train.columns,
        index=x_test.index,
    )

    def source(column: str) -> str:
        return next((c for c in CATEGORICAL if column.startswith(c + "_")), column)

    importance = values.abs().mean().groupby(source).sum().sort_values(ascending=False)
    direction = {
        c: float(x_test[c].corr(values[c], method="spearman")) for c in SHAP_DIRECTIONS
    }
    rating_columns = [c for c in values.columns if source(c) == "last_rating"]
    rating = values[rating_columns].sum(axis=1).groupby(features(test)["last_rating"])
    return {
        "auc": float(roc_auc_score(test[TARGET].astype(int), p)),
        "importance": importance,
        "direction": direction,
        "rating": rating.mean().to_dict(),
    }


def drivers(frame: pd.DataFrame) -> pd.DataFrame:
    """The documented hazard drivers, rebuilt from the snapshot columns."""
    rating = pd.to_numeric(frame["last_rating"]).astype(float)
    tenure = pd.to_numeric(frame["tenure_months"]).astype(float)
    compa = pd.to_numeric(frame["compa_ratio"]).astype(float)
    months = pd.to_numeric(frame["months_since_promotion"]).astype(float)
    changes = pd.to_numeric(frame["manager_changes_last_6_months"]).astype(float)
    return pd.DataFrame(
        {
            "pay_gap": np.maximum(0.0, 1.0 - compa) / 0.1,
            "years_in_level": np.minimum(months / 12.0, 6.0),
            "manager_change": (changes > 0).astype(float),
            "low_rating": (rating <= 2).astype(float),
            "top_rating": (rating == 5).astype(float),
            "first_year": (tenure < 12).astype(float),
            "second_year": ((tenure >= 12) & (tenure < 24)).astype(float),
        },
        index=frame.index,
    )


def driver_view(frame: pd.DataFrame) -> pd.DataFrame:
    """What the 12-month label makes of the monthly drivers.

    A logistic regression of the 12-month target on the documented drivers
    (measured at the sample date) over all labelled rows: its coefficients are
    the drivers' effects on the 12-month odds (smaller than the monthly ones:
    the label spans 12 monthly hazards, and transient drivers such as the
    manager-change flag or the first year wear off within the window), and
    coefficient x sd ranks them by strength.
    """
    labelled = frame[frame["sample_period"] == "labelled"]
    x = drivers(labelled)
    y = labelled[TARGET].astype(int).to_numpy()
    model = LogisticRegression(C=1e6, max_iter=5000).fit(x, y)
    sd = x.std().to_numpy()
    beta = model.coef_[0]
    return pd.DataFrame(
        {
            "coefficient": beta,
            "odds_ratio": np.exp(beta),
            "sd": sd,
            "coefficient_x_sd": beta * sd,
        },
        index=x.columns,
    )


def measure(
    seed: int,
    employees: int,
    months: int,
    write_extract: Callable[[Path, int, int, int], None] | None = None,
    gbm: bool = False,
) -> dict[str, object]:
    """Generate, build and fit one seed in a temporary project copy."""
    with tempfile.TemporaryDirectory(prefix="attrition_signal_") as tmp:
        project = copy_project(Path(tmp) / "project")
        raw = project / "data" / "raw" / "hris"
        if write_extract is None:
            generate(raw, employees=employees, months=months, seed=seed)
        else:
            write_extract(raw, employees, months, seed)
        voluntary, involuntary = annual_rates(raw)
        frame = build_frame(project)
    out = fit_and_score(frame)
    out.update(
        seed=seed,
        voluntary=voluntary,
        involuntary=involuntary,
        driver_view=driver_view(frame),
    )
    if gbm:
        out["gbm"] = gbm_view(frame)
    return out


def report(result: dict[str, object], show_coefficients: bool = True) -> None:
    """Print one seed's figures."""
    print(
        f"seed {result['seed']:>3}: held-out ROC AUC {result['auc']:.3f} "
        f"(test {result['test_date']}, n={result['n_test']:,}, positive "
        f"{result['pos_test']:.1%}; train n={result['n_train']:,}, positive "
        f"{result['pos_train']:.1%}); annual voluntary "
        f"{result['voluntary']:.1%}, involuntary {result['involuntary']:.1%}"
    )
    if show_coefficients:
        coefs = result["coefficients"]
        assert isinstance(coefs, dict)
        print("    logistic coefficients (numeric features standardised):")
        for name, value in sorted(coefs.items(), key=lambda kv: -abs(kv[1])):
            print(f"      {name:<45} {value:+.3f}")
        view = result["driver_view"]
        assert isinstance(view, pd.DataFrame)
        print(
            "    the documented drivers against the 12-month label (all labelled rows):"
        )
        print("      " + view.round(3).to_string().replace("\n", "\n      "))
    if "gbm" in result:
        gbm = result["gbm"]
        assert isinstance(gbm, dict)
        print(f"    gradient boosting: held-out ROC AUC {gbm['auc']:.3f}")
        if show_coefficients:
            print("      mean |SHAP| by feature (log-odds):")
            for name, value in gbm["importance"].items():
                print(f"        {name:<43} {value:.3f}")
            print("      Spearman correlation of value and SHAP:")
            for name, value in gbm["direction"].items():
                print(f"        {name:<43} {value:+.2f}")
            print("      mean SHAP of last_rating by level:")
            for name, value in sorted(gbm["rating"].items()):
                print(f"        {name:<43} {value:+.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--gbm",
        action="store_true",
        help="also fit gradient boosting and print its AUC and SHAP ranking",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds measured in parallel"
    )
    parser.add_argument(
        "--coefficients",
        choices=("all", "first", "none"),
        default="first",
        help="print the logistic coefficients for every seed, the first, or none",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        results = list(
            pool.map(
                measure,
                args.seeds,
                [args.employees] * len(args.seeds),
                [args.months] * len(args.seeds),
                [None] * len(args.seeds),
                [args.gbm] * len(args.seeds),
            )
        )
    for i, result in enumerate(results):
        show = args.coefficients == "all" or (args.coefficients == "first" and i == 0)
        report(result, show)
    aucs = [float(r["auc"]) for r in results]
    print(f"({time.perf_counter() - began:.0f} s)")
    low, high = TARGET_AUC
    print(
        f"ROC AUC over seeds {args.seeds}: mean {np.mean(aucs):.3f}, "
        f"min {min(aucs):.3f}, max {max(aucs):.3f} (target {low:.2f}-{high:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
