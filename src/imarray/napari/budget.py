"""How many bytes the napari reader loads into memory before it opens an image lazily instead."""

from __future__ import annotations

import os

from ..api import parse_size
from ..errors import InvalidOptionError

#: The environment variable that sets the budget (``"500MB"``, ``"2GiB"``, ``2000000000``).
BUDGET_VARIABLE = "IMARRAY_NAPARI_MEMORY"
DEFAULT_BUDGET = 1_000_000_000


def memory_budget() -> int:
    """Bytes of pixels the reader loads whole; larger images open as dask arrays, read as napari shows them.

    Read from ``IMARRAY_NAPARI_MEMORY`` when set, else 1 GB.

    Examples
    --------
    >>> os.environ["IMARRAY_NAPARI_MEMORY"] = "500MB"
    >>> memory_budget()
    500000000
    >>> del os.environ["IMARRAY_NAPARI_MEMORY"]
    >>> memory_budget()
    1000000000
    """
    value = os.environ.get(BUDGET_VARIABLE, "").strip()
    if not value:
        return DEFAULT_BUDGET
    try:
        return parse_size(value)
    except InvalidOptionError as err:
        raise InvalidOptionError(f"{BUDGET_VARIABLE}={value!r} is not a size",
                                 hint="set it to e.g. 500MB or 2GiB, or unset it for 1 GB") from err
