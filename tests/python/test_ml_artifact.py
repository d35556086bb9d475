"""Artifact persistence: content addressing and verification before unpickling."""

from __future__ import annotations

import errno
import hashlib
import os
import pickle

import pytest

from people_ml.ml import (
    ArtifactError,
    ArtifactVersionWarning,
    _artifact,
    _versions,
    load_artifact,
    save_artifact,
)

RUN = "run-1234"


def _save(tmp_path, obj=None):
    return save_artifact({"model": [1, 2, 3]} if obj is None else obj, tmp_path)


def test_content_addressed_round_trip(tmp_path):
    sha, path = _save(tmp_path)
    assert path == tmp_path / f"{sha}.pkl"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert load_artifact(path, sha, RUN) == {"model": [1, 2, 3]}
    # saving the same object again is idempotent; no temp files are left
    assert _save(tmp_path) == (sha, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_never_overwrites_a_different_file(tmp_path):
    _sha, path = _save(tmp_path)
    path.write_bytes(b"tampered")
    with pytest.raises(ArtifactError, match="refusing to overwrite"):
        _save(tmp_path)
    assert path.read_bytes() == b"tampered"


def test_missing_file_refused(tmp_path):
    sha, path = _save(tmp_path)
    path.unlink()
    with pytest.raises(ArtifactError) as info:
        load_artifact(path, sha, RUN, model_key="attrition")
    message = str(info.value)
    assert RUN in message and str(path) in message and "missing" in message
    assert "people-ml unfreeze attrition" in message


@pytest.mark.parametrize("position", [0, 100, -1])
def test_changed_byte_refused_before_unpickling(tmp_path, position, monkeypatch):
    sha, path = _save(tmp_path)
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    monkeypatch.setattr(pickle, "loads", _forbidden)
    monkeypatch.setattr(_artifact, "_PlainUnpickler", _forbidden)
    with pytest.raises(ArtifactError) as info:
        load_artifact(path, sha, RUN)
    message = str(info.value)
    assert RUN in message and "sha256" in message and str(path) in message
    assert "unfreeze" in message


def _forbidden(*args, **kwargs):
    raise AssertionError("unpickled an unverified artifact")


def _save_with_versions(tmp_path, monkeypatch, **changes):
    saved = {**_versions.library_versions(), **changes}
    monkeypatch.setattr(_artifact, "library_versions", lambda: saved)
    sha, path = _save(tmp_path)
    monkeypatch.undo()
    return sha, path


@pytest.mark.parametrize(
    "changes", [{"scikit-learn": "1.8.0"}, {"numpy": "1.26.4"}, {"numpy": "2.3.6"}]
)
def test_minor_version_mismatch_refused(tmp_path, monkeypatch, changes):
    sha, path = _save_with_versions(tmp_path, monkeypatch, **changes)
    monkeypatch.setattr(pickle, "loads", _forbidden)
    with pytest.raises(ArtifactError) as info:
        load_artifact(path, sha, RUN)
    message = str(info.value)
    lib, version = next(iter(changes.items()))
    assert RUN in message and lib in message and version in message
    assert "unfreeze" in message


@pytest.mark.parametrize(
    "changes",
    [
        {"scikit-learn": "1.9.0"},
        {"numpy": "2.4.0"},
        {"pandas": "2.2.0"},
        {"shap": "0.50.0"},
    ],
)
def test_patch_or_noncritical_difference_warns(tmp_path, monkeypatch, changes):
    sha, path = _save_with_versions(tmp_path, monkeypatch, **changes)
    with pytest.warns(ArtifactVersionWarning, match=RUN):
        assert load_artifact(path, sha, RUN) == {"model": [1, 2, 3]}


def test_foreign_pickle_refused(tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"format": "other"}))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ArtifactError, match="not a people_ml artifact"):
        load_artifact(path, sha, RUN)


def test_envelope_with_code_refused(tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps(ArtifactError("object")))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ArtifactError, match="not a people_ml artifact"):
        load_artifact(path, sha, RUN)


def _assert_actionable(message, where, os_text):
    assert RUN in message, message
    assert str(where) in message, message
    assert os_text in message, message
    assert "PEOPLE_ML_ARTIFACT_DIR" in message and "build again" in message
    assert "nothing was recorded for this run" in message


@pytest.mark.parametrize("layout", ["parent_is_a_file", "folder_is_a_file"])
def test_unusable_folder_raises_artifact_error(tmp_path, layout):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder should be")
    folder = blocker / "models" if layout == "parent_is_a_file" else blocker
    with pytest.raises(ArtifactError) as info:
        save_artifact({"model": [1]}, folder, run_id=RUN)
    _assert_actionable(
        str(info.value),
        folder,
        "Not a directory" if layout == "parent_is_a_file" else "exists",
    )
    assert isinstance(info.value.__cause__, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("step", ["write", "fsync"])
def test_full_disk_raises_artifact_error_and_leaves_no_temp_file(
    tmp_path, monkeypatch, step
):
    if step == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)
            return _FullDiskFile(handle)

        monkeypatch.setattr(os, "fdopen", fdopen)
        monkeypatch.setattr(os, "write", _full_disk)
    else:
        monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(ArtifactError) as info:
        save_artifact({"model": [1]}, tmp_path, run_id=RUN)
    monkeypatch.undo()
    _assert_actionable(str(info.value), tmp_path, "No space left on device")
    assert list(tmp_path.iterdir()) == []


class _FullDiskFile:
    """A file handle on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, data):
        _full_disk()

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()
