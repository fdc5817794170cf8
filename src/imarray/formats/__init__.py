"""One module per format, all with the same small protocol.

Each module exposes plain functions with keyword-only options:

``sniff(head: bytes) -> bool``
    Is this content mine? From magic bytes; never raises.
``info(path: Path, *, spec: FormatSpec) -> FileInfo``
    Shape, dtype, axes, spacing, files, bytes on disk, without reading pixels.
``read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None, ...)
-> tuple[np.ndarray, FileInfo]``
    The pixels (into ``out`` when given, so folder readers preallocate) and
    what the file says about them. Sizes are checked against the file before
    anything is allocated.
``check_writable(array: np.ndarray, *, spec: FormatSpec, metadata: dict | None = None, ...) -> None``
    Raise before any byte is written if ``spec`` cannot hold the array exactly.
    ``metadata`` is what ``write`` will receive (an Image's geometry among it).
``write(path: Path, array: np.ndarray, *, spec: FormatSpec, metadata: dict, ...)``
    Write one file at ``path``. ``api.save`` calls it on a temporary sibling
    inside :func:`imarray._atomic.atomic_file`; formats flagged ``multi_file``
    in the registry are handed the real path and use ``atomic_files`` themselves.
    ``metadata`` holds what imarray records (e.g. a ``scale`` request).
"""
