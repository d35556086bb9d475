"""Library versions recorded in artifacts and checked when loading them."""

from __future__ import annotations

import platform
import re
from importlib import metadata

__all__ = ["CRITICAL_LIBRARIES", "compare_versions", "library_versions"]

_DISTRIBUTIONS = {
    "scikit-learn": "scikit-learn",
    "numpy": "numpy",
    "pandas": "pandas",
    "scipy": "scipy",
    "shap": "shap",
}
#: A major/minor difference in these refuses an artifact; a patch one warns.
CRITICAL_LIBRARIES: tuple[str, ...] = ("scikit-learn", "numpy")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a pickled model depends on."""
    out = {"python": platform.python_version()}
    for key, dist in _DISTRIBUTIONS.items():
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = "not installed"
    return out


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def compare_versions(
    saved: dict[str, str], current: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Split version differences into errors and warnings.

    Parameters
    ----------
    saved : dict
        Versions stored in the artifact.
    current : dict
        Versions of this process.

    Returns
    -------
    (errors, warnings) : tuple of list of str
        Errors: a critical library (:data:`CRITICAL_LIBRARIES`) differs in
        major or minor version, or is missing. Warnings: any other difference.
    """
    errors: list[str] = []
    notes: list[str] = []
    for lib in sorted(set(saved) | set(current)):
        old, new = saved.get(lib, "unknown"), current.get(lib, "unknown")
        if old == new:
            continue
        text = f"{lib} {old} (artifact) vs {new} (this environment)"
        if lib in CRITICAL_LIBRARIES and _parts(old)[:2] != _parts(new)[:2]:
            errors.append(text)
        else:
            notes.append(text)
    return errors, notes
