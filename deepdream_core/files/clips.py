"""Reading and writing clips: decode a user's video within caps, encode H.264 MP4 (with the source's audio) and GIF.

PyAV does the work: its wheel ships FFmpeg with libx264, so nothing is installed or downloaded at run time.
FFmpeg can open far more than videos (playlists that fetch other files, images, raw streams), so a file is
sniffed first and opened with the one demuxer its magic bytes name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

from ..dreaming.images import MAX_PIXELS, MIN_SIDE, ImageInputError, fit_long_side, no_such_file

MAX_VIDEO_BYTES = 200 * 1024 * 1024
VIDEO_SUFFIXES = (".mp4", ".gif")
_FORMAT_HINT = "upload an MP4, MOV, WebM, MKV, AVI or GIF clip"
# Audio codecs an MP4 file holds as they are; anything else (PCM from a .mov, Vorbis from a .webm) is re-encoded to AAC.
_MP4_AUDIO = ("aac", "mp3", "opus", "alac", "flac", "ac3", "eac3")


class VideoInputError(ImageInputError):
    """The file is not a clip we can dream on; the message says why and what to do.

    A kind of :class:`ImageInputError`, so every entry point that reports bad uploads reports this one too.
    """


@dataclass(frozen=True)
class Clip:
    """A user's clip, decoded and ready to dream on, and what was changed on the way in."""

    path: Path
    frames: tuple[Image.Image, ...]  # upright RGB, no larger than the max_side asked for
    fps: Fraction
    has_audio: bool
    notices: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return len(self.frames) / float(self.fps)


def read_clip(path: str | os.PathLike, max_frames: int, max_side: int) -> Clip:
    """Decode up to ``max_frames`` frames, downscaled to ``max_side``; notices say what was cut.

    Raises :class:`VideoInputError` with a message for the user when the file cannot be used.
    """
    if not Path(path).is_file():
        raise VideoInputError(no_such_file(path))
    path = Path(path)
    demuxer = _sniff(path)
    try:
        with av.open(str(path), format=demuxer, options={"protocol_whitelist": "file"}) as container:
            if not container.streams.video:
                raise VideoInputError(f"the file has no video stream (only audio or data); {_FORMAT_HINT}")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > MAX_PIXELS:
                raise VideoInputError(
                    f"the video is {width}x{height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels per frame. Scale it down and try again"
                )
            fps = stream.average_rate or stream.guessed_rate or Fraction(25)
            frames, more = _decode(container, stream, max_frames, max_side)
            has_audio = bool(container.streams.audio)
            duration = container.duration / av.time_base if container.duration else None
    except av.error.FFmpegError as err:
        raise VideoInputError(
            f"the video is damaged or cannot be decoded ({err.strerror}); re-save it as MP4 and try again"
        ) from None
    if not frames:
        raise VideoInputError(f"the video holds no frames we can decode; {_FORMAT_HINT}")
    notices = []
    if more:
        whole = f" of {duration:.1f} s" if duration else ""
        notices.append(
            f"the clip is longer than {max_frames} frames; only the first {len(frames)} frames "
            f"({len(frames) / float(fps):.1f} s{whole}) are dreamed"
        )
    original = frames[0][1]
    if original != frames[0][0].size:
        notices.append(
            f"the video is {original[0]}x{original[1]} pixels; it was scaled down to "
            f"{frames[0][0].width}x{frames[0][0].height} (the maximum working size is {max_side})"
        )
    return Clip(path, tuple(image for image, _ in frames), Fraction(fps), has_audio, tuple(notices))


def _sniff(path: Path) -> str:
    """The FFmpeg demuxer for this file, from its first bytes; anything else is refused with what it is."""
    size = path.stat().st_size
    if size == 0:
        raise VideoInputError(f"the file is empty (0 bytes); {_FORMAT_HINT}")
    if size > MAX_VIDEO_BYTES:
        raise VideoInputError(
            f"the file is {size / 2**20:.0f} MB; the limit is {MAX_VIDEO_BYTES // 2**20} MB. Trim or compress the clip"
        )
    with path.open("rb") as file:
        head = file.read(64)
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mov"  # MP4, MOV, M4V, 3GP
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # MKV, WebM
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff")):
        raise VideoInputError("this is a still image, not a video; dream it as a photo, or " + _FORMAT_HINT)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        raise VideoInputError(f"this is not a video format we read; {_FORMAT_HINT}") from None
    raise VideoInputError(f"this is a text file, not a video; {_FORMAT_HINT}")


