"""Folders of images as one array, and size-capped series of files.

A folder of single planes (``slice_1.tif`` ... ``slice_1000.tif``) loads as a
stack; a folder of stacks loads as their concatenation along the first axis.
Files are taken in natural order (``slice_2`` before ``slice_10``), their
headers are read first, and the pixels are read into one preallocated array,
so peak memory is the result itself. Frames of a different shape or dtype are
an error that names the file.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._atomic import atomic_files
from .._chunking import along_first, groups, still_there
from .._commit import sweep
from .._memory import aligned_empty, byte_view
from .._paths import FolderFiles, disk_bytes, visible_files, visible_names
from .._progress import progress as progress_bar
from ..errors import (
    CorruptFileError,
    FormatNotFoundError,
    ImageFileNotFoundError,
    ImarrayError,
    InvalidOptionError,
    TargetError,
)
from ..fileinfo import FileInfo
from ..protocol import ChunkPlan
from ..registry import FormatSpec, by_extension, by_name


def image_files(folder: Path) -> tuple[FormatSpec, list[Path]]:
    """The format and the files of ``folder`` that make up its image, each one readable."""
    spec, names = image_names(folder)
    files = [folder / name for name in names]
    for path in files:
        if not os.access(path, os.R_OK):
            raise ImageFileNotFoundError("cannot read it (permission denied)", path=path,
                                         hint="ask for read permission, or move the file out of the folder")
    return spec, files


def image_names(folder: Path) -> tuple[FormatSpec, list[str]]:
    """The format and the names of the files of ``folder`` that make up its image, in natural order."""
    groups: dict[str, tuple[FormatSpec, list[str]]] = {}
    names = visible_names(folder)
    headers = [folder / name for name in names if name.lower().endswith(".mhd")]
    pixels_of_headers = {path.name for path in _metaimage_data_files(headers) if path.parent == folder}
    for name in names:
        spec = by_extension(name)
        if spec is None or name in pixels_of_headers:
            continue
        groups.setdefault(spec.module, (spec, []))[1].append(name)
    if not groups:
        raise ImageFileNotFoundError(
            "the folder holds no image file imarray can read",
            path=folder,
            hint="put .tif/.png/.bin files in it, or pass the path of one file",
        )
    if len(groups) > 1:
        counts = ", ".join(f"{len(files)} {spec.name}" for spec, files in groups.values())
        raise FormatNotFoundError(
            f"the folder mixes formats ({counts}); imarray will not guess which to stack",
            path=folder,
            hint="move the files of one kind into their own folder",
        )
    return next(iter(groups.values()))


def _metaimage_data_files(files: list[Path]) -> set[Path]:
    """The data files (``scan.raw``) that ``.mhd`` headers among ``files`` name: part of those images."""
    headers = [path for path in files if path.suffix.lower() == ".mhd"]
    if not headers:
        return set()
    from .medical import _metaimage_data_file

    return {data for data in map(_metaimage_data_file, headers) if data is not None}


def _frames(info: FileInfo) -> tuple[int, tuple[int, ...]]:
    """(number of frames, frame shape) of one file of a folder."""
    if info.axes[:1] in ("y", "") or len(info.shape) <= 2:
        return 1, info.shape
    return info.shape[0], info.shape[1:]


def _plan(folder: Path, *, show_progress: bool = False) -> tuple[FormatSpec, list[FileInfo], tuple[int, ...], str]:
    spec, files = image_files(folder)
    module = spec.load()
    if spec.multi_file:  # a raw binary: the folder holds one image and its sidecar
        if len(files) != 1:
            names = ", ".join(p.name for p in files)
            raise FormatNotFoundError(
                f"the folder holds several raw binaries ({names})",
                path=folder,
                hint="pass the path of one .bin file",
            )
        return spec, [module.info(files[0], spec=spec)], (), ""
    infos = [
        module.info(path, spec=spec)
        for path in progress_bar(files, total=len(files), desc="headers", enabled=show_progress)
    ]
    first = infos[0]
    _, frame_shape = _frames(first)
    total = 0
    for info in infos:
        count, shape = _frames(info)
        if shape != frame_shape or info.dtype != first.dtype:
            raise CorruptFileError(
                f"{info.path.name} holds {info.dtype} frames of shape {shape}, "
                f"but {first.path.name} holds {first.dtype} frames of shape {frame_shape}",
                path=folder,
                hint="every file of a folder must have the same frame shape and dtype; "
                "move the odd file out or load the files one by one",
            )
        total += count
    return spec, infos, (total, *frame_shape), first.dtype


def claims(path: Path, *, spec: FormatSpec) -> bool:
    """Any folder: this row is the fallback for folders no other row (a Zarr store) claims."""
    return path.is_dir()


def info(folder: Path, *, spec: FormatSpec | None = None) -> FileInfo:
    """Describe a folder of images without reading pixels."""
    spec, infos, shape, dtype = _plan(folder)
    if spec.multi_file:
        return infos[0]
    return _combined_info(folder, spec, infos, shape, dtype)


_READERS = min(2, os.cpu_count() or 1)  # threads reading a folder's files into one array
SLICE_CHUNK_BYTES = 2**20  # a lazy folder's chunk: one slice, or consecutive slices of about this many bytes


class MixedGeometryWarning(UserWarning):
    """Files of one folder record different spacing, origin or units; the folder takes the first file's."""


