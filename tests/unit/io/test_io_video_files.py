"""Video files through PyAV: audio copied bit for bit, frame times kept (variable frame
rate), metadata and rotation, the codecs per suffix, and the same decoded frames as
OpenCV's reader."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from rppg_clips import write_ffv1

from privacycam.app.process import process_file
from privacycam.cli import main
from privacycam.errors import VideoOutputError
from privacycam.io.video_files import VideoFileSink, VideoFileSource
from privacycam.modes import parse_mode

W, H = 64, 48
VFR_TIMES_MS = [0, 40, 80, 200, 240, 250, 260, 500, 540, 580, 900, 940]  # gaps and bursts


def audio_packets(path: Path) -> list[tuple[bytes, float]]:
    """(payload, start time in seconds) of every audio packet."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        return [
            (bytes(p), float(p.pts * p.time_base))
            for p in container.demux(container.streams.audio[0])
            if p.size
        ]


def video_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(video=0)]


def vfr_clip_with_audio(path: Path, rotation: int = 0) -> list[np.ndarray]:
    """A clip whose frames come at irregular times, with an AAC tone; returns its frames."""
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in VFR_TIMES_MS]
    with av.open(str(path), "w") as out:
        out.metadata["title"] = "vfr test"
        video = out.add_stream("ffv1", rate=25)
        video.width, video.height, video.pix_fmt = W, H, "bgr0"
        video.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            video.set_display_rotation(rotation)
        audio = out.add_stream("aac", rate=48000)
        for image, ms in zip(frames, VFR_TIMES_MS):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype(np.float32)[None, :]
        for start in range(0, 48000, 1024):
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, start : start + 1024]), format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 48000, start
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))
    return frames


@pytest.mark.parametrize("name", ["out.mkv", "out.mp4"])
def test_vfr_clip_keeps_frame_times_audio_and_metadata(tmp_path: Path, name: str) -> None:
    clip = tmp_path / "in.mkv"
    frames = vfr_clip_with_audio(clip)
    with VideoFileSource(clip) as source:
        got = list(source)
    assert [round(f.timestamp * 1000) for f in got] == VFR_TIMES_MS
    assert all(np.array_equal(f.image, e) for f, e in zip(got, frames))
    out = tmp_path / name
    process_file(clip, out, parse_mode("off"), progress=False)
    assert [round(t * 1000) for t in video_times(out)] == VFR_TIMES_MS  # A/V sync: same times as the input
    assert audio_packets(out) == audio_packets(clip) and len(audio_packets(clip)) > 40
    with av.open(str(out)) as container:
        assert container.metadata.get("title") == "vfr test"


def test_shared_clip_audio_is_copied_bit_for_bit(shared_data: Path, tmp_path: Path) -> None:
    clip = shared_data / "clips" / "lp_d20.mp4"
    out = tmp_path / "out.mp4"
    result = process_file(clip, out, parse_mode("off"), progress=False)
    assert result.frames == 175
    original = audio_packets(clip)
    assert len(original) > 300 and audio_packets(out) == original
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_rotated_clip_is_read_upright_and_written_upright(tmp_path: Path) -> None:
    clip = tmp_path / "phone.mkv"
    frames = vfr_clip_with_audio(clip, rotation=90)
    with VideoFileSource(clip) as source:
        got = list(source)
    assert source.size == (H, W) and source.rotation == 90
    assert np.array_equal(got[0].image, np.rot90(frames[0]))  # 90 degrees counter-clockwise, as displayed
    out = tmp_path / "out.mkv"
    process_file(clip, out, parse_mode("off"), progress=False)
    with VideoFileSource(out) as written:
        assert written.rotation == 0 and np.array_equal(next(iter(written)).image, got[0].image)


@pytest.mark.parametrize(("name", "codec"), [("out.mp4", "h264"), ("out.webm", "vp9"), ("out.avi", "ffv1")])
def test_codec_per_suffix_and_crf(tmp_path: Path, name: str, codec: str) -> None:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 256, (H * 2, W * 2, 3), dtype=np.uint8), (9, 9), 3)
    frames = [np.roll(base, i, axis=1) for i in range(10)]
    sizes = {}
    for crf in ((None,) if codec == "ffv1" else (10, 40)):
        out = tmp_path / f"{crf}{name}"
        with VideoFileSink(out, 25.0, (W * 2, H * 2), crf=crf) as sink:
            for frame in frames:
                sink.write(frame)
        with VideoFileSource(out) as source:
            decoded = [f.image for f in source]
            assert source.fps == pytest.approx(25.0)
        with av.open(str(out)) as container:
            assert container.streams.video[0].codec_context.name == codec
        error = np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(decoded, frames)])
        assert len(decoded) == 10 and (error == 0 if codec == "ffv1" else error < 6)
        sizes[crf] = out.stat().st_size
    if codec != "ffv1":
        assert sizes[10] > 1.5 * sizes[40]
    else:
        with pytest.raises(VideoOutputError, match="lossless"):
            VideoFileSink(tmp_path / "x.avi", 25.0, (W, H), crf=20)


def test_webm_refuses_to_reencode_aac_audio_with_a_clear_error(tmp_path: Path) -> None:
    clip = tmp_path / "in.mkv"
    vfr_clip_with_audio(clip)
    with VideoFileSource(clip) as source, pytest.raises(VideoOutputError, match="aac.*.mkv holds any audio") as err:
        VideoFileSink(tmp_path / "out.webm", source.fps, source.size, like=source)
    assert "\n" not in str(err.value) and [p.name for p in tmp_path.iterdir()] == ["in.mkv"]


def test_decodes_the_same_frames_as_opencv(evm_clip: Path) -> None:
    """Outputs made before the move to PyAV stay reproducible: same pixels from the same file."""
    cap = cv2.VideoCapture(str(evm_clip))
    with VideoFileSource(evm_clip) as source:
        for frame in source:
            ok, image = cap.read()
            assert ok and np.array_equal(frame.image, image), f"frame {frame.index} differs"
    assert not cap.read()[0] and source.frames_read == 301


def test_process_crf_sets_the_quality_of_mp4_and_is_refused_for_lossless_outputs(tmp_path, capsys):
    clip = write_ffv1(tmp_path / "in.mkv", np.random.default_rng(0).integers(0, 255, (10, H, W, 3), dtype=np.uint8), 25.0)
    sizes = {}
    for crf in ("12", "40"):
        out = tmp_path / f"out{crf}.mp4"
        assert main(["process", str(clip), str(out), "--mode", "off", "--crf", crf, "--no-progress"]) == 0
        sizes[crf] = out.stat().st_size
    assert sizes["12"] > 2 * sizes["40"]
    capsys.readouterr()
    assert main(["process", str(clip), str(tmp_path / "out.mkv"), "--mode", "off", "--crf", "20", "--no-progress"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and "lossless" in errors[0] and not (tmp_path / "out.mkv").exists()
