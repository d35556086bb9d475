"""Does a real attrition run recover the generator's drivers, and stably?

For each seed: generate the extract (``people_ml.synthetic.generate``) into a
copy of the dbt project, build the attrition spec's training frame there with
the committed decision log (``+int_attrition_person_months_labelled`` for the
committed monthly hazard, ``+int_attrition_samples_labelled`` for
``--formulation classifier``), and train the spec of
``python_models/ml/_ml__models.yml`` through the real run path
(``people_ml.ml.train``: AutoML, selection rule, SHAP, drivers). Two runs
per seed, as two consecutive monthly builds: the extract with ``--months``
(36) months and the same seed with one month more. ``advance`` is defined as a
re-simulation with ``months + 1`` months, so ``generate(months=37)`` is the
next month's extract (every row dated on or before the old as-of date is
unchanged).

The truth (``docs/attrition_drivers.md``). A hazard's SHAP values explain the
next month's hazard, whose drivers are the generator's own in three tiers of
strength: compa-ratio and tenure, then a manager change and the rating, then
months since promotion (the order within a tier is not documented and not
checked). For the classifier ("What a 12-month model sees") the five drivers of
the 12-month label, strongest first, are ``compa_ratio`` (higher
lowers), ``tenure_months`` (higher lowers), ``last_rating`` (U-shaped: ratings
1-2 raise, 3-4 lower, 5 raises), ``manager_changes_last_6_months`` (higher
raises) and ``months_since_promotion`` (higher raises); every other feature the
model uses is a non-driver.

Importance is mean |SHAP| (log-odds) per original feature over the explained
rows (the current population). Direction: the sign of the Spearman correlation
of value and SHAP value (numeric drivers); for ``last_rating`` the mean SHAP value
per rating level: a U-shape when ratings 1, 2 and 5 each have a higher mean
than both 3 and 4 (levels of at least ``MIN_LEVEL_PEOPLE`` people; see
:func:`rating_ok`). The run's own driver table
(``RunOutputs.feature_importance``: bootstrap interval and supported direction)
is printed alongside.

Checks, per seed, on the first run (the default build):

* top-5 set: the five drivers are the five most important features;
* order: ranked in the documented order;
* directions: each driver's direction as documented;
* non-drivers below: every non-driver's importance is below the 5th driver's
  (the weakest driver's, whatever its rank);
* stability: between the two consecutive runs every non-driver's importance
  changes by at most ``--stable-abs`` (default 0.02) log-odds.

Usage::

    python benchmarks/driver_recovery.py [--seeds 42 1 2 3] [--employees 2000]
        [--months 36] [--stable-abs 0.02]

At the default 2,000 employees the two weakest drivers are within the noise of
the non-drivers; ``--employees 20000`` (about 2 minutes a seed) is the size at
which the checks can be met (docs/automl.md has the figures of both).

Exit code 0 only if every check passes for every seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attrition_horizons import PERSON_MONTHS
from attrition_horizons import attrition_spec as committed_spec
from attrition_signal import build_frame, copy_project

from people_ml.ml import MLModelSpec, train
from people_ml.synthetic import generate

#: The documented drivers of the 12-month label, strongest first, with their
#: direction (+1 higher raises, -1 higher lowers, "U" for the rating).
DRIVERS: dict[str, int | str] = {
    "compa_ratio": -1,
    "tenure_months": -1,
    "last_rating": "U",
    "manager_changes_last_6_months": +1,
    "months_since_promotion": +1,
}
#: The documented non-drivers (any other model feature counts as one too).
NON_DRIVERS = (
    "job_family",
    "division_name",
    "department_name",
    "region",
    "job_level",
    "fte",
    "direct_report_count",
    "is_remote",
    "is_rehire",
    "is_people_manager",
)
#: Rating levels and the sign of their mean SHAP value in the U-shape.
RATING_SIGNS = {1: +1, 2: +1, 3: -1, 4: -1, 5: +1}
MIN_LEVEL_PEOPLE = 10
CHECKS = ("top5_set", "order", "directions", "non_drivers_below", "stability")


#: The monthly hazard's truth in tiers of strength (docs/attrition_drivers.md,
#: "the monthly hazard": pay gap and the first year about 0.8-0.9, then a
#: manager change and a low rating about 0.5, then years in level below 0.2).
#: Within a tier the order is not documented, so it is not checked.
HAZARD_TIERS: tuple[tuple[str, ...], ...] = (
    ("compa_ratio", "tenure_months"),
    ("manager_changes_last_6_months", "last_rating"),
    ("months_since_promotion",),
)


def attrition_spec(formulation: str | None = None) -> MLModelSpec:
    """The committed attrition spec (or its classifier), run keys only."""
    return committed_spec(formulation)


def tiers(spec: MLModelSpec) -> tuple[tuple[str, ...], ...]:
    """The documented order of the drivers the spec's model explains."""
    if spec.is_hazard:
        return HAZARD_TIERS
    return tuple((f,) for f in DRIVERS)


