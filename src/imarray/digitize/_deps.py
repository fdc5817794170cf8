"""Late imports of the ``digitize`` extra (matplotlib, scipy, numba)."""

from __future__ import annotations

from types import ModuleType

from .._optional import import_optional


def need(module: str) -> ModuleType:
    """Import ``module`` from the ``digitize`` extra, or raise ``MissingDependencyError`` naming it.

    Examples
    --------
    >>> need("scipy.ndimage").__name__
    'scipy.ndimage'
    """
    return import_optional(module, extra="digitize", purpose="reading numbers back from a figure")
