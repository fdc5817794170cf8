"""Binary Netpbm images (PGM ``P5`` grey, PPM ``P6`` colour) as an imarray format: one module, one row.

The row below is all imarray needs; ``pyproject.toml`` names it in the
``imarray.formats`` entry-point group. Importing this package stays light:
the format module (:mod:`imarray_pnm.pnm`) is imported only when used.
"""

from __future__ import annotations

from imarray.registry import FormatSpec, Option

FORMATS = (
    FormatSpec(
        name="pnm",
        module="imarray_pnm.pnm",
        extensions=(".pgm", ".ppm", ".pnm"),
        magic=(b"P5", b"P6"),
        dtypes=("uint8", "uint16"),
        ndim=(2, 3),
        colour_ndim=(3,),
        options=(Option("maxval", (int,), "the largest value the header states (1..65535); default: the dtype's"),),
        description="binary PGM/PPM (Netpbm P5/P6): grey or RGB uint8/uint16, exact",
    ),
)