class _NotUniform(Exception):
    """A file differs from the first and last ones: plan the read with every header."""


def read(folder: Path, *, spec: FormatSpec | None = None, out: np.ndarray | None = None,
         progress: bool = False) -> tuple[np.ndarray, FileInfo]:
    """Read every image of ``folder`` into one preallocated array (``out`` if given).

    The common folder (every file like the first, the last one possibly
    shorter, as in a size-capped series) is read opening each file once; any
    other folder is planned from every file's header first.
    """
    show_progress = progress
    spec, files = image_files(folder)
    if not spec.multi_file and out is None:
        try:
            return _read_uniform(folder, spec, files, show_progress)
        except _NotUniform:
            pass
    spec, infos, shape, dtype = _plan(folder, show_progress=show_progress)
    module = spec.load()
    if spec.multi_file:
        return module.read(infos[0].path, spec=spec, out=out)
    if out is not None and (out.shape != shape or out.dtype != np.dtype(dtype)):
        raise CorruptFileError(f"holds {dtype} pixels of shape {shape}, not the {out.dtype} {out.shape} expected",
                               path=folder)
    out = aligned_empty(shape, dtype) if out is None else out
    start = 0
    for file_info in progress_bar(infos, total=len(infos), desc="reading", enabled=show_progress):
        count, frame_shape = _frames(file_info)
        is_plane = frame_shape == file_info.shape
        view = out[start] if is_plane else out[start : start + count]
        module.read(file_info.path, spec=spec, out=view)
        start += count
    return out, _combined_info(folder, spec, infos, shape, dtype)


def chunk_plan(folder: Path, *, spec: FormatSpec) -> ChunkPlan:
    """Chunks of whole files, planned without opening every file.

    A folder of single planes (slices) is planned from its first and last
    files' headers: every other file is checked when its chunk is read (a
    file of another shape or dtype is a ``CorruptFileError`` naming it, other
    spacing a ``MixedGeometryWarning``). A chunk is one slice, or as many
    consecutive slices as make about ``SLICE_CHUNK_BYTES`` when they are
    smaller: dask's cost per task (a fraction of a millisecond) would
    otherwise exceed the read of a small slice. A folder of stacks, whose
    lengths may differ, is planned from every header, as ``read`` plans it,
    one chunk per file.
    """
    member, names = image_names(folder)  # an unreadable file fails when its chunk is read
    if not member.multi_file:
        module = member.load()
        first = module.info(folder / names[0], spec=member)
        last = module.info(folder / names[-1], spec=member) if len(names) > 1 else first
        count, frame_shape = _frames(first)
        if count == 1 == _frames(last)[0] and first.shape == last.shape == frame_shape and first.dtype == last.dtype:
            plane_bytes = math.prod(frame_shape) * np.dtype(first.dtype).itemsize
            expected = _Expected(first.path.name, first.dtype, first.spacing, first.units, first.origin,
                                 _layout(member, first.path, plane_bytes))
            base = f"{folder}{os.sep}"  # names joined as text: a Path per file costs more than the plan
            paths = [base + name for name in names]
            ranges = groups(len(paths), plane_bytes, SLICE_CHUNK_BYTES)
            tasks = [(read_members, tuple(paths[start:stop]), member.name, (stop - start, *frame_shape), first.dtype,
                      True, expected) for start, stop in ranges]
            keyed, chunks = along_first(tasks, tuple(stop - start for start, stop in ranges), frame_shape)
            shape = (len(names), *frame_shape)
            return ChunkPlan(chunks=chunks, dtype=np.dtype(first.dtype), tasks=keyed,
                             info=_combined_info(folder, member, [first, last], shape, first.dtype,
                                                 files=FolderFiles(folder, names), count_bytes=False))
    member, infos, shape, dtype = _plan(folder)
    if member.multi_file:  # a folder holding one raw binary
        return member.load().chunk_plan(infos[0].path, spec=member)
    per_file: list[tuple] = []
    counts = []
    for file_info in infos:
        count, frame_shape = _frames(file_info)
        per_file.append((read_members, (str(file_info.path),), member.name, (count, *frame_shape), dtype,
                         frame_shape == file_info.shape, None))
        counts.append(count)
    keyed, chunks = along_first(per_file, tuple(counts), shape[1:])
    return ChunkPlan(chunks=chunks, dtype=np.dtype(dtype), tasks=keyed,
                     info=_combined_info(folder, member, infos, shape, dtype))


