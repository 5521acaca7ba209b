"""Video files through PyAV (FFmpeg): read frames with their timestamps; write them with
the input's timing, metadata, audio and subtitles copied untouched.

``.mkv``/``.avi`` are lossless FFV1, ``.mp4`` is H.264 (libx264, ``crf``), ``.webm`` is VP9
(libvpx-vp9, ``crf``). Files are written atomically (see :class:`VideoFileSink`).
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from privacycam.errors import VideoInputError, VideoOutputError
from privacycam.frames import Frame, as_bgr
from privacycam.io.frame_sink import FrameSink
from privacycam.io.frame_source import DEFAULT_FPS, FrameSource

# suffix -> (encoder, pixel format, default CRF or None when lossless)
CODECS: dict[str, tuple[str, str, int | None]] = {
    ".mkv": ("ffv1", "bgr0", None),
    ".avi": ("ffv1", "bgr0", None),
    ".mp4": ("libx264", "yuv420p", 18),
    ".webm": ("libvpx-vp9", "yuv420p", 24),
}
COPIED_STREAM_TYPES = ("audio", "subtitle")
_DROPPED_METADATA = ("encoder", "duration")

_CONTAINER_SIGNATURES = (
    (lambda head: head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide"), "an MP4/MOV file"),
    (lambda head: head[:4] == b"\x1a\x45\xdf\xa3", "a Matroska/WebM file"),
    (lambda head: head[:4] == b"RIFF" and head[8:12] == b"AVI ", "an AVI file"),
)


# --------------------------------------------------------------------------- reading


class VideoFileSource(FrameSource):
    """The frames of a video file's first video stream, timestamped from the file's own
    presentation times (variable frame rate kept); iterate once.

    Frames are turned upright when the file carries a display rotation (phone videos).
    Opening checks the file and decodes its first frame, so a missing, unreadable,
    non-video, corrupt or frame-less file fails right away with a one-line
    :class:`VideoInputError`. A file that stops decoding early (truncated) does not
    raise: iteration yields what decodes and ``problems`` says how many frames were lost.
    ``pts`` holds each yielded frame's presentation time in ``time_base`` units.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.problems: list[str] = []
        self.frames_read = 0
        self.pts: list[int] = []
        self._container = _open_container(self.path)
        self._closed = False
        self._lock = threading.Lock()  # close() may come from another thread mid-decode
        try:
            stream = self._container.streams.video[0]
        except IndexError:
            self._container.close()
            raise VideoInputError(f"{self.path} has no video stream (audio only?)") from None
        stream.thread_type = "AUTO"
        self.stream_index = stream.index
        self.time_base: Fraction = stream.time_base or Fraction(1, 90000)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else math.nan
        if not (math.isfinite(fps) and fps > 0):
            self.problems.append(f"{self.path.name}: frame rate unknown, assuming {DEFAULT_FPS:g} fps")
            fps = DEFAULT_FPS
        self._fps = fps
        self.frame_count = stream.frames or _frames_from_duration(self._container, stream, fps)  # as declared
        self.rotation = 0
        self._frames = self._decode(stream)
        first = next(self._frames, None)
        if first is None:
            self._container.close()
            raise VideoInputError(f"{self.path}: the video contains no decodable frames")
        self._first: Frame | None = first
        self._size = (first.image.shape[1], first.image.shape[0])

    @property
    def frames_missing(self) -> int:
        """Frames the container declares but that could not be decoded (after iteration)."""
        return max(0, self.frame_count - self.frames_read)

    def __iter__(self) -> Iterator[Frame]:
        frame, self._first = self._first, None
        while frame is not None and not self._closed:
            yield frame
            self.frames_read += 1
            with self._lock:
                frame = None if self._closed else next(self._frames, None)
        if not self._closed and self.frames_missing:
            self.problems.append(
                f"{self.path.name}: {self.frames_missing} of {self.frame_count} frames could not be "
                f"decoded (truncated or corrupt file); kept the first {self.frames_read}"
            )

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._frames.close()
                self._container.close()

    def _decode(self, stream: av.video.stream.VideoStream) -> Iterator[Frame]:
        """Decoded frames until the end or the first undecodable packet."""
        start: int | None = None
        index = 0
        try:
            for packet in self._container.demux(stream):
                for decoded in packet.decode():
                    pts = decoded.pts if decoded.pts is not None else (self.pts[-1] + 1 if self.pts else 0)
                    if self.pts and pts <= self.pts[-1]:
                        pts = self.pts[-1] + 1  # keep presentation times increasing
                    start = pts if start is None else start
                    self.pts.append(pts)
                    self.rotation = decoded.rotation
                    image = decoded.to_ndarray(format="bgr24")
                    if self.rotation % 360:
                        image = np.ascontiguousarray(np.rot90(image, k=round(self.rotation / 90)))
                    yield Frame(as_bgr(image), index, float((pts - start) * self.time_base))
                    index += 1
        except (av.error.FFmpegError, ValueError):
            return  # truncated or corrupt from here on: __iter__ reports the missing frames
        except av.error.ExitError:
            return


