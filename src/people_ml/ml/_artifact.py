"""Content-addressed, verified model artifacts (pickles)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ._exceptions import ArtifactError, ArtifactVersionWarning
from ._versions import compare_versions, library_versions

__all__ = ["ARTIFACT_FORMAT", "load_artifact", "save_artifact", "sha256_file"]

ARTIFACT_FORMAT = "people_ml.ml.artifact"
ARTIFACT_FORMAT_VERSION = 1
_PROTOCOL = 5


def _fix(run_id: str, model_key: str | None) -> str:
    model = model_key or "<model>"
    return (
        f"Fix: unfreeze the model with `people-ml unfreeze {model}` so the next "
        "build trains anew, or restore the artifact file recorded for run "
        f"{run_id!r}."
    )


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unwritable(
    run_id: str | None, where: Path, action: str, exc: OSError
) -> ArtifactError:
    run = "this run" if run_id is None else f"run {run_id!r}"
    reason = exc.strerror or str(exc)
    return ArtifactError(
        f"{run}: cannot {action} {where}: {reason} (errno {exc.errno}). Fix: free "
        "space on that disk or point PEOPLE_ML_ARTIFACT_DIR at a writable folder, "
        "then build again; nothing was recorded for this run."
    )


def save_artifact(
    obj: Any, artifact_dir: Path, *, run_id: str | None = None
) -> tuple[str, Path]:
    """Pickle ``obj`` to ``artifact_dir/<sha256>.pkl`` atomically.

    The file is an outer pickle of plain types (format tag, library versions,
    the inner pickle's bytes), so versions can be checked before any
    scikit-learn object is unpickled. It is written to a temporary file in the
    same folder, fsynced, then linked into place; an existing file with the
    same name is kept when identical and never overwritten. The temporary
    file is removed whatever happens.

    Parameters
    ----------
    obj : object
        Picklable payload (the library stores a model artifact).
    artifact_dir : pathlib.Path
        Created if missing.
    run_id : str or None, default=None
        The run saving it, named in every error.

    Returns
    -------
    (sha256, path) : tuple of (str, pathlib.Path)
        Hex digest of the file bytes and the final path.

    Raises
    ------
    ArtifactError
        A different file already sits at the content address, or the folder
        cannot be created or written (a full disk, a file in the way, no
        permission): the message names the path, the run and the OS error.
    """
    artifact_dir = Path(artifact_dir)
    try:
        artifact_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(run_id, artifact_dir, "create the folder", exc) from exc
    envelope = {
        "format": ARTIFACT_FORMAT,
        "format_version": ARTIFACT_FORMAT_VERSION,
        "library_versions": library_versions(),
        "payload": pickle.dumps(obj, protocol=_PROTOCOL),
    }
    data = pickle.dumps(envelope, protocol=_PROTOCOL)
    sha = hashlib.sha256(data).hexdigest()
    target = artifact_dir / f"{sha}.pkl"
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=artifact_dir)
    except OSError as exc:
        where = artifact_dir
        raise _unwritable(run_id, where, "write a file in the folder", exc) from exc
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise _unwritable(run_id, target, "write the model artifact", exc) from exc
        _link_into_place(tmp, target, sha, run_id)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return sha, target


def _link_into_place(tmp: Path, target: Path, sha: str, run_id: str | None) -> None:
    try:
        os.link(tmp, target)  # atomic and never overwrites
    except FileExistsError:
        if sha256_file(target) != sha:
            raise ArtifactError(
                f"{target} exists with different bytes than its name says; "
                "refusing to overwrite it. Move the corrupt file away and retry."
            ) from None
    except OSError:  # file systems without hard links
        try:
            if not target.exists():
                tmp.replace(target)
                return
        except OSError as exc:
            raise _unwritable(run_id, target, "write the model artifact", exc) from exc
        if sha256_file(target) != sha:
            raise ArtifactError(
                f"{target} exists with different bytes; refusing to overwrite."
            ) from None


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles only built-in plain types (the artifact envelope)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in envelope")


def load_artifact(
    path: Path,
    expected_sha256: str,
    run_id: str,
    *,
    model_key: str | None = None,
) -> Any:
    """Verify and unpickle an artifact written by :func:`save_artifact`.

    The sha256 of the file bytes is checked before anything is unpickled; then
    library versions are compared before the payload is unpickled.

    Parameters
    ----------
    path : pathlib.Path
        Artifact file.
    expected_sha256 : str
        Digest recorded when the model was frozen.
    run_id : str
        The run asking (named in every error).
    model_key : str or None
        Model key, used in the suggested fix.

    Returns
    -------
    object
        The payload given to :func:`save_artifact`.

    Raises
    ------
    ArtifactError
        Missing file, changed bytes, unknown format, or a scikit-learn/numpy
        major or minor version different from the artifact's.

    Warns
    -----
    ArtifactVersionWarning
        Patch-level or non-critical library differences.
    """
    path = Path(path)
    fix = _fix(run_id, model_key)
    if not path.is_file():
        raise ArtifactError(f"run {run_id!r}: artifact file {path} is missing. {fix}")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} failed verification: sha256 {actual} "
            f"!= expected {expected_sha256} (the file changed since it was frozen). "
            f"{fix}"
        )
    try:
        envelope = _PlainUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} is not a people_ml artifact "
            f"({exc}). {fix}"
        ) from exc
    if not isinstance(envelope, dict) or envelope.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} is not a people_ml artifact. {fix}"
        )
    if envelope.get("format_version") != ARTIFACT_FORMAT_VERSION:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} has format version "
            f"{envelope.get('format_version')}, this library reads "
            f"{ARTIFACT_FORMAT_VERSION}. {fix}"
        )
    errors, notes = compare_versions(envelope["library_versions"], library_versions())
    if errors:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} was saved with incompatible library "
            f"versions: {'; '.join(errors)}. Reinstall the recorded versions, or "
            f"{fix[5:]}"
        )
    for note in notes:
        warnings.warn(
            f"run {run_id!r}: artifact {path}: {note}",
            ArtifactVersionWarning,
            stacklevel=2,
        )
    try:
        return pickle.loads(envelope["payload"])
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
        raise ArtifactError(
            f"run {run_id!r}: artifact {path} could not be unpickled ({exc}). {fix}"
        ) from exc