def build(seed: int, employees: int, months: int, spec: MLModelSpec) -> pd.DataFrame:
    """Generate one extract and dbt-build the spec's training frame."""
    with tempfile.TemporaryDirectory(prefix="driver_recovery_") as tmp:
        project = copy_project(Path(tmp) / "project")
        generate(
            project / "data" / "raw" / "hris",
            employees=employees,
            months=months,
            seed=seed,
        )
        if spec.is_hazard:
            return build_frame(project, f"intermediate.{PERSON_MONTHS}")
        return build_frame(project)


def run_once(frame: pd.DataFrame, spec: MLModelSpec, run_id: str) -> dict:
    """Train through the real run path and summarise its drivers."""
    with tempfile.TemporaryDirectory(prefix="driver_recovery_art_") as tmp:
        started = time.perf_counter()
        out = train(frame, spec, artifact_dir=Path(tmp), run_id=run_id)
        seconds = time.perf_counter() - started
    sh = out.shap_values
    shap = sh["shap_value"].astype(float)
    imp = shap.abs().groupby(sh["feature"]).mean().sort_values(ascending=False)
    num = pd.to_numeric(sh["feature_value"], errors="coerce")
    direction: dict[str, float] = {}
    for f in imp.index:
        m = (sh["feature"] == f) & num.notna()
        if m.sum() > 2 and num[m].nunique() > 1:
            direction[f] = float(num[m].corr(shap[m], method="spearman"))
    r = sh["feature"] == "last_rating"
    rating = (
        pd.DataFrame({"level": num[r], "shap": shap[r]})
        .groupby("level", dropna=False)["shap"]
        .agg(["mean", "size"])
    )
    matrix = sh.pivot_table(
        index="entity_id", columns="feature", values="shap_value", aggfunc="sum"
    ).astype(float)
    run = out.run.iloc[0]
    notes = {
        w.code: w.message
        for w in out.warnings.itertuples()
        if w.code in ("model_selected", "selection_rule", "regularisation_floor")
    }
    test = out.metrics[(out.metrics["split"] == "test")]
    auc = test.loc[test["metric"] == "roc_auc", "value"]
    return {
        "importance": imp,
        "matrix": matrix,
        "direction": direction,
        "rating": rating,
        "drivers": out.feature_importance.set_index("feature"),
        "effects": out.feature_effects,
        "algorithm": str(run["algorithm"]),
        "hyperparameters": str(run["hyperparameters"]),
        "shap_space": str(run["shap_output_space"]),
        "notes": notes,
        "test_auc": float(auc.iloc[0]) if len(auc) else float("nan"),
        "n_explained": int(sh["entity_id"].nunique()),
        "seconds": seconds,
    }


def rating_ok(rating: pd.DataFrame) -> tuple[bool, str]:
    """The U-shape: ratings 1, 2 and 5 each above both 3 and 4.

    Judged relative to the middle ratings (the generator's reference), not by
    the sign of the mean SHAP value: SHAP values are centred on the explained
    rows' mean, which the missing level (new joiners, a strong effect) pulls up.
    Levels with fewer than MIN_LEVEL_PEOPLE people are shown but not judged.
    The sign of each level (1, 2, 5 above zero; 3, 4 below) is shown too.
    """
    means = {
        int(level): float(row["mean"])
        for level, row in rating.iterrows()
        if not pd.isna(level) and int(row["size"]) >= MIN_LEVEL_PEOPLE
    }
    middle = [means[k] for k in (3, 4) if k in means]
    ok = (
        bool(middle)
        and all(means[k] > max(middle) for k in (1, 2, 5) if k in means)
        and all(k in means for k in (2, 5))
    )
    parts = []
    for level, row in rating.iterrows():
        name = "missing" if pd.isna(level) else str(int(level))
        mean, size = float(row["mean"]), int(row["size"])
        sign = RATING_SIGNS.get(None if pd.isna(level) else int(level))
        flag = "" if sign is None or np.sign(mean) == sign else "(sign!)"
        parts.append(f"{name}:{mean:+.3f}(n={size}){flag}")
    if ok:
        verdict = "U-shape"
    else:
        bad = [
            k for k in (1, 2, 5) if k in means and middle and means[k] <= max(middle)
        ]
        verdict = "not U: " + ",".join(map(str, bad)) + " not above 3 and 4"
    return ok, verdict + " | " + " ".join(parts)


