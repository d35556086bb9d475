"""The people-ml command line: arguments, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from people_ml.cli import EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: people_ml\n")
    monkeypatch.delenv("PEOPLE_ML_HOME", raising=False)
    monkeypatch.delenv("PEOPLE_ML_RAW_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--employees", "0"], "employees"),
        (["--employees", "5000000"], "employees"),
        (["--months", "0"], "months"),
        (["--months", "241"], "months"),
        (["--seed", "-1"], "seed"),
        (["--start-date", "2024-01-15"], "start_date"),
    ],
)
def test_generate_refuses_bad_arguments_naming_them(
    project_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    assert main(["generate", *args]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert named in error
    assert not (project_dir / "data" / "raw" / "hris").exists()


def test_generate_writes_the_extract_into_the_project(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--employees", "50", "--months", "3"]) == EXIT_OK
    raw = project_dir / "data" / "raw" / "hris"
    manifest = json.loads((raw / "_manifest.json").read_text())
    assert (raw / "workers.parquet").is_file()
    assert str(manifest["as_of_date"]) == "2024-01-31"
    assert "workers" in capsys.readouterr().out


def test_advance_without_an_extract_says_to_generate_first(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["advance", "--months", "1"]) == EXIT_USAGE
    assert "people-ml generate" in capsys.readouterr().err


def test_outside_a_project_the_error_says_where_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PEOPLE_ML_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["generate"]) == EXIT_USAGE
    assert "PEOPLE_ML_HOME" in capsys.readouterr().err


def test_project_dir_must_hold_a_dbt_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project-dir", str(tmp_path), "generate"]) == EXIT_USAGE
    assert "--project-dir" in capsys.readouterr().err


def test_dbt_env_is_the_users_own_so_partial_parsing_holds(tmp_path, monkeypatch):
    """dbt re-parses the whole project when the rendered profile or an env var
    it reads differs from its last parse: people-ml must not add one."""
    from people_ml.project import ProjectPaths

    root = tmp_path / "project"
    root.mkdir()
    paths = ProjectPaths(root)
    monkeypatch.delenv("PEOPLE_ML_HOME", raising=False)
    assert "PEOPLE_ML_HOME" not in paths.dbt_env()  # '.' is the root dbt runs in
    monkeypatch.setenv("PEOPLE_ML_HOME", str(root))
    assert paths.dbt_env()["PEOPLE_ML_HOME"] == str(root)
    # Set to another project (people-ml --project-dir elsewhere): this one wins.
    monkeypatch.setenv("PEOPLE_ML_HOME", str(tmp_path / "other"))
    assert paths.dbt_env()["PEOPLE_ML_HOME"] == str(root)
    # The storyboard server does not run in the root: it is always told.
    monkeypatch.delenv("PEOPLE_ML_HOME")
    assert paths.app_env()["PEOPLE_ML_HOME"] == str(root)


@pytest.mark.dbt
def test_people_ml_after_a_plain_dbt_parse_keeps_partial_parsing(project):
    """A user's `dbt parse` in the project root, then `people-ml dbt parse`:
    the second must not re-parse everything ("profile has changed")."""
    env = {k: v for k, v in project.env().items() if k != "PEOPLE_ML_HOME"}
    dbt = str(Path(sys.executable).parent / "dbt")
    first = subprocess.run(
        [dbt, "parse"], cwd=project.root, env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stdout[-2000:]
    second = subprocess.run(
        [sys.executable, "-m", "people_ml.cli", "dbt", "parse"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert second.returncode == 0, second.stdout[-2000:]
    assert "Unable to do partial parsing" not in second.stdout + second.stderr
