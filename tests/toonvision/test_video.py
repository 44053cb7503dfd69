"""Video I/O through PyAV: real H.264 files written, probed, decoded, truncated and refused (no Django)."""

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from toonvision.video import DecodedFrame, VideoError, VideoInfo, VideoWriter, decode_frames, probe_video

W, H, FPS, N = 160, 96, 24, 60


def scene(i: int) -> np.ndarray:
    """A frame whose content says its index: a gradient, a moving coloured disc and a bar of height i."""
    img = np.empty((H, W, 3), np.uint8)
    img[:] = np.linspace(40, 200, W, dtype=np.uint8)[None, :, None]
    cv2.circle(img, (10 + 2 * i, H // 2), 14, (40, 60, 220), -1, cv2.LINE_AA)
    cv2.rectangle(img, (W - 12, 0), (W - 4, i), (255, 255, 255), -1)
    return img


def bar_height(gray: np.ndarray) -> int:
    """Recover i from scene(i)'s white bar."""
    return int((gray[:, W - 8] > 220).sum())


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    with VideoWriter(path, width=W, height=H, fps=FPS) as writer:
        for i in range(N):
            writer.write(scene(i))
    return path


def test_probe_reports_what_was_written(clip):
    info = probe_video(clip)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height, info.frame_count, info.codec) == (W, H, N, "h264")
    assert info.container == "mov,mp4,m4a,3gp,3g2,mj2"  # FFmpeg's demuxer, whatever the file is called
    assert info.fps == pytest.approx(FPS)
    assert info.duration == pytest.approx(N / FPS, abs=1.5 / FPS)
    assert info.path == str(clip)


def test_the_file_is_h264_yuv420p_with_its_index_first(clip):
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    head = clip.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_decoding_everything_gives_every_frame_in_order(clip):
    frames = list(decode_frames(clip))
    assert [f.index for f in frames] == list(range(N))
    assert all(isinstance(f, DecodedFrame) for f in frames)
    assert frames[12].time == pytest.approx(12 / FPS)
    for f in frames[::7]:
        gray, bgr = f.gray(), f.bgr()
        assert gray.shape == (H, W) and gray.dtype == np.uint8
        assert bgr.shape == (H, W, 3) and bgr.dtype == np.uint8
        assert abs(bar_height(gray) - f.index) <= 1
        assert np.abs(bgr.astype(int) - scene(f.index)).mean() < 3


def test_gray_is_full_range_luma(clip):
    frame = next(iter(decode_frames(clip, start=30, stop=31)))
    gray = frame.gray()
    reference = cv2.cvtColor(frame.bgr(), cv2.COLOR_BGR2GRAY).astype(int)
    difference = np.abs(gray.astype(int) - reference)
    assert difference.mean() < 1.5 and np.percentile(difference, 99) <= 4
    assert gray[:, W - 8].max() >= 250  # white stays white: limited range was expanded
    original = cv2.cvtColor(scene(30), cv2.COLOR_BGR2GRAY).astype(int)
    assert np.abs(gray.astype(int) - original).mean() < 3


@pytest.mark.parametrize("start,stop", [(0, 5), (17, 23), (49, 60), (55, None), (10, 10)])
def test_a_frame_range_gives_exactly_those_frames(clip, start, stop):
    frames = list(decode_frames(clip, start=start, stop=stop))
    assert [f.index for f in frames] == list(range(start, N if stop is None else stop))
    for f in frames:
        assert abs(bar_height(f.gray()) - f.index) <= 1  # the pixels are that frame's, not the keyframe's


def remux(clip: Path, out: Path, fmt: str) -> Path:
    """The clip's H.264 packets in another container (or none: a bare Annex B stream), as uploads come."""
    with av.open(str(clip)) as source, av.open(str(out), "w", format=fmt) as target:
        stream = source.streams.video[0]
        copy = target.add_stream_from_template(stream)
        annexb = av.BitStreamFilterContext("h264_mp4toannexb", stream) if fmt == "h264" else None
        for packet in source.demux(stream):
            if packet.dts is None:
                continue
            for part in annexb.filter(packet) if annexb else [packet]:
                part.stream = copy
                target.mux(part)
    return out


@pytest.mark.parametrize("fmt,suffix,demuxer", [("matroska", "mkv", "matroska,webm"), ("mpegts", "ts", "mpegts"),
                                                ("h264", "h264", "h264")])
def test_other_containers_and_bare_streams_decode_by_range(clip, tmp_path, fmt, suffix, demuxer):
    path = remux(clip, tmp_path / f"clip.{suffix}", fmt)
    info = probe_video(path)
    assert info.frame_count == N and info.container == demuxer
    assert [f.index for f in decode_frames(path)] == list(range(N))
    for start in (1, 30, 55):  # MPEG-TS seeks land late and bare streams cannot seek: both must still work
        frames = list(decode_frames(path, start=start, stop=start + 3))
        assert [f.index for f in frames] == [start, start + 1, start + 2]
        assert all(abs(bar_height(f.gray()) - f.index) <= 1 for f in frames)


def test_a_bad_range_is_refused(clip):
    with pytest.raises(ValueError, match="range"):
        decode_frames(clip, start=5, stop=2)


def test_the_writer_replaces_the_file_only_on_a_clean_close(tmp_path):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with VideoWriter(path, width=W, height=H, fps=FPS) as writer:
            writer.write(scene(0))
            raise RuntimeError("the renderer failed")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # no temporary left behind
    with VideoWriter(path, width=W, height=H, fps=FPS) as writer:
        writer.write(scene(0))
    assert probe_video(path).frame_count == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_the_writer_refuses_bad_frames_and_sizes(tmp_path):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", width=W + 1, height=H, fps=FPS)
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "zero.mp4", width=W, height=H, fps=0)
    with pytest.raises(ValueError, match=r"\(96, 160, 3\) uint8"):
        with VideoWriter(tmp_path / "bad.mp4", width=W, height=H, fps=FPS) as writer:
            writer.write(np.zeros((H, W), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_ntsc_rates_are_exact(tmp_path):
    path = tmp_path / "ntsc.mp4"
    with VideoWriter(path, width=W, height=H, fps=29.97) as writer:
        for i in range(10):
            writer.write(scene(i))
    info = probe_video(path)
    assert info.fps == pytest.approx(30000 / 1001, abs=1e-6)
    assert [f.index for f in decode_frames(path)] == list(range(10))


# -- files that are not (whole) videos --------------------------------------------------------------
@pytest.fixture
def truncated(clip, tmp_path) -> Path:
    data = clip.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def test_probe_refuses_a_truncated_video(truncated):
    with pytest.raises(VideoError, match="truncated video"):
        probe_video(truncated)


def test_decoding_a_truncated_video_to_the_end_fails_clearly(truncated):
    with pytest.raises(VideoError, match=rf"truncated video: decoded \d+ of {N} frames"):
        for _ in decode_frames(truncated):
            pass
    assert [f.index for f in decode_frames(truncated, stop=5)] == list(range(5))  # its start is still there


def test_probe_refuses_text_empty_missing_and_still_images(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("these are not the frames you are looking for\n" * 20)
    empty = tmp_path / "empty.mp4"
    empty.touch()
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), scene(3))
    for path, message in [
        (text, "not a video: .*notes.mp4"),
        (empty, "empty file: .*empty.mp4"),
        (tmp_path / "missing.mp4", "no such file"),
        (image, "still image"),
    ]:
        with pytest.raises(VideoError, match=message):
            probe_video(path)
        with pytest.raises(VideoError, match=message):
            decode_frames(path)


def test_video_errors_are_value_errors():
    assert issubclass(VideoError, ValueError)  # so commands turn them into a clean message


def test_frames_not_needed_are_left_undecoded_where_nothing_refers_to_them(clip):
    everything = {f.index: f.gray() for f in decode_frames(clip)}
    needed = list(decode_frames(clip, threads=1, needed=lambda i: i % 4 == 0))
    indexes = [f.index for f in needed]
    assert set(range(0, N, 4)) <= set(indexes)  # every frame asked for, with its own pixels
    assert len(indexes) < N and indexes == sorted(indexes)  # x264's non-reference B-frames were dropped
    for frame in needed:
        assert np.array_equal(frame.gray(), everything[frame.index])


def test_the_luma_read_in_place_matches_the_full_frames(clip):
    frame = next(iter(decode_frames(clip, start=20, stop=21)))
    gray = frame.gray()
    assert np.array_equal(frame.thumbnail(16), gray[8::16, 8::16])
    assert np.array_equal(frame.gray_shrunk(1.0), gray)
    region = frame.gray_shrunk(0.5, (40, 20, 120, 80))
    expected = cv2.resize(gray[20:80, 40:120], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert region.shape == expected.shape == (30, 40)
    assert np.abs(region.astype(int) - expected).max() <= 2  # shrunk, then brought to full range: rounding apart