def direction_ok(res: dict, feature: str) -> tuple[bool, str]:
    want = DRIVERS[feature]
    if want == "U":
        return rating_ok(res["rating"])
    rho = res["direction"].get(feature, float("nan"))
    return bool(np.sign(rho) == want), f"rho {rho:+.2f}"


def checks(
    r1: dict,
    r2: dict,
    stable_abs: float,
    order: tuple[tuple[str, ...], ...] = tuple((f,) for f in DRIVERS),
) -> tuple[dict[str, bool], list[str]]:
    imp = r1["importance"]
    ranked = list(imp.index)
    drivers = list(DRIVERS)
    lines = []
    top5 = ranked[:5]
    tier_of = {f: i for i, tier in enumerate(order) for f in tier}
    res = {
        "top5_set": set(top5) == set(drivers),
        "order": [tier_of.get(f, len(order)) for f in top5]
        == sorted(tier_of.get(f, len(order)) for f in top5),
    }
    dir_ok = {f: direction_ok(r1, f)[0] for f in drivers}
    res["directions"] = all(dir_ok.values())
    if not res["directions"]:
        lines.append(
            "wrong direction: " + ", ".join(f for f, ok in dir_ok.items() if not ok)
        )
    weakest = min(drivers, key=lambda f: imp.get(f, 0.0))
    floor = imp.get(weakest, 0.0)
    above = [f for f in ranked if f not in DRIVERS and imp[f] >= floor]
    res["non_drivers_below"] = not above
    if above:
        lines.append(
            f"non-drivers at or above the weakest driver {weakest} ({floor:.3f}): "
            + ", ".join(f"{f} {imp[f]:.3f} (+{imp[f] - floor:.3f})" for f in above)
        )
    if res["top5_set"] and not res["order"]:
        lines.append("top 5 order: " + " > ".join(top5))
    unstable = []
    for f in ranked:
        if f in DRIVERS:
            continue
        a, b = imp[f], r2["importance"].get(f, 0.0)
        if abs(b - a) > stable_abs:
            unstable.append(f"{f} {a:.3f}->{b:.3f}")
    res["stability"] = not unstable
    if unstable:
        lines.append("unstable non-drivers: " + ", ".join(unstable))
    return res, lines


def offsetting_partner(r: dict, feature: str) -> str:
    """The feature whose SHAP values most offset this one's, and what is left.

    A strongly negative correlation of two features' SHAP values over the
    explained people, with a much smaller mean |sum|, means the model splits
    one effect between correlated columns with opposite signs.
    """
    m = r["matrix"]
    if feature not in m:
        return ""
    corr = m.corr()[feature].drop(feature).dropna()
    if corr.empty:
        return ""
    other = corr.idxmin()
    both = (m[feature] + m[other]).abs().mean()
    return (
        f"{feature}: SHAP most offset by {other} (corr {corr[other]:+.2f}); "
        f"mean |sum| {both:.3f} vs {m[feature].abs().mean():.3f} and "
        f"{m[other].abs().mean():.3f} alone"
    )


def fmt_interval(drv: pd.DataFrame, f: str) -> str:
    if f not in drv.index:
        return ""
    row = drv.loc[f]
    lo, hi = row["importance_lower"], row["importance_upper"]
    return f"[{float(lo):.3f}, {float(hi):.3f}]  {row['direction']}"