def _decode(
    container: av.container.InputContainer, stream: av.VideoStream, max_frames: int, max_side: int
) -> tuple[list[tuple[Image.Image, tuple[int, int]]], bool]:
    """Frames (each with its size before downscaling), and whether the clip goes on past ``max_frames``."""
    frames: list[tuple[Image.Image, tuple[int, int]]] = []
    for frame in container.decode(stream):
        if len(frames) == max_frames:
            return frames, True
        image = frame.to_image()
        # Phones store portrait clips sideways with a rotation tag, which players (and we) apply.
        if frame.rotation:
            image = image.rotate(frame.rotation, expand=True)
        original = image.size
        if min(original) < MIN_SIDE:
            raise VideoInputError(
                f"the video is {original[0]}x{original[1]} pixels; DeepDream needs at least "
                f"{MIN_SIDE} pixels on each side"
            )
        frames.append((fit_long_side(image, max_side, reducing_gap=3.0), original))
    return frames, False


def write_video(
    frames: Sequence[Image.Image],
    path: str | os.PathLike,
    fps: float | Fraction,
    audio_from: Clip | None = None,
    comment: str | None = None,
) -> Path:
    """Write ``frames`` as MP4 or GIF, chosen by the suffix (see :data:`VIDEO_SUFFIXES`); returns the path.

    ``comment`` (ASCII text, e.g. a dream's settings record) goes into the file's metadata.
    """
    path = Path(path)
    if path.suffix.lower() == ".gif":
        write_gif(frames, path, fps, comment)
    elif path.suffix.lower() == ".mp4":
        write_mp4(frames, path, fps, audio_from, comment)
    else:
        raise ValueError(f"{path}: write .mp4 or .gif")
    return path


def write_mp4(
    frames: Sequence[Image.Image],
    path: str | os.PathLike,
    fps: float | Fraction,
    audio_from: Clip | None = None,
    comment: str | None = None,
) -> None:
    """H.264 in yuv420p, which every browser and phone plays; odd sizes lose their last row or column.

    With ``audio_from``, the clip's first audio track is copied in, cut to the frames' length;
    ``comment`` becomes the file's ``comment`` tag.
    """
    rate = Fraction(fps).limit_denominator(1001)
    width, height = frames[0].width // 2 * 2, frames[0].height // 2 * 2  # yuv420p halves both sides
    with av.open(str(path), "w", format="mp4") as out:
        if comment is not None:
            out.metadata["comment"] = comment
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        # Dreams are all fine detail; x264's default quality (crf 23) smears it.
        video.options = {"crf": "18"}
        source = av.open(str(audio_from.path)) if audio_from is not None and audio_from.has_audio else None
        try:
            audio = _audio_stream(out, source) if source is not None else None
            for image in frames:
                frame = av.VideoFrame.from_image(image.convert("RGB").crop((0, 0, width, height)))
                out.mux(video.encode(frame))
            out.mux(video.encode())
            if source is not None and audio is not None:
                _copy_audio(source, out, audio, seconds=len(frames) / rate)
        finally:
            if source is not None:
                source.close()


def _audio_stream(out: av.container.OutputContainer, source: av.container.InputContainer) -> av.AudioStream:
    """An output track like the source's: the same codec when MP4 can hold it, AAC otherwise."""
    track = source.streams.audio[0]
    if track.codec_context.name in _MP4_AUDIO:
        return out.add_stream_from_template(track)
    # A WAV-style "2 channels" layout has no channel order, which the AAC encoder refuses; name the usual one.
    channels = len(track.layout.channels)
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    return out.add_stream("aac", rate=track.codec_context.sample_rate, layout=layout, format="fltp")


def _copy_audio(
    source: av.container.InputContainer, out: av.container.OutputContainer, audio: av.AudioStream, seconds: Fraction
) -> None:
    """Copy (or re-encode) the source's first audio track up to ``seconds`` from its start."""
    track = source.streams.audio[0]
    start = track.start_time or 0
    copy = audio.codec_context.name == track.codec_context.name
    for packet in source.demux(track):
        if packet.pts is None:  # the demuxer's end-of-stream marker
            continue
        if (packet.pts - start) * packet.time_base >= seconds:  # a demuxed packet keeps its track's time base
            break
        if copy:
            packet.stream = audio
            out.mux(packet)
        else:
            for frame in packet.decode():
                out.mux(audio.encode(frame))
    if not copy:
        out.mux(audio.encode())


def write_gif(
    frames: Sequence[Image.Image], path: str | os.PathLike, fps: float | Fraction, comment: str | None = None
) -> None:
    """An animated GIF that loops forever (GIF times frames in hundredths of a second); ``comment`` in its
    comment extension."""
    duration = round(1000 / float(fps))
    first, *rest = [image.convert("RGB") for image in frames]
    extra = {"comment": comment.encode("ascii")} if comment is not None else {}
    first.save(
        path, format="GIF", save_all=True, append_images=rest, duration=duration, loop=0, optimize=False, **extra
    )
