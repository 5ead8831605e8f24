"""Many images, one look: which files, where their dreams go, which are done already, and the loop on one machine.

Resume is decided from each output itself: an output counts as done when it is a complete PNG whose
record (:mod:`metadata`) says it was dreamed from the same photo bytes, guide, weights and settings.
There is no side file to go stale, and outputs are written atomically, so a run stopped at any point
leaves only complete files under their final names. :mod:`cluster` runs the same work on Ray; this
module never imports it.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from ..dreaming.cache import get_dreamer
from ..dreaming.dreamer import Dreamer
from ..dreaming.images import MAX_FILE_BYTES, ImageInputError, load_image
from ..dreaming.settings import DreamSettings, SettingsError
from ..files.records import (
    RecordError,
    dream_record,
    png_bytes,
    read_record,
    same_dream,
    weights_fingerprint,
    write_atomic,
)
from .timing import dream_with

# What a folder is searched for (a file named on the command line is always tried).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
EXIT_SOME_FAILED = 4
# Errors that belong to one image (unreadable, too small for the model...): reported, and the batch goes on.
IMAGE_ERRORS = (ImageInputError, SettingsError, OSError)


class ClusterError(RuntimeError):
    """A Ray cluster could not be used (not installed, not reachable, no worker left); the message says what to do."""


@dataclass(frozen=True)
class BatchItem:
    """One input file and the PNG its dream is written to."""

    source: Path
    output: Path


@dataclass(frozen=True)
class BatchJob:
    """What every image is dreamed with."""

    settings: DreamSettings  # a seed of None draws a fresh one per image
    preset: str | None = None
    guide: Image.Image | None = None

    def wanted(self, source: bytes, weights: str) -> dict[str, Any]:
        """The record an output of ``source`` must carry to count as done."""
        return dream_record(self.settings, self.preset, source=source, guide=self.guide, weights=weights)


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: dreamed (``error`` None, with notices about the input) or failed."""

    item: BatchItem
    error: str | None = None
    notices: tuple[str, ...] = ()


@dataclass
class BatchReport:
    total: int = 0
    skipped: int = 0  # already done by an earlier run
    dreamed: int = 0
    failed: list[Outcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.failed else 0

    def add(self, outcome: Outcome) -> None:
        if outcome.error is None:
            self.dreamed += 1
        else:
            self.failed.append(outcome)


class Progress(Protocol):
    """Told what a batch is doing; the CLI draws a bar from it."""

    def start(self, total: int, skipped: int) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...

    def note(self, text: str) -> None: ...


# -- inputs and outputs --------------------------------------------------------------------------


def collect(
    inputs: Sequence[str], outdir: Path, recursive: bool = False, note: Callable[[str], None] | None = None
) -> list[BatchItem]:
    """Files, folders and globs as items, each output named after its input (``a/b.jpg`` -> ``OUT/a/b.png``).

    A folder's images keep their paths below it (subfolders only with ``recursive``); a glob's keep
    theirs below the glob's first wildcard. Hidden files and anything inside ``outdir`` are left out.
    Two inputs that would share an output name (``x.jpg``, ``x.png``) keep their suffix: ``x.jpg.png``.
    Folders and globs are searched alike: a link inside is followed only to a file inside the named input;
    a link that loops, leads nowhere or leads out of the input is told to ``note`` in one line and left out.
    """
    found: dict[Path, tuple[Path, Path]] = {}  # resolved source -> (source, path relative to the output folder)
    skip = outdir.resolve()
    noted: set[str] = set()  # a link is met once per pattern level that could enter it; said once

    def once(text: str) -> None:
        if text not in noted and note is not None:
            note(text)
        noted.add(text)

    for text in inputs:
        path = Path(text)
        if path.is_dir():
            root, parts = path, ["**", "*"] if recursive else ["*"]
            pairs = [
                (file, file.relative_to(root))
                for file in _search(root, parts, recursive, root.resolve(), once)
                if file.suffix.lower() in IMAGE_SUFFIXES
            ]
        elif path.is_file():
            pairs = [(path, Path(path.name))]
        elif path.is_symlink():
            raise SettingsError("inputs", f"{text} is {_broken_link(path)}; name the file or folder it should lead to")
        elif glob.has_magic(text):
            root = _glob_root(text)
            parts = list(Path(text).parts[len(root.parts) if root != Path(".") else 0 :])
            pairs = [(file, file.relative_to(root)) for file in _search(root, parts, recursive, root.resolve(), once)]
        else:
            raise SettingsError("inputs", f"{text} is not a file, a folder or a pattern that matches files")
        for source, relative in pairs:
            hidden = any(part.startswith(".") for part in relative.parts)
            resolved = source.resolve()
            if hidden or resolved.is_relative_to(skip):
                continue
            # A file met again through a link keeps the name it has where it is, not the link's.
            if resolved not in found or (found[resolved][0].is_symlink() and not source.is_symlink()):
                found[resolved] = (source, relative)
    if not found:
        raise SettingsError(
            "inputs",
            f"no images found in {' '.join(inputs)}; folders are searched for "
            f"{', '.join(IMAGE_SUFFIXES)} files (add --recursive for subfolders)",
        )
    names: dict[Path, int] = {}
    for _, relative in found.values():
        names[relative.with_suffix(".png")] = names.get(relative.with_suffix(".png"), 0) + 1
    items = []
    for source, relative in found.values():
        plain = relative.with_suffix(".png")
        output = plain if names[plain] == 1 else relative.with_name(relative.name + ".png")
        items.append(BatchItem(source, outdir / output))
    return items


def _glob_root(pattern: str) -> Path:
    """The folder part of a pattern before its first wildcard: ``photos/**/*.jpg`` -> ``photos``."""
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return Path(*parts[:fixed]) if fixed else Path(".")


def _search(
    folder: Path, parts: Sequence[str], recursive: bool, top: Path, note: Callable[[str], None]
) -> Iterator[Path]:
    """The files below ``folder`` that match ``parts`` (one glob pattern per folder level; ``**`` any number of
    levels with ``recursive``, as :func:`glob.glob` reads them), in name order, hidden names left out.

    Unlike ``glob.glob``, it never enters a linked folder (a folder linked to itself made a recursive glob run
    for minutes; one linked to ``/etc`` listed a thousand files the user never named) and follows a file link
    only to a file inside ``top``, the named input.
    """
    head, rest = parts[0], parts[1:]
    any_depth = head == "**" and recursive
    if any_depth:  # zero folders deep
        yield from _search(folder, rest or ["*"], recursive, top, note)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):  # a glob's fixed part that is not a folder matches nothing
        return
    except OSError as err:
        note(f"{folder}: cannot be read ({err.strerror}); skipped")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(".") or not (any_depth or fnmatch.fnmatchcase(entry.name, head)):
            continue
        if any_depth or rest:  # a folder level
            if entry.is_dir(follow_symlinks=False):
                yield from _search(path, parts if any_depth else rest, recursive, top, note)
            elif entry.is_symlink() and not path.is_file():
                _followed(path, top, note)  # a linked folder is never entered; noted if it loops or leads out
        elif entry.is_symlink():
            if _followed(path, top, note):
                yield path
        elif entry.is_file(follow_symlinks=False):
            yield path


