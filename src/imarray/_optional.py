"""Import optional dependencies late, with an error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError


def import_optional(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    Examples
    --------
    >>> json = import_optional("json", extra="none", purpose="testing")
    >>> json.dumps(1)
    '1'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the '{module.split('.')[0]}' package ({exc})",
            hint=f"pip install 'imarray[{extra}]'",
        ) from exc