def report_seed(
    seed: int,
    r1: dict,
    r2: dict,
    stable_abs: float,
    order: tuple[tuple[str, ...], ...] = tuple((f,) for f in DRIVERS),
) -> dict[str, bool]:
    imp, imp2, drv = r1["importance"], r2["importance"], r1["drivers"]
    print(f"\n=== seed {seed} ===")
    for tag, r in (("run 1", r1), ("run 2", r2)):
        print(
            f"{tag}: {r['algorithm']} {r['hyperparameters']}; test ROC AUC "
            f"{r['test_auc']:.3f}; {r['n_explained']:,} explained; SHAP in "
            f"{r['shap_space']}; train {r['seconds']:.0f} s"
        )
        for code, msg in r["notes"].items():
            print(f"    {code}: {msg[:300]}")
    print(
        f"  {'rank':>4} {'feature':<31} {'imp':>6} {'imp run2':>8} {'diff':>7} "
        f"{'driver':>6}  {'direction (ours)':<24} interval, run's direction"
    )
    for rank, (f, v) in enumerate(imp.items(), 1):
        is_driver = f in DRIVERS
        if is_driver:
            ok, text = direction_ok(r1, f)
            d = ("ok " if ok else "BAD ") + (
                text.split(" | ")[0] if DRIVERS[f] == "U" else text
            )
        else:
            rho = r1["direction"].get(f)
            d = "" if rho is None else f"rho {rho:+.2f}"
        v2 = imp2.get(f, float("nan"))
        print(
            f"  {rank:>4} {f:<31} {v:6.3f} {v2:8.3f} {v2 - v:+7.3f} "
            f"{'yes' if is_driver else 'no':>6}  {d:<24} {fmt_interval(drv, f)}"
        )
    print(
        "  last_rating mean SHAP by level:", rating_ok(r1["rating"])[1].split(" | ")[1]
    )
    eff = r1["effects"]
    eff = eff[eff["feature"] == "last_rating"]
    if len(eff):
        print(
            "  run's last_rating effects: "
            + " ".join(
                f"{e.level_label}:{float(e.mean_shap_value):+.3f}"
                f"[{float(e.mean_shap_lower):+.3f},{float(e.mean_shap_upper):+.3f}]"
                for e in eff.itertuples()
            )
        )
    res, lines = checks(r1, r2, stable_abs, order)
    res2, _ = checks(r2, r1, stable_abs, order)
    print(
        "  checks (run 1): "
        + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in res.items())
    )
    print(
        "  (run 2 alone: "
        + ", ".join(
            f"{k} {'PASS' if v else 'FAIL'}"
            for k, v in res2.items()
            if k != "stability"
        )
        + ")"
    )
    for line in lines:
        print("    " + line)
    floor = min(imp.get(f, 0.0) for f in DRIVERS)
    for f in imp.index:
        if f in DRIVERS:
            continue
        if imp[f] >= floor or abs(imp2.get(f, 0.0) - imp[f]) > stable_abs:
            print("    diagnostic: " + offsetting_partner(r1, f))
    inside = [
        f
        for f in imp.index
        if f not in DRIVERS
        and f in drv.index
        and float(drv.loc[f, "importance_lower"])
        <= imp2.get(f, 0.0)
        <= float(drv.loc[f, "importance_upper"])
    ]
    n_nd = sum(f not in DRIVERS for f in imp.index)
    print(
        f"  (alternative rule, info only: run 2's importance inside run 1's "
        f"interval for {len(inside)}/{n_nd} non-drivers)"
    )
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--stable-abs",
        type=float,
        default=0.02,
        help="largest change of a non-driver's importance (log-odds) between runs",
    )
    parser.add_argument(
        "--formulation",
        choices=["committed", "classifier"],
        default="committed",
        help="the committed attrition spec (a monthly hazard), or the 12-month "
        "classifier on the sample frame",
    )
    args = parser.parse_args(argv)
    spec = attrition_spec(None if args.formulation == "committed" else "classifier")
    order = tiers(spec)
    print(
        f"driver recovery ({spec.formulation}): {args.employees:,} employees, runs "
        f"at {args.months} and {args.months + 1} months, seeds {args.seeds}"
    )
    print(
        "truth, strongest first: "
        + " > ".join(" ~ ".join(tier) for tier in order)
        + ("  (~: within a tier, order not checked)" if spec.is_hazard else "")
    )
    print(
        f"stability rule: every non-driver's mean |SHAP| changes by at most "
        f"{args.stable_abs} log-odds between the two runs"
    )
    results: dict[int, dict[str, bool]] = {}
    began = time.perf_counter()
    for seed in args.seeds:
        t0 = time.perf_counter()
        runs = []
        for k, months in enumerate((args.months, args.months + 1), 1):
            tb = time.perf_counter()
            frame = build(seed, args.employees, months, spec)
            build_s = time.perf_counter() - tb
            r = run_once(frame, spec, f"seed{seed}_run{k}")
            r["build_seconds"] = build_s
            runs.append(r)
        results[seed] = report_seed(seed, runs[0], runs[1], args.stable_abs, order)
        print(
            f"  seconds: {time.perf_counter() - t0:.0f} (generate+dbt "
            f"{runs[0]['build_seconds']:.0f}+{runs[1]['build_seconds']:.0f}, train "
            f"{runs[0]['seconds']:.0f}+{runs[1]['seconds']:.0f})",
            flush=True,
        )
    print(f"\nsummary over seeds {args.seeds} ({time.perf_counter() - began:.0f} s):")
    for c in CHECKS:
        passed = [s for s in args.seeds if results[s][c]]
        print(
            f"  {c:<18} {'PASS' if len(passed) == len(args.seeds) else 'FAIL'} "
            f"({len(passed)}/{len(args.seeds)}; failing seeds: "
            f"{[s for s in args.seeds if not results[s][c]] or '-'})"
        )
    return 0 if all(all(r.values()) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