def _frames_from_duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream, fps: float) -> int:
    if stream.duration:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / av.time_base
    else:
        return 0
    return max(0, int(seconds * fps + 0.5))


def _open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` with FFmpeg or raise a VideoInputError that says what is wrong."""
    if not path.exists():
        raise VideoInputError(f"video file not found: {path}")
    if path.is_dir():
        raise VideoInputError(f"{path} is a directory, not a video file")
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError as err:
        raise VideoInputError(f"cannot read {path}: {err.strerror}") from err
    if not head:
        raise VideoInputError(f"{path} is empty (0 bytes)")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError):
        pass
    kind = next((name for matches, name in _CONTAINER_SIGNATURES if matches(head)), None)
    if kind:
        raise VideoInputError(
            f"{path} looks like {kind} but cannot be decoded: it is truncated "
            "(e.g. a recording that was interrupted), corrupt, or has no frames"
        )
    raise VideoInputError(f"{path} is not a video file that FFmpeg can read")


# --------------------------------------------------------------------------- writing


class VideoFileSink(FrameSink):
    """Writes a video file atomically: ``path`` never holds a half-written video.

    The rule:

    * frames go to a hidden temporary file beside ``path``;
    * ``close()`` (the ``with`` block ending normally) finalises it and renames it to
      ``path`` in one step, replacing any older file there;
    * ``abort()`` (any exception inside the ``with`` block, Ctrl-C included) finalises
      the frames written so far as ``<stem>.partial<ext>`` (a playable file) and leaves
      ``path`` untouched; nothing is kept when no frame was written.

    ``.mkv``/``.avi`` are lossless FFV1 (frames read back bit-exact); ``.mp4`` is H.264 and
    ``.webm`` VP9, both at constant quality ``crf`` (default 18 and 24). With ``like`` (the
    source being filtered) frame ``i`` keeps the source's presentation time, and the
    source's audio and subtitle streams (copied packet for packet, never re-encoded) and
    metadata go into the output. ``protect`` (the input video) is never overwritten.
    Frames of another size are resized to ``size`` and counted in ``resized``. ``result``
    is the file that was finally written (``None`` before close or when nothing was kept).
    The same frames give the same bytes (no random file IDs), so outputs can be hashed.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        size: tuple[int, int],
        protect: str | Path | None = None,
        *,
        like: VideoFileSource | None = None,
        crf: int | None = None,
    ) -> None:
        self.path = Path(path)
        spec = CODECS.get(self.path.suffix.lower())
        if spec is None:
            raise VideoOutputError(
                f"cannot write {self.path.name}: use .mkv or .avi (lossless FFV1), .mp4 (H.264) or .webm (VP9)"
            )
        if protect is not None and _same_file(self.path, Path(protect)):
            raise VideoOutputError(f"refusing to overwrite the input video {protect}; choose another output path")
        if not self.path.parent.is_dir():
            raise VideoOutputError(f"output folder does not exist: {self.path.parent}")
        if self.path.is_dir():
            raise VideoOutputError(f"output path is a folder: {self.path}")
        codec, pix_fmt, default_crf = spec
        if default_crf is None and crf is not None:
            raise VideoOutputError(f"{self.path.name}: --crf applies to .mp4/.webm; .mkv/.avi are lossless")
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.frames_written = 0
        self.result: Path | None = None
        self._like = like
        try:
            handle, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".tmp{self.path.suffix}", dir=self.path.parent)
        except OSError as err:
            raise VideoOutputError(f"cannot write to {self.path.parent}: {err.strerror}") from err
        os.close(handle)
        os.chmod(tmp, _new_file_mode())  # mkstemp makes 0600; the output is an ordinary file
        self._tmp = Path(tmp)
        self._container: av.container.OutputContainer | None = None
        self._copier: _StreamCopier | None = None
        try:
            self._open(codec, pix_fmt, crf if crf is not None else default_crf)
        except Exception:
            self._discard()
            raise

    def _open(self, codec: str, pix_fmt: str, crf: int | None) -> None:
        width, height = self.size
        if pix_fmt == "yuv420p" and (width % 2 or height % 2):
            pix_fmt = "yuv444p"  # 4:2:0 needs even sizes
        container = av.open(str(self._tmp), "w", options={"fflags": "+bitexact"})  # same frames, same bytes
        self._container = container
        options = {} if crf is None else {"crf": str(int(crf))}
        if codec == "libvpx-vp9":
            options.update({"b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "4"})
        stream = container.add_stream(codec, rate=_rate(self.fps), options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.thread_type = "AUTO"
        self._time_base = self._like.time_base if self._like is not None else 1 / _rate(self.fps)
        stream.codec_context.time_base = self._time_base
        self._stream = stream
        try:
            if self._like is not None:
                self._copier = _StreamCopier(self._like.path, container)
                stream.metadata.update(_kept(self._copier.video_metadata))
            container.start_encoding()
        except (av.error.FFmpegError, ValueError) as err:
            raise VideoOutputError(
                f"cannot write {self.path.name}: {err}; .mkv holds any audio untouched, .mp4 holds AAC/MP3, "
                ".webm only Opus/Vorbis"
            ) from err

    @property
    def partial_path(self) -> Path:
        """Where an aborted recording is kept: ``<stem>.partial<ext>``."""
        return partial_path(self.path)

    def write(self, image: np.ndarray) -> None:
        if self._container is None:
            raise VideoOutputError(f"{self.path.name}: write after close")
        frame = av.VideoFrame.from_ndarray(self._fit(image, self.size), format="bgr24")
        frame.pts = self._pts(self.frames_written)
        frame.time_base = self._time_base
        self._mux(self._stream.encode(frame))
        self.frames_written += 1

    def close(self) -> None:
        self._finish(self.path)

    def abort(self) -> None:
        self._finish(self.partial_path if self.frames_written else None)

    def _pts(self, index: int) -> int:
        if self._like is not None and index < len(self._like.pts):
            return self._like.pts[index]
        return index if self._like is None else self._like.pts[-1] + index - len(self._like.pts) + 1

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            if self._copier is not None and packet.pts is not None:
                self._copier.copy_until(float(packet.pts * self._time_base))
            self._container.mux(packet)

    def _finish(self, target: Path | None) -> None:
        if self._container is None:
            return
        try:
            if target is not None:
                self._mux(self._stream.encode(None))
                if self._copier is not None:
                    last = self._pts(self.frames_written) if target == self.path else self._pts(self.frames_written - 1)
                    self._copier.copy_until(math.inf if target == self.path else float(last * self._time_base))
        finally:
            self._discard(keep=target is not None)
        if target is not None:
            os.replace(self._tmp, target)
            self.result = target

    def _discard(self, keep: bool = False) -> None:
        if self._copier is not None:
            self._copier.close()
            self._copier = None
        if self._container is not None:
            self._container.close()
            self._container = None
        if not keep:
            self._tmp.unlink(missing_ok=True)


class _StreamCopier:
    """Copies the audio and subtitle packets of ``source`` into ``output``, in time order,
    as the video written there advances."""

    def __init__(self, source: Path, output: av.container.OutputContainer) -> None:
        self._input = av.open(str(source))
        self.video_metadata = dict(self._input.streams.video[0].metadata) if self._input.streams.video else {}
        output.metadata.update(_kept(self._input.metadata))
        streams = [s for s in self._input.streams if s.type in COPIED_STREAM_TYPES]
        self.codecs = [s.codec_context.name for s in streams]
        self._map = {}
        for stream in streams:
            copy = output.add_stream_from_template(stream)
            copy.metadata.update(_kept(stream.metadata))
            self._map[stream.index] = copy
        self._packets = self._input.demux(streams) if streams else iter(())
        self._pending: av.Packet | None = None
        self._output = output

    def copy_until(self, seconds: float) -> None:
        """Mux every packet that starts before ``seconds``."""
        while True:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                return
            if packet.dts is None and packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            start = packet.dts if packet.dts is not None else packet.pts
            if float(start * packet.time_base) >= seconds:
                self._pending = packet
                return
            packet.stream = self._map[packet.stream_index]
            self._output.mux(packet)

    def close(self) -> None:
        self._input.close()


def partial_path(path: Path) -> Path:
    """Where a :class:`VideoFileSink` for ``path`` keeps an aborted recording: ``<stem>.partial<ext>``."""
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def temporaries(path: Path) -> list[Path]:
    """Hidden temporary files a :class:`VideoFileSink` for ``path`` left behind (its
    process was killed before it could finish or clean up)."""
    return sorted(path.parent.glob(f".{path.stem}.*.tmp{path.suffix}"))


def _kept(metadata: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in metadata.items() if k.lower() not in _DROPPED_METADATA}


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(100_000)


def _new_file_mode() -> int:
    """The mode a new file gets under the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()
