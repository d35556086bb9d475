"""Synthetic panel frames shared by the ``test_ml_*`` modules (no tests here)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SPEC_BASE = {
    "key": "attrition_test",
    "entity_id": "worker_id",
    "sample_date": "sample_date",
    "target": "target",
}


def make_panel(
    *,
    n_entities: int = 300,
    n_months: int = 16,
    regression: bool = False,
    seed: int = 0,
    start: str = "2021-01-31",
) -> pd.DataFrame:
    """Monthly panel, one row per worker and month-end, last month unlabelled.

    Columns: worker_id, sample_date, target, x0..x3 (numeric, x3 10 % missing),
    dept (categorical, 4 levels + a rare one), remote (Yes/No), hire_date,
    const (constant), gender (protected, keep column).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_months, freq="ME")
    base = rng.normal(size=(n_entities, 4))
    depts = rng.choice(["sales", "ops", "tech", "hr"], size=n_entities)
    depts[:3] = "legal"  # rare level, grouped as infrequent
    remote = rng.choice(["Yes", "No"], size=n_entities)
    hire = pd.Timestamp("2015-01-01") + pd.to_timedelta(
        rng.integers(0, 2000, n_entities), unit="D"
    )
    effect = {"sales": 0.8, "ops": 0.0, "tech": -0.6, "hr": 0.3, "legal": 0.0}
    frames = []
    for d in dates:
        x = base + 0.3 * rng.normal(size=base.shape)
        lin = (
            1.5 * x[:, 0]
            - 1.0 * x[:, 1]
            + np.array([effect[v] for v in depts])
            + 0.5 * (remote == "Yes")
        )
        if regression:
            target = 50_000 + 4_000 * lin + 500 * rng.normal(size=n_entities)
        else:
            target = (rng.random(n_entities) < 1 / (1 + np.exp(-(lin - 1.5)))).astype(
                float
            )
        frame = pd.DataFrame(
            {
                "worker_id": np.arange(1000, 1000 + n_entities),
                "sample_date": d,
                "target": target,
                "x0": x[:, 0],
                "x1": x[:, 1],
                "x2": x[:, 2],
                "x3": np.where(rng.random(n_entities) < 0.1, np.nan, x[:, 3]),
                "dept": depts,
                "remote": remote,
                "hire_date": hire,
                "const": 1,
                "gender": np.where(np.arange(n_entities) % 2 == 0, "F", "M"),
            }
        )
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["sample_date"] == dates[-1], "target"] = np.nan
    return out


def make_xy(
    kind: str, *, n: int = 1200, n_noise: int = 3, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Plain X, y: ``'linear'`` logistic signal or ``'xor'`` interaction."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 2 + n_noise)))
    X.columns = [f"f{i}" for i in range(X.shape[1])]
    if kind == "linear":
        logit = 2.0 * X["f0"] - 1.5 * X["f1"]
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    elif kind == "xor":
        y = ((X["f0"] > 0) ^ (X["f1"] > 0)).astype(int).to_numpy()
        flip = rng.random(n) < 0.05
        y = np.where(flip, 1 - y, y)
    else:
        raise ValueError(kind)
    return X, np.asarray(y)