def _followed(link: Path, top: Path, note: Callable[[str], None]) -> bool:
    """Whether a link met inside the input ``top`` leads to a file inside it; if it loops, leads nowhere or
    leads out of ``top``, that is noted in one line. A link to a folder inside ``top`` is not followed: its
    files are found under their own path (with ``--recursive``), and it may lead back up, into a loop."""
    try:
        target = link.resolve(strict=True)
    except OSError as err:
        if err.errno not in (errno.ENOENT, errno.ELOOP):
            note(f"{link}: a link that cannot be followed ({err.strerror}); skipped")
            return False
        note(f"{link}: {_broken_link(link)}; skipped")
        return False
    except RuntimeError:  # Python before 3.13 says "Symlink loop" this way
        note(f"{link}: {_broken_link(link)}; skipped")
        return False
    if not target.is_relative_to(top):
        note(f"{link}: a link out of {top} (to {target}); not followed")
        return False
    if target.is_dir():
        if link.parent.resolve().is_relative_to(target):
            note(f"{link}: a link back to {target}, a loop; not followed")
        return False
    return True


def _broken_link(link: Path) -> str:
    """What is wrong with a link that cannot be resolved: "a link that loops" or "a link to nothing (TARGET)"."""
    try:
        link.resolve(strict=True)
    except FileNotFoundError:
        return f"a link to nothing ({os.readlink(link)})"
    except (OSError, RuntimeError):
        pass
    return "a link that loops"


def read_input(path: Path) -> bytes:
    """An input file's bytes, refusing oversized files before reading them."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageInputError(f"the file is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
    return path.read_bytes()


def is_done(item: BatchItem, job: BatchJob, weights: str) -> bool:
    """Whether ``item``'s output is a complete PNG dreamed from the same input with the same settings."""
    if not item.output.is_file():
        return False
    try:
        if not same_dream(read_record(item.output), job.wanted(read_input(item.source), weights)):
            return False
        with Image.open(item.output, formats=["PNG"]) as image:
            image.verify()  # every chunk's checksum, up to the end marker: a cut-off file fails here
    except (RecordError, ImageInputError, OSError, SyntaxError, ValueError):
        return False
    return True


def pending(items: Sequence[BatchItem], job: BatchJob, weights: str) -> list[BatchItem]:
    """The items still to dream."""
    return [item for item in items if not is_done(item, job, weights)]


# -- dreaming ------------------------------------------------------------------------------------


def check_job(dreamer: Dreamer, job: BatchJob) -> None:
    """Fail once, before any image, on what would fail every image (an unknown layer or class)."""
    dreamer.objective(job.settings, job.guide)


def dream_bytes(dreamer: Dreamer, job: BatchJob, data: bytes, weights: str) -> tuple[bytes, tuple[str, ...]]:
    """An image file's bytes dreamed: the PNG with its record, and notices about the input.

    Raises one of :data:`IMAGE_ERRORS` with a message for the user when this image cannot be dreamed.
    """
    loaded = load_image(data, job.settings.max_size)
    settings = job.settings.with_seed()
    image = dream_with(dreamer, loaded.image, settings, job.guide)
    record = dream_record(settings, job.preset, source=data, guide=job.guide, weights=weights)
    return png_bytes(image, record), loaded.notices


def save_output(item: BatchItem, png: bytes) -> None:
    item.output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(item.output, png)


def run_local(items: Sequence[BatchItem], job: BatchJob, progress: Progress) -> BatchReport:
    """Dream every item not done yet, one after another in this process, with the model loaded once."""
    dreamer = get_dreamer(job.settings.model, job.settings.device)
    check_job(dreamer, job)
    weights = weights_fingerprint(job.settings.model)
    todo = pending(items, job, weights)
    report = BatchReport(total=len(items), skipped=len(items) - len(todo))
    progress.start(report.total, report.skipped)
    for item in todo:
        try:
            png, notices = dream_bytes(dreamer, job, read_input(item.source), weights)
            save_output(item, png)
            outcome = Outcome(item, None, notices)
        except IMAGE_ERRORS as err:
            outcome = Outcome(item, str(err))
        report.add(outcome)
        progress.finished(outcome)
    return report
