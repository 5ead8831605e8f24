"""The CLI's many-image work: ``batch`` (folders, globs) and ``video --segments``, here or on a Ray cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..dreaming.settings import DreamSettings, SettingsError
from ..jobs.batch import ClusterError, Outcome
from ..motion.segments import SegmentSettings
from ..motion.video import VideoSettings
from .args import EXIT_STOPPED, SettingsInput, guide_from_args, refuse_overwriting_inputs

if TYPE_CHECKING:
    from ..files.clips import Clip


def video_in_segments(
    clip: Clip,
    settings: DreamSettings,
    video: VideoSettings,
    cut: SegmentSettings,
    guide: Image.Image | None,
    args: argparse.Namespace,
) -> list[Image.Image]:
    """The clip dreamed in overlapping segments, here one after another or on a Ray cluster at once."""
    from tqdm import tqdm

    from ..motion.segments import dream_in_segments, join, segment_clips

    with tqdm(total=cut.segments, unit="segment", disable=args.quiet, file=sys.stderr) as bar:

        def on_segment(done: int, total: int) -> None:
            bar.update(done - bar.n)

        if not args.ray:
            return dream_in_segments(clip, settings, video, cut, guide, on_segment)
        parts = cut.split(len(clip.frames))
        dreamed = cluster().run_segments(segment_clips(clip, parts), settings, video, guide, args.ray, on_segment)
        return join(parts, dreamed)


def cluster():
    """:mod:`deepdream_core.jobs.cluster`, which needs Ray: imported only for ``--ray``."""
    try:
        from ..jobs import cluster
    except ImportError as err:
        raise ClusterError(
            f"--ray needs Ray, which is not installed ({err}); "
            f"pip install 'deepdream-studio[ray]' (or pip install 'ray>=2.40')"
        ) from None
    return cluster


def batch_command(args: argparse.Namespace, given: SettingsInput) -> int:
    from ..jobs.batch import BatchJob, collect, run_local

    settings, preset = given.settings()
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise SettingsError("output", f"{outdir} is a file; give a folder for the dreams")
    items = collect(args.inputs, outdir, args.recursive, note=lambda text: print(f"note: {text}", file=sys.stderr))
    refuse_overwriting_inputs([item.output for item in items], args)  # a guide or settings file among the outputs
    outdir.mkdir(parents=True, exist_ok=True)
    job = BatchJob(settings, preset.name if preset else None, guide_from_args(args, preset, settings.max_size))
    progress = BatchBar(args.quiet)
    try:
        report = cluster().run_batch(items, job, args.ray, progress) if args.ray else run_local(items, job, progress)
    except KeyboardInterrupt:
        progress.close()
        print(
            f"stopped: {progress.dreamed} dreamed, {progress.failed} failed; run the same command again to "
            f"dream the rest (finished images are kept)",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    progress.close()
    for outcome in report.failed:
        print(f"failed: {outcome.item.source}: {outcome.error}", file=sys.stderr)
    skipped = f", {report.skipped} already done" if report.skipped else ""
    print(f"{report.dreamed} dreamed, {len(report.failed)} failed{skipped} (of {report.total}) -> {outdir}")
    return report.exit_code


class BatchBar:
    """One progress bar for a batch: images done and failed, and tqdm's time left."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None  # a tqdm bar once the batch knows its size
        self.dreamed = self.failed = 0

    def start(self, total: int, skipped: int) -> None:
        from tqdm import tqdm

        if skipped:
            print(f"{skipped} of {total} already dreamed with these settings; skipping them", file=sys.stderr)
        self.bar = tqdm(total=total - skipped, unit="image", disable=self.quiet, file=sys.stderr)
        self.bar.set_postfix(done=0, failed=0)

    def finished(self, outcome: Outcome) -> None:
        if outcome.error is None:
            self.dreamed += 1
        else:
            self.failed += 1
            self.note(f"failed: {outcome.item.source}: {outcome.error}")
        for notice in outcome.notices:
            self.note(f"note: {outcome.item.source}: {notice}")
        self.bar.set_postfix(done=self.dreamed, failed=self.failed)
        self.bar.update(1)

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
