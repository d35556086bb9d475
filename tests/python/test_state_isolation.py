"""Tests never read the user's state.

A clone in which someone has worked holds their decision log (deployed and
persisted runs), a warehouse, model pickles, an HRIS extract and a
publication. Every project the tests and benchmarks build must come from the
committed files and fixtures alone, so that ``make test`` gives the same result
in that clone as in a fresh one. Here a fake "user's clone" is made in
``tmp_path`` and each way of copying the project is pointed at it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import conftest
import pytest

from people_ml.ledger import HEADER_LINE, parse_log
from people_ml.project import DECISION_LOG_HEADER, STATE_VARIABLES, copy_project_files

REPO_ROOT = conftest.REPO_ROOT
FIXTURE_LOG = REPO_ROOT / "tests" / "fixtures" / "run_status.csv"
HEADER = b"run_id,status,decided_at,decided_by,reason\n"
USER_LOG = (
    "run_id,status,decided_at,decided_by,reason\n"
    "3f9a0c1e2b4d,deployed,2026-02-01 09:00:00.000000,ana@example.com,looks right\n"
    "3f9a0c1e2b4d,persisted,2026-02-02 09:00:00.000000,ana@example.com,freeze\n"
)
USER_GRANTS = "email,role,divisions\nana@example.com,people_analytics,*\n"
# Where a user's clone keeps state that a copy must never carry.
STATE = (
    "warehouse/people_ml.duckdb",
    "artifacts/models/x.pkl",
    "data/raw/hris/_manifest.json",
    "published/20260201T090000Z-abc/fct_ml_predictions.parquet",
    "target/manifest.json",
    "logs/dbt.log",
    "seeds/.run_status.csv.lock",
    "seeds/.run_status.csv.tmp",
)


def _benchmark(name: str) -> ModuleType:
    path = REPO_ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_benchmark_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as importlib's recipe does: a dataclass in the
    # benchmark resolves its string annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _copy_with_conftest(
    monkeypatch: pytest.MonkeyPatch, source: Path, destination: Path
) -> Path:
    monkeypatch.setattr(conftest, "REPO_ROOT", source)
    return conftest.copy_project(destination).root


def _copy_with_attrition_signal(
    monkeypatch: pytest.MonkeyPatch, source: Path, destination: Path
) -> Path:
    module = _benchmark("attrition_signal")
    monkeypatch.setattr(module, "ROOT", source)
    return module.copy_project(destination)


def _copy_with_build_timings(
    monkeypatch: pytest.MonkeyPatch, source: Path, destination: Path
) -> Path:
    module = _benchmark("build_timings")
    monkeypatch.setattr(module, "REPO", source)
    destination.mkdir(parents=True)
    module._copy(destination)
    return destination


# Every way the tests (conftest's project fixtures) and the benchmarks make a
# throw-away project, each reading from the root it is pointed at.
COPIERS: dict[str, Callable[[pytest.MonkeyPatch, Path, Path], Path]] = {
    "conftest.copy_project": _copy_with_conftest,
    "benchmarks/attrition_signal.py": _copy_with_attrition_signal,
    "benchmarks/build_timings.py": _copy_with_build_timings,
}


@pytest.fixture
def users_clone(tmp_path: Path) -> Path:
    """The project as a user leaves it: decisions taken, built, frozen, published."""
    root = tmp_path / "users_clone"
    copy_project_files(REPO_ROOT, root)
    (root / "seeds" / "run_status.csv").write_text(USER_LOG)
    (root / "seeds" / "storyboard_access.csv").write_text(USER_GRANTS)
    for item in STATE:
        path = root / item
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"the user's state, not a fixture")
    (root / "published" / "current").symlink_to("20260201T090000Z-abc")
    return root


def test_the_committed_fixture_log_is_the_header_alone() -> None:
    assert conftest.FIXTURE_DECISION_LOG == FIXTURE_LOG
    assert FIXTURE_LOG.read_bytes() == HEADER  # LF, no decisions
    assert FIXTURE_LOG.read_text() == DECISION_LOG_HEADER == f"{HEADER_LINE}\n"
    assert parse_log(FIXTURE_LOG.read_text()) == ()


@pytest.mark.parametrize("copier", list(COPIERS.values()), ids=list(COPIERS))
def test_a_copy_of_a_users_clone_holds_none_of_its_state(
    copier: Callable[[pytest.MonkeyPatch, Path, Path], Path],
    users_clone: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = copier(monkeypatch, users_clone, tmp_path / "copy")

    log = copy / "seeds" / "run_status.csv"
    assert log.read_bytes() == FIXTURE_LOG.read_bytes()  # the fixture, byte for byte
    # The storyboard's grants are the user's too: never copied.
    grants = (copy / "seeds" / "storyboard_access.csv").read_text()
    assert "ana@example.com" not in grants
    assert grants.startswith("email,role,divisions\n")
    assert sorted(p.name for p in (copy / "seeds").iterdir()) == sorted(
        p.name for p in (REPO_ROOT / "seeds").iterdir() if not p.name.startswith(".")
    )
    warehouse = copy / "warehouse"
    assert not warehouse.exists() or list(warehouse.iterdir()) == []
    for state in ("artifacts", "published", "target", "logs"):
        assert not (copy / state).exists(), state
    # Of data/, only the committed reference data (never the raw extract).
    assert sorted(p.name for p in (copy / "data").iterdir()) == ["reference"]
    # The project itself did come across.
    assert (copy / "dbt_project.yml").read_bytes() == (
        REPO_ROOT / "dbt_project.yml"
    ).read_bytes()
    assert (copy / "models").is_dir() and (copy / "python_models").is_dir()
    assert not (copy / "tests" / "python").exists()


def test_copy_project_files_writes_a_given_log_or_an_empty_one(
    users_clone: Path, tmp_path: Path
) -> None:
    given = tmp_path / "decisions.csv"
    given.write_bytes(HEADER + b"abc,ignored,2026-01-01 00:00:00,ana,no\n")
    copy_project_files(users_clone, tmp_path / "given", decision_log=given)
    assert (tmp_path / "given/seeds/run_status.csv").read_bytes() == given.read_bytes()

    copy_project_files(users_clone, tmp_path / "empty")
    assert (tmp_path / "empty/seeds/run_status.csv").read_bytes() == HEADER
    # No grants by default: every signed-in reader would be a viewer.
    assert (tmp_path / "empty/seeds/storyboard_access.csv").read_text() == (
        "email,role,divisions\n"
    )


@pytest.mark.parametrize(
    "variable",
    [
        "PEOPLE_ML_HOME",
        "PEOPLE_ML_DUCKDB",
        "PEOPLE_ML_ARTIFACT_DIR",
        "PEOPLE_ML_RAW_DIR",
        "PEOPLE_ML_RAW_FORMAT",
        "PEOPLE_ML_PUBLISH_DIR",
        "PEOPLE_ML_USER",
        "DBT_PROFILES_DIR",
        "DBT_TARGET",
        "DBT_TARGET_PATH",
    ],
)
def test_subprocess_environments_drop_the_developers_paths(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from people_ml.project import SIZING_VARIABLES, isolated_env

    # The benchmarks' copies keep the sizing settings, never state.
    assert not set(SIZING_VARIABLES) & set(STATE_VARIABLES)
    monkeypatch.setenv(variable, str(REPO_ROOT / "the-users-state"))
    for env in (
        conftest.Project(tmp_path).env(),
        isolated_env(tmp_path, keep=SIZING_VARIABLES),
    ):
        assert str(REPO_ROOT / "the-users-state") not in env.values(), variable
        assert env["PEOPLE_ML_HOME"] == str(tmp_path)
        assert env["DBT_PROFILES_DIR"] == str(tmp_path)


def test_in_process_tests_see_no_state_variables_and_no_project() -> None:
    # `make test` exports PEOPLE_ML_HOME and DBT_PROFILES_DIR for the working
    # tree; conftest's guard removes them (and the rest) before every test.
    from people_ml.project import ProjectNotFoundError, find_project

    leaked = [
        key for key in os.environ if key.startswith("DBT_") or key in STATE_VARIABLES
    ]
    assert leaked == []
    assert not Path.cwd().resolve().is_relative_to(REPO_ROOT)
    with pytest.raises(ProjectNotFoundError):
        find_project()