class _Expected(NamedTuple):
    """What every file of a folder planned from its first file must match (checked as each is read)."""

    first: str
    dtype: str
    spacing: dict
    units: dict
    origin: dict
    layout: object | None = None  # the first file's layout: files whose headers say the same are read from it


def read_members(paths: tuple[str, ...], spec_name: str, shape: tuple[int, ...], dtype: str, is_plane: bool,
                 expected: _Expected | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Task: read whole files of a folder into a chunk of ``shape`` (into ``out`` if given).

    ``is_plane``: each file is one plane of the chunk; otherwise the one file
    is the whole chunk. With ``expected`` (a folder planned from its first
    file), a file of another shape or dtype is a ``CorruptFileError`` naming
    it and the first file, and other spacing, units or origin a
    ``MixedGeometryWarning``.
    """
    member = by_name(spec_name)
    out = aligned_empty(shape, dtype) if out is None else out
    for index, path in enumerate(paths):
        _read_member(member, path, out[index] if is_plane else out, expected)
    return out


def _read_member(member: FormatSpec, path: str, out: np.ndarray, expected: _Expected | None) -> None:
    module = member.load()
    if expected is not None and expected.layout is not None:
        with still_there(path):
            if module.read_like(expected.layout, path, byte_view(out)):
                return
    try:
        with still_there(path):
            _, described = module.read(Path(path), spec=member, out=out)
    except CorruptFileError as err:
        if expected is None:
            raise
        raise CorruptFileError(err.message, path=path, hint=f"every file of the folder must hold one "
                               f"{'x'.join(map(str, out.shape))} {out.dtype} frame like {expected.first}; move the "
                               "odd file out, or load the folder without lazy=True to stack files of any length"
                               ) from None
    geometry = (described.spacing, described.units, described.origin)
    if expected is not None and geometry != (expected.spacing, expected.units, expected.origin):
        warnings.warn(f"{path}: records spacing {described.spacing} {described.units} and origin "
                      f"{described.origin}, {expected.first} spacing {expected.spacing} {expected.units} and origin "
                      f"{expected.origin}; the folder takes the first file's", MixedGeometryWarning, stacklevel=3)


def _read_uniform(
    folder: Path, spec: FormatSpec, files: list[Path], show_progress: bool
) -> tuple[np.ndarray, FileInfo]:
    module = spec.load()
    first = module.info(files[0], spec=spec)
    last = module.info(files[-1], spec=spec) if len(files) > 1 else first
    count, frame_shape = _frames(first)
    last_count, last_frame_shape = _frames(last)
    is_plane = first.shape == frame_shape
    if last_frame_shape != frame_shape or last.dtype != first.dtype or (last.shape == frame_shape) != is_plane:
        raise _NotUniform
    out = aligned_empty((count * (len(files) - 1) + last_count, *frame_shape), first.dtype)
    layout = _layout(spec, files[0], out[0].nbytes) if is_plane else None

    def read_one(index: int) -> FileInfo | None:
        expected = last_count if index == len(files) - 1 else count
        start = index * count
        view = out[start] if is_plane else out[start : start + expected]
        if layout is not None and module.read_like(layout, files[index], byte_view(view)):
            return None  # its header says what the first file's says
        try:
            _, described = module.read(files[index], spec=spec, out=view)
        except (ImarrayError, ValueError) as exc:
            raise _NotUniform from exc
        if _frames(described) != (expected, frame_shape) or described.dtype != first.dtype:
            raise _NotUniform
        return described

    with ThreadPoolExecutor(_READERS, thread_name_prefix="imarray-folder") as pool:  # file reads and decoding
        read = list(progress_bar(pool.map(read_one, range(len(files))), total=len(files), desc="reading",
                                 enabled=show_progress))  # release the GIL: both cores take files in turn
    infos = [first, *(described for described in read if described is not None)]
    return out, _combined_info(folder, spec, infos, out.shape, first.dtype, files=files)


def _layout(spec: FormatSpec, first: Path, nbytes: int) -> object | None:
    """The first slice's layout, for rows that read slices laid out like it (``same_layout``); else None."""
    return spec.load().plane_layout(first, nbytes=nbytes) if spec.can("same_layout") else None


# metadata describing one file, not the folder's image (a series part, a TIFF's own series)
_PER_FILE = ("series", "series_shapes")


def _combined_info(
    folder: Path, spec: FormatSpec, infos: list[FileInfo], shape: tuple[int, ...], dtype: str,
    files: Sequence[Path] | None = None, *, count_bytes: bool = True,
) -> FileInfo:
    """The folder's description from its files' ``infos`` (all of them, or some of ``files``).

    ``count_bytes=False`` leaves the bytes on disk uncounted (a lazy plan: a stat per file).
    """
    first = infos[0]
    members = [i.path for i in infos if isinstance(i.path, Path)] if files is None else files
    odd = next((i for i in infos if (i.spacing, i.units, i.origin) != (first.spacing, first.units, first.origin)),
               None)
    if odd is not None:
        warnings.warn(
            f"{folder}: {odd.path.name} records spacing {odd.spacing} {odd.units} and origin {odd.origin}, "
            f"{first.path.name} spacing {first.spacing} {first.units} and origin {first.origin}; the folder takes "
            "the first file's (load the odd files on their own to keep theirs)",
            MixedGeometryWarning,
            stacklevel=5,
        )
    axes = first.axes if len(first.shape) > 2 and first.axes[:1] != "y" else "q" + first.axes
    return FileInfo(
        path=folder,
        format=f"folder of {spec.name}",
        shape=shape,
        dtype=dtype,
        axes=axes,
        spacing=first.spacing,
        units=first.units,
        origin=first.origin,
        files=members if isinstance(members, FolderFiles) else tuple(members),  # paths made when asked for
        disk_bytes=disk_bytes(members) if count_bytes else None,
        metadata={key: value for key, value in first.metadata.items() if key not in _PER_FILE},
    )


def series_folder(path: Path, spec: FormatSpec) -> tuple[Path, str, str]:
    """Folder, file stem and extension for a size-capped series saved at ``path``."""
    name = path.name
    lowered = name.lower()
    for ext in sorted(spec.extensions, key=len, reverse=True):
        if lowered.endswith(ext):
            stem = name[: -len(ext)]
            return path.with_name(stem), stem, name[-len(ext):]
    return path, path.name, spec.extensions[0]


def series_pattern(stem: str, ext: str, digits: int = 5) -> re.Pattern:
    """The names of a size-capped series' files: ``<stem>_00000<ext>``, at least ``digits`` digits.

    >>> bool(series_pattern("cells", ".tif").fullmatch("cells_00012.tif"))
    True
    """
    return re.compile(rf"{re.escape(stem)}_\d{{{digits},}}{re.escape(ext)}")


def write_series(
    path: Path,
    array: np.ndarray,
    *,
    spec: FormatSpec,
    size_cap: int,
    metadata: dict,
    show_progress: bool = False,
    **options,
) -> Path:
    """Split ``array`` along its first axis into files of at most ``size_cap`` bytes.

    ``stack.tif`` becomes the folder ``stack/`` holding ``stack_00000.tif``,
    ``stack_00001.tif``, ...; a previous series of the same name in that folder
    is replaced only once every new part is on disk, in one journaled commit
    (:mod:`imarray._commit`) that also removes old parts the new series lacks.
    """
    from ..errors import UnsupportedDtypeError

    if array.ndim < 3:
        raise UnsupportedDtypeError(
            f"size_cap splits along the first axis; a {array.ndim}D image cannot be split",
            path=path,
            hint="drop size_cap= for a single image",
        )
    folder, stem, ext = series_folder(path, spec)
    frame_bytes = max(1, array[0].nbytes)
    if size_cap < frame_bytes:
        raise InvalidOptionError(f"size_cap={size_cap:g} bytes is less than one frame ({frame_bytes} bytes)",
                                 path=path, hint=f"pass size_cap={frame_bytes} or more")
    per_file = max(1, int(size_cap // frame_bytes))
    parts = max(1, math.ceil(array.shape[0] / per_file))
    digits = max(5, len(str(parts - 1)))
    targets = [folder / f"{stem}_{i:0{digits}d}{ext}" for i in range(parts)]
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    pattern = series_pattern(stem, ext, digits)
    present = visible_files(folder)
    others = [p.name for p in present if not pattern.fullmatch(p.name) and by_extension(p) is not None]
    if others:
        raise TargetError(
            f"the series folder also holds {len(others)} other file(s) ({', '.join(sorted(others)[:3])}), which "
            "would load with it as one stack", path=folder,
            hint="choose another name, or move those files away first",
        )
    stale = [p for p in present if pattern.fullmatch(p.name) and p not in targets]
    sweep(folder)  # a killed save's temporaries of any part (an earlier series may have had more parts)
    module = spec.load()
    try:
        with atomic_files(targets, remove=stale, primary=folder) as temporaries:
            for i, tmp in progress_bar(enumerate(temporaries), total=parts, desc="writing", enabled=show_progress):
                part = array[i * per_file : (i + 1) * per_file]
                part_meta = {**metadata, "series": {"part": i, "parts": parts, "frames": int(array.shape[0])}}
                module.write(tmp, part, spec=spec, metadata=part_meta, **options)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()  # a failed first save leaves no empty series folder behind
        raise
    return folder
