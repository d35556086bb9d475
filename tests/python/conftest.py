"""Shared fixtures: throw-away copies of the dbt project that run real dbt.

Tests never read the user's state. Every project is made by
:func:`copy_project` from the committed project files and the fixtures in
``tests/fixtures`` (never the working tree's decision log, warehouse, pickles,
extract or publication), and no test sees the developer's ``PEOPLE_ML_*`` /
``DBT_*`` variables or runs in the working tree (:func:`_no_user_state`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from people_ml.project import STATE_VARIABLES, copy_project_files, isolated_env

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
# The decision log every project copy starts from: committed, header only.
FIXTURE_DECISION_LOG = FIXTURES / "run_status.csv"
# The storyboard's grants of the tests' readers (never the working tree's).
FIXTURE_ACCESS_SEED = FIXTURES / "storyboard_access.csv"
# dbt arguments that run the ML models even when their inputs are unchanged
# (for scenarios that need a second run of the same data).
RERUN_UNCHANGED = ("--vars", "{ml_rerun_unchanged: true}")
# Small enough for a fast build, long enough for labelled and current periods.
SMALL_EXTRACT = {"employees": 400, "months": 30, "seed": 7}

# The longest test files, longest first, as `pytest --durations=0` measured
# them (worker-seconds, 3 workers on 2 cores, 2026-12-04). pytest-xdist hands
# out files in collection order (`--no-loadscope-reorder` in the Makefile; two
# files per worker to start, the next whenever a worker has two or fewer tests
# left), so the long ones start early and the short ones fill the end. By
# number of tests (xdist's default order) a 186 s file started last: one worker
# was busy 775 s, the others 579 s and 603 s, and pytest took 785 s; longest
# first, 584 to 612 s each and 621 s (quiet 2-core machine, same day). A stale
# list costs only wall time; files not named keep their place after these.
LONGEST_FIRST = (
    "test_storyboard.py",  # 273 s
    "test_dbt_monitoring.py",  # 214 s
    "test_dbt_lifecycle.py",  # 186 s
    "test_dbt_review.py",  # 180 s
    "test_dbt_foundation.py",  # 163 s
    "test_storyboard_browser.py",  # 125 s
    "test_dbt_realized_performance.py",  # 117 s
    "test_dbt_train_or_score.py",  # 114 s
    "test_dbt_ledger.py",  # 102 s
    "test_dbt_isolation.py",  # 95 s
    "test_dbt_flat_export.py",  # 74 s
    "test_ledger_render.py",  # 56 s
    "test_semantic_layer.py",  # 42 s
    "test_quality_gate.py",  # 34 s
    "test_ml_run.py",  # 29 s
    "test_ml_seasonal.py",  # 26 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (:data:`LONGEST_FIRST`), each file's tests together."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class DbtResult:
    """What a dbt command returned and printed."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class Project:
    """A copy of the people_ml project in a temporary folder."""

    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "raw" / "hris"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "people_ml.duckdb"

    @property
    def artifact_dir(self) -> Path:
        return self.root / "artifacts" / "models"

    def env(self) -> dict[str, str]:
        """Environment for a subprocess here: none of the developer's paths."""
        return isolated_env(self.root)

    def dbt(self, *args: str) -> DbtResult:
        """Run real dbt in the project; never raises on a dbt failure."""
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        return DbtResult(completed.returncode, completed.stdout + completed.stderr)

    def people_ml(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the people-ml command in the project (``env``: extra variables)."""
        return subprocess.run(
            [sys.executable, "-m", "people_ml.cli", *args],
            cwd=self.root,
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )

    def query(self, sql: str) -> list[tuple]:
        """Read the warehouse (opened read-only, closed at once)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def generate(self, **overrides: int) -> None:
        from people_ml.synthetic import generate

        generate(self.raw_dir, **{**SMALL_EXTRACT, **overrides})


# The committed spec's metric lines of the attrition and expected-pay models,
# and the linear candidate of each.
_LINEAR_ONLY = {
    "        metric: roc_auc\n": "        candidates: [logistic_regression]\n",
    "        metric: neg_mean_absolute_error\n": "        candidates: [ridge]\n",
}


def linear_models_only(project: Project) -> None:
    """Search the linear candidate only, in this copy of the project's specs.

    For scenarios whose subject is the lifecycle around a run (decisions,
    freezing, scoring, publication), not the search: a run is still a real
    AutoML run (CV, pruning, refits, SHAP, review), on the candidate that wins
    on the small extract anyway, without the gradient-boosting settings that
    take most of a small build's time. The search itself is tested in
    test_ml_automl and by every build of the committed specs
    (``built_project``).
    """
    spec = project.root / "python_models" / "ml" / "_ml__models.yml"
    text = spec.read_text()
    for metric, candidates in _LINEAR_ONLY.items():
        # The first: the HRIS model's (the flat-export example comes later).
        assert metric in text, metric
        text = text.replace(metric, metric + candidates, 1)
    spec.write_text(text)


def copy_project(destination: Path) -> Project:
    """Copy the dbt project (not its state) into ``destination``.

    The one way tests make a project: the committed files, and the fixture
    decision log and storyboard grants instead of the working tree's.
    """
    copy_project_files(
        REPO_ROOT,
        destination,
        decision_log=FIXTURE_DECISION_LOG,
        access_seed=FIXTURE_ACCESS_SEED,
    )
    return Project(destination)


@pytest.fixture(autouse=True)
def _no_user_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Run every test without the developer's project state.

    ``make test`` exports ``PEOPLE_ML_HOME`` and ``DBT_PROFILES_DIR`` for the
    working tree, and a developer may have set the other paths: code called
    in-process (``people_ml.cli.main``, ``find_project()``) would then read and
    write the user's warehouse, decisions or publication. An empty current
    folder keeps ``find_project()`` from finding the working tree. Settings
    that are not state (``PEOPLE_ML_THREADS``, ``PEOPLE_ML_SKIP_BROWSER``,
    ``PEOPLE_ML_SCREENSHOT_DIR``, ``PEOPLE_ML_CHROMIUM``) stay.
    """
    for key in list(os.environ):
        if key in STATE_VARIABLES or key.startswith("DBT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project copy with a small synthetic extract (not yet built)."""
    project = copy_project(tmp_path / "people_ml")
    project.generate()
    return project


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A project copy built once with `dbt build` on a small extract."""
    project = copy_project(tmp_path_factory.mktemp("built") / "people_ml")
    project.generate()
    result = project.dbt("build")
    assert result.ok, result.output[-5000:]
    yield project


def deploy_all_runs(project: Project) -> None:
    """Deploy every run in the warehouse and apply: marts rebuilt and published."""
    runs = project.query("select run_id from marts.dim_ml_runs order by run_id")
    assert runs, "no runs to deploy"
    for index, (run_id,) in enumerate(runs):
        extra = ["--apply"] if index == len(runs) - 1 else []
        completed = project.people_ml(
            "deploy",
            run_id,
            "--override-gates",
            "--reason",
            "test fixture",
            "--by",
            "pytest",
            *extra,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="session")
def deployed_project(
    built_project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    """Built once, both runs deployed: the marts show them and are published.

    A copy of the session's ``built_project`` (the same extract and runs, so
    the session trains once), its runs then deployed with ``--apply``.
    Shared by the session: tests may read it (warehouse read-only, the
    publication, `mf query`) but must not build, deploy or publish in it.
    Copy it (:func:`clone_project`) to change it.
    """
    project = clone_project(
        built_project, tmp_path_factory.mktemp("deployed") / "people_ml"
    )
    deploy_all_runs(project)
    yield project


def clone_project(source: Project, destination: Path) -> Project:
    """A full copy of a project with its state: warehouse, pickles, publication.

    The publication's ``current`` link is relative, so it stays valid; the BI
    catalog's views hold absolute paths and are rewritten by the next publish.
    """
    shutil.copytree(source.root, destination, symlinks=True)
    return Project(destination)


def run_page(page: str):
    """Run one storyboard page in-process (Streamlit's AppTest)."""
    from streamlit.testing.v1 import AppTest

    from people_ml.storyboard import APP_PATH, PAGES

    app = AppTest.from_file(str(APP_PATH), default_timeout=60)
    if page != next(iter(PAGES)):
        app.switch_page(f"views/{page}")
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    return app


@pytest.fixture
def storyboard_on(monkeypatch):
    """Point the storyboard at a project's publication (as the CLI does)."""

    def point(project: Project, *, reader: str | None = None) -> None:
        monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(project.root / "published"))
        # The project's own pickles and access seed, never the user's.
        monkeypatch.setenv("PEOPLE_ML_HOME", str(project.root))
        for name in ("PEOPLE_ML_ARTIFACT_DIR", "PEOPLE_ML_MIN_GROUP_SIZE"):
            monkeypatch.delenv(name, raising=False)
        # As `people-ml storyboard` serves it on this machine: no login.
        monkeypatch.setenv("PEOPLE_ML_STORYBOARD_AUTH", "local")
        if reader is None:
            monkeypatch.delenv("PEOPLE_ML_STORYBOARD_USER", raising=False)
        else:
            monkeypatch.setenv("PEOPLE_ML_STORYBOARD_USER", reader)

    return point
