"""Fit and SHAP-explain cost of each AutoML candidate, by number of rows.

A synthetic frame with 25 mixed features (16 numeric, one with missing values,
6 categorical with 3-30 levels, 2 yes/no flags, 1 date) is built for N rows;
each candidate is fitted on the N rows with the library's preprocessing and
explained with the library's code path (:meth:`FittedModel.explain`: transform,
LinearExplainer/TreeExplainer, one-hot columns summed back, additivity check).
Native threads follow the library default ($PEOPLE_ML_THREADS, 1).

Usage::

    python benchmarks/shap_cost.py [--sizes 1000 10000 100000]
        [--max-explain-seconds 900]

Hist gradient boosting is shown at the cheapest, a middle and the most
expensive setting of the AutoML search space.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from people_ml.ml._candidates import build_preprocessor, get_candidates
from people_ml.ml._features import coerce_features, make_schema
from people_ml.ml._model import FittedModel
from people_ml.ml._threads import limit_threads, n_threads

HGB_SETTINGS = {
    "cheapest": {
        "learning_rate": 0.1,
        "max_iter": 100,
        "max_leaf_nodes": 7,
        "max_depth": 3,
        "min_samples_leaf": 100,
        "l2_regularization": 0.0,
    },
    "middle": {
        "learning_rate": 0.1,
        "max_iter": 100,
        "max_leaf_nodes": 15,
        "max_depth": 4,
        "min_samples_leaf": 50,
        "l2_regularization": 0.0,
    },
    "max": {
        "learning_rate": 0.1,
        "max_iter": 200,
        "max_leaf_nodes": 31,
        "max_depth": 6,
        "min_samples_leaf": 20,
        "l2_regularization": 0.0,
    },
}


def make_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """25 mixed features, a binary and a continuous target, sample dates."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(16):
        data[f"num{i}"] = rng.normal(size=n)
    data["num15"] = np.where(rng.random(n) < 0.15, np.nan, data["num15"])
    for j, k in enumerate([3, 5, 8, 12, 20, 30]):
        data[f"cat{j}"] = rng.choice([f"l{v}" for v in range(k)], size=n)
    data["flag0"] = rng.choice(["Yes", "No"], size=n)
    data["flag1"] = rng.choice(["Yes", "No"], size=n, p=[0.2, 0.8])
    data["hire_date"] = pd.Timestamp("2010-01-01") + pd.to_timedelta(
        rng.integers(0, 4000, n), unit="D"
    )
    X = pd.DataFrame(data)
    lin = (
        X["num0"]
        - 0.7 * X["num1"]
        + 0.5 * X["num2"] * X["num3"]
        + (X["cat0"] == "l1") * 0.8
        + (X["flag0"] == "Yes") * 0.5
    )
    y_class = pd.Series((rng.random(n) < 1 / (1 + np.exp(-(lin - 1.5)))).astype(int))
    y_reg = pd.Series(50_000 + 5_000 * lin + 1_000 * rng.normal(size=n))
    return X, y_class, y_reg


def kinds(X: pd.DataFrame) -> list[str]:
    """Schema kinds of the synthetic columns."""
    out = []
    for col in X.columns:
        if col.startswith("num"):
            out.append("numeric")
        elif col.startswith("cat"):
            out.append("categorical")
        elif col.startswith("flag"):
            out.append("boolean")
        else:
            out.append("date")
    return out


def measure(
    problem_type: str, algorithm: str, params: dict[str, object], n: int
) -> tuple[float, float, int]:
    """Seconds to fit on n rows and to explain the same n rows; transformed width."""
    X, y_class, y_reg = make_frame(n)
    y = y_class if problem_type == "binary_classification" else y_reg
    dates = pd.Series(pd.Timestamp("2024-12-31"), index=X.index)
    schema = make_schema(X, list(X.columns), kinds(X))
    Xc = coerce_features(X, schema, dates)
    (cand,) = get_candidates(problem_type, [algorithm])
    pre = build_preprocessor(schema, n)
    width = pre.fit_transform(Xc).shape[1]
    pipeline = Pipeline(
        [
            ("preprocess", build_preprocessor(schema, n)),
            ("model", cand.make(params, 0, width)),
        ]
    )
    start = time.perf_counter()
    with limit_threads():
        pipeline.fit(Xc, y)
    fit_s = time.perf_counter() - start
    model = FittedModel(problem_type, algorithm, cand.family, params, pipeline, schema)
    if cand.family == "linear":
        Xt = pipeline.named_steps["preprocess"].transform(Xc)
        model.background_mean = Xt.mean(axis=0)
        model.background_cov = np.atleast_2d(np.cov(Xt, rowvar=False))
    start = time.perf_counter()
    expl = model.explain(Xc)
    explain_s = time.perf_counter() - start
    assert expl.values.shape == (n, 25)
    return fit_s, explain_s, width


def main(argv: list[str] | None = None) -> int:
    """Print the cost table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000]
    )
    parser.add_argument(
        "--max-explain-seconds",
        type=float,
        default=900.0,
        help="skip larger sizes once a setting's projected explain time exceeds this",
    )
    args = parser.parse_args(argv)
    configs = [
        ("binary_classification", "logistic_regression", "C=1", {"C": 1.0}),
        ("regression", "ridge", "alpha=1", {"alpha": 1.0}),
    ]
    configs += [
        ("binary_classification", "hist_gradient_boosting", name, p)
        for name, p in HGB_SETTINGS.items()
    ]
    configs.append(("regression", "hist_gradient_boosting", "max", HGB_SETTINGS["max"]))
    import shap  # noqa: F401  (import cost kept out of the first timing)

    print(f"native threads: {n_threads()}; 25 features")
    header = (
        f"{'problem':<14} {'algorithm':<23} {'setting':<9} {'rows':>8} {'columns':>7} "
        f"{'fit s':>8} {'explain s':>10} {'ms/1k rows':>10}"
    )
    print(header)
    print("-" * len(header))
    for problem, algorithm, label, params in configs:
        last: tuple[int, float] | None = None
        for n in sorted(args.sizes):
            if last is not None:
                projected = last[1] * n / last[0]
                if projected > args.max_explain_seconds:
                    print(
                        f"{problem[:14]:<14} {algorithm:<23} {label:<9} {n:>8} "
                        f"skipped: projected explain {projected:.0f} s"
                    )
                    continue
            fit_s, explain_s, width = measure(problem, algorithm, params, n)
            last = (n, explain_s)
            print(
                f"{problem[:14]:<14} {algorithm:<23} {label:<9} {n:>8} {width:>7} "
                f"{fit_s:>8.2f} {explain_s:>10.2f} {1e6 * explain_s / n:>10.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
