"""Settings inside every output: a dream's record, written into its PNG, MP4 or GIF and read back leniently.

The record is JSON: the settings with the seed actually used, the model and a fingerprint of its
weights, the preset if any, the project version, and hashes of the photo and guide it was made from.
It is deterministic (no time, no host), so equal inputs give byte-identical files. A PNG holds it in
a text chunk named ``deepdream``, an MP4 in its ``comment`` tag, a GIF in its comment extension.

Reading one back goes through the same lenient path as share links (:func:`links.from_values`):
a file whose record is missing, damaged, forged or from a newer version still opens, with a note per
thing skipped. Only the record is read from a file: no pixels are decoded and nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from ..dreaming.images import ImageInputError, no_such_file
from ..dreaming.json_input import load_json
from ..dreaming.settings import DreamSettings, SettingsError
from ..models.echo import echo, shorten
from .links import SharedLink, from_values

CHUNK = "deepdream"  # the PNG text chunk's keyword
FORMAT = 1  # the record's layout; a file with a larger number was written by a newer version
# A real record is under 2 KB; anything much larger is not ours, and is not parsed.
MAX_RECORD_BYTES = 64 * 1024
# The largest file a record is looked for in: video.MAX_VIDEO_BYTES (a dreamed clip is smaller than its
# source), not imported from there so that reading a PNG's record never loads PyAV.
MAX_FILE_BYTES = 200 * 1024 * 1024
# Entries a record may hold; any other is noted and skipped.
_KNOWN = {"format", "kind", "version", "model", "weights", "preset", "settings", "source", "guide", "motion", "stopped"}
# Where a dream ran is not recorded, and not restored from a forged record: as for share links, it is
# the reader's machine's business (a dream made on a GPU must open on a laptop), and leaving it out
# keeps ``--device cpu`` and ``auto`` dreams of the same pixels byte-identical.
_MACHINE = ("device",)


def dream_record(
    settings: DreamSettings,
    preset: str | None = None,
    *,
    source: bytes | None = None,
    guide: Image.Image | None = None,
    motion: Any = None,
    kind: str = "dream",
    weights: str | None = None,
    stopped: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """What made a dream, as a JSON-ready dict: the same inputs always give the same record.

    ``settings`` should hold the seed actually used (see :meth:`DreamSettings.with_seed`). ``source``
    is the input file's bytes (None for noise), ``motion`` the animation's or video's own settings
    (a dataclass or a dict). ``weights`` is the model's fingerprint when the caller already knows it
    (a Ray driver asks its workers); otherwise it is computed here, once per model and process.
    ``stopped`` says where a run that was stopped early ended (``{"octave": 2, "step": 3}``): the
    picture is the dream so far, not what the settings dream to the end.
    """
    record: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "version": project_version(),
        "model": settings.model,
        "weights": weights if weights is not None else weights_fingerprint(settings.model),
        "preset": preset,
        "settings": {key: value for key, value in settings.to_dict().items() if key not in _MACHINE},
    }
    if source is not None:
        record["source"] = _digest(source)
    if guide is not None:
        record["guide"] = _digest(guide.convert("RGB").tobytes() + repr(guide.size).encode())
    if motion is not None:
        record["motion"] = asdict(motion) if is_dataclass(motion) and not isinstance(motion, type) else dict(motion)
    if stopped is not None:
        record["stopped"] = dict(stopped)
    return record


def record_text(record: Mapping[str, Any]) -> str:
    """The record as compact, key-sorted ASCII JSON: equal records give equal bytes."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def same_dream(found: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    """Whether a file's record says it was made from the same photo, guide, weights and settings.

    The version and preset name are not compared: a new release or a renamed preset that dreams the
    same pixels does not make old outputs stale. A wanted seed of None (a fresh one per image) matches
    any seed. A dream stopped early (its record says where) is not the finished dream of those settings.
    """
    if not isinstance(found, Mapping) or not isinstance(found.get("settings"), Mapping):
        return False
    for key in ("model", "weights", "source", "guide", "stopped"):
        if found.get(key) != wanted.get(key):
            return False
    ours, theirs = dict(wanted["settings"]), dict(found["settings"])
    if ours.get("seed") is None:
        theirs["seed"] = None
    return theirs == ours


# -- writing -------------------------------------------------------------------------------------


def png_bytes(image: Image.Image, record: Mapping[str, Any]) -> bytes:
    """``image`` as a PNG whose ``deepdream`` text chunk holds ``record``."""
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, record_text(record))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_png(image: Image.Image, path: str | os.PathLike, record: Mapping[str, Any]) -> Path:
    """Write ``image`` with its record to ``path`` atomically; returns the path."""
    return write_atomic(path, png_bytes(image, record))


def save_video(
    frames: Sequence[Image.Image], path: str | os.PathLike, fps: Any, record: Mapping[str, Any], audio_from: Any = None
) -> Path:
    """Write an MP4 or GIF (by suffix) whose container metadata holds ``record``, atomically."""
    from .clips import write_video

    with atomic_path(path) as partial:
        write_video(frames, partial, fps, audio_from=audio_from, comment=record_text(record))
    return Path(path)


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that ``path`` is never a truncated file, even if the process is killed."""
    with atomic_path(path) as partial:
        partial.write_bytes(data)
    return Path(path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A hidden temporary path beside ``path`` (same suffix) to write to; renamed onto ``path`` on success.

    ``os.replace`` within one folder is atomic, so readers see the old file or the whole new one;
    after a crash only a hidden ``.NAME.partial-*`` file may be left, never a truncated ``NAME``.
    """
    path = Path(path)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.partial-", suffix=path.suffix, dir=path.parent)
    except OSError as err:  # said of the file asked for, not of the hidden one beside it
        raise OSError(err.errno, err.strerror, str(path)) from None
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        with partial.open("rb+") as file:  # on disk before the rename, so a power cut leaves no empty file
            os.fsync(file.fileno())
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# -- reading -------------------------------------------------------------------------------------


class RecordError(ValueError):
    """A file's record is missing or unreadable; the message says which, for a note to the user."""


def read_record(path: str | os.PathLike) -> dict[str, Any]:
    """The record stored in a PNG, GIF or MP4 file, as parsed JSON (not yet checked).

    Raises :class:`~deepdream_core.dreaming.images.ImageInputError` when the file cannot be opened at all,
    and :class:`RecordError` when it holds no readable record.
    """
    if not Path(path).is_file():
        raise ImageInputError(no_such_file(path))
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RecordError(
            f"the file is over {MAX_FILE_BYTES // 2**20} MB, larger than any dream we write; it was not read"
        )
    with path.open("rb") as file:
        head = file.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        text = _png_text(path)
    elif head.startswith((b"GIF87a", b"GIF89a")):
        text = _gif_comment(path)
    elif head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        text = _mp4_comment(path)
    else:
        raise RecordError("the file is not a PNG, GIF or MP4, so it holds no DeepDream settings")
    if text is None:
        raise RecordError(
            "the file holds no DeepDream settings (it was not made by DeepDream Studio, or its metadata was stripped)"
        )
    if len(text) > MAX_RECORD_BYTES:
        raise RecordError(f"the file's settings are {len(text)} bytes, far more than a real record; they were not read")
    try:
        record = load_json(text, "settings")
    except SettingsError as err:
        raise RecordError(f"the file's settings are damaged: {str(err).removeprefix('settings: ')}") from None
    if not isinstance(record, dict):
        raise RecordError("the file's settings are damaged (not a JSON object)")
    return record


def settings_from_file(path: str | os.PathLike) -> SharedLink:
    """The settings a dreamed file was made with, read like a share link: never fails on what the file holds.

    Every entry that cannot be used is skipped with a note in ``ignored``; a file with no usable record
    gives the default settings and a note saying why. Raises
    :class:`~deepdream_core.dreaming.images.ImageInputError` only when the file itself cannot be opened.
    """
    try:
        record = read_record(path)
    except RecordError as err:
        return SharedLink(DreamSettings(), None, [f"{err}; the default settings are used"])
    return settings_from_record(record)


def settings_from_record(record: Mapping[str, Any]) -> SharedLink:
    """The settings in a file's record (:func:`read_record`), read like a share link, with a note for each entry
    that cannot be used."""
    notes = []
    newer = record.get("format")
    if not isinstance(newer, int) or isinstance(newer, bool) or newer > FORMAT:
        notes.append(
            f"the settings were written by a newer or unknown version (format {echo(newer)}; this one reads "
            f"{FORMAT}); what it cannot read is skipped"
        )
    notes += [f"{shorten(key)}: unknown entry in the file's settings, skipped" for key in sorted(set(record) - _KNOWN)]
    values = record.get("settings")
    if not isinstance(values, dict):
        notes.append("settings: missing or not an object in the file; the defaults are used")
        values = {}
    values = {key: value for key, value in values.items() if key not in _MACHINE}
    if record.get("preset") is not None:
        values["preset"] = record["preset"]
    if record.get("guide") is not None:
        notes.append(
            "guide: the dream used a guide image, which the file does not hold; give it again "
            "(--guide) to dream the same picture"
        )
    return from_values(values, notes=notes)


def _png_text(path: Path) -> str | None:
    """The ``deepdream`` text chunk; Pillow reads the chunks before the pixel data, and decodes none of it."""
    try:
        with warnings.catch_warnings():  # a large image's size warning is about decoding, which never happens here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG"]) as image:
                text = image.info.get(CHUNK)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise RecordError(f"the PNG is damaged or refused ({err})") from None
    return text if isinstance(text, str) else None


def _gif_comment(path: Path) -> str | None:
    try:
        with Image.open(path, formats=["GIF"]) as image:
            comment = image.info.get("comment")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise RecordError(f"the GIF is damaged ({err})") from None
    return comment.decode("ascii", errors="replace") if isinstance(comment, bytes) else None


def _mp4_comment(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path), format="mov", options={"protocol_whitelist": "file"}) as container:
            return container.metadata.get("comment")
    except av.error.FFmpegError as err:
        raise RecordError(f"the MP4 is damaged ({err.strerror})") from None


# -- identity ------------------------------------------------------------------------------------


def weights_fingerprint(model: str) -> str:
    """``sha256:`` and 16 hex digits of the model's weights file, or of its source's name when the file is not here.

    Hashing the file (19 MB for the bundled model: about 50 ms) happens once per file and process.
    A Hub file's cache name is already its SHA-256, so it is not read at all.
    """
    from ..models.zoo import get_spec

    source = get_spec(model).weights
    local_file = getattr(source, "local_file", None)
    path = local_file() if local_file is not None else None
    if path is None:
        return "source:" + hashlib.sha256(source.where.encode()).hexdigest()[:16]
    stat = Path(path).stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """Keyed by size and time as well, so a replaced file is hashed again."""
    blob = Path(path).resolve().name
    if len(blob) == 64 and all(c in "0123456789abcdef" for c in blob):  # huggingface_hub's blobs/<sha256>
        return "sha256:" + blob[:16]
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


@lru_cache(maxsize=1)
def project_version() -> str:
    """The installed package's version; from pyproject.toml when running from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deepdream-studio")
    except PackageNotFoundError:
        pass
    try:
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    except (ImportError, OSError, KeyError, ValueError):
        return "unknown"
