"""Reading and writing videos through PyAV (FFmpeg): probe, decode frame ranges, write H.264 MP4s.

Every problem with a file the user gave us (missing, empty, not a video, corrupt, truncated) is a
VideoError with a message that says which; FFmpeg's own exceptions never escape.

    info = probe_video("episode.mp4")                     # VideoInfo(fps=24.0, width=854, ...)
    for frame in decode_frames("episode.mp4", start=48, stop=96):
        luma = frame.gray()                               # (H, W) uint8, full range, no colour conversion
    with VideoWriter("out.mp4", width=854, height=480, fps=24) as writer:
        writer.write(bgr)                                 # (480, 854, 3) uint8
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

# FFmpeg's AVColorRange values.
_RANGE_JPEG = 2
# Planar/semi-planar formats whose first plane is 8-bit luma, readable straight from the buffer.
_LUMA_FIRST = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
_FULL_RANGE_FORMATS = {"yuvj420p", "yuvj422p", "yuvj444p", "gray"}
# Limited ("MPEG", 16..235) luma to full range (0..255).
_LIMITED_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255.0 / 219.0), 0, 255).astype(np.uint8)
# The containers a video may come in, as FFmpeg demuxer names: MP4/MOV ("mov" covers mp4, m4a, 3gp, mj2),
# Matroska/WebM, AVI, MPEG-TS and bare H.264/HEVC streams. No other demuxer is ever opened, so those that open
# other files or URLs (hls, concat, image2 sequences, ...) are unreachable from a file; the only protocol is
# the local file itself.
VIDEO_DEMUXERS = ("mov", "matroska", "avi", "mpegts", "h264", "hevc")
_OPEN_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": ",".join(VIDEO_DEMUXERS)}
# Still pictures, told apart for a clearer refusal, by demuxers that read the one file they are given.
_STILL_OPTIONS = {"protocol_whitelist": "file",
                  "format_whitelist": "png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe,gif,apng"}
# Video codecs accepted (FFmpeg decoder names): what cameras, editors and encoders write for episodes.
VIDEO_CODECS = frozenset({
    "h264", "hevc", "av1", "libdav1d", "libaom-av1", "vp8", "vp9", "libvpx", "libvpx-vp9", "mpeg4", "msmpeg4",
    "msmpeg4v2", "msmpeg4v3", "mpeg1video", "mpeg2video", "mjpeg", "prores", "dnxhd", "ffv1", "theora", "h263",
    "wmv2", "wmv3", "vc1", "huffyuv", "utvideo", "cinepak",
})


class VideoError(ValueError):
    """A file that is missing, empty, not a video, undecodable or truncated; the message says which."""


class VideoOverLimits(VideoError):
    """A real video that is larger (picture, length, frames) or smaller than a site accepts."""


@dataclass(frozen=True)
class VideoLimits:
    """What a site accepts, checked from the stream's header before a frame is decoded (None: no limit)."""

    max_pixels: int | None = None  # width x height
    max_seconds: float | None = None
    max_frames: int | None = None
    min_side: int = 1  # pixels, the shorter side

    def check(self, info: VideoInfo, name) -> None:
        """Raise VideoOverLimits saying which limit `info` is past, and the limit."""
        size = f"{info.width}x{info.height}"
        if self.max_pixels and info.width * info.height > self.max_pixels:
            raise VideoOverLimits(f"{name} is {size} ({info.width * info.height / 1e6:.1f} megapixels); the largest "
                                  f"picture accepted is {self.max_pixels / 1e6:.1f} megapixels")
        if min(info.width, info.height) < self.min_side:
            raise VideoOverLimits(f"{name} is {size}: too small to find faces in; the shorter side must be at "
                                  f"least {self.min_side} pixels")
        if self.max_seconds and info.duration > self.max_seconds:
            raise VideoOverLimits(f"{name} lasts {info.duration / 60:.1f} minutes; the longest episode accepted "
                                  f"lasts {self.max_seconds / 60:.0f} minutes")
        if self.max_frames and info.frame_count > self.max_frames:
            raise VideoOverLimits(f"{name} has {info.frame_count} frames; an episode may have at most "
                                  f"{self.max_frames}")


@dataclass(frozen=True)
class VideoInfo:
    """What probe_video learned about a file's first video stream."""

    path: str
    fps: float
    width: int
    height: int
    frame_count: int
    duration: float  # seconds
    codec: str  # FFmpeg's decoder name, e.g. "h264"
    container: str = ""  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"


@dataclass
class DecodedFrame:
    """One decoded frame; pixels are converted only when asked for, so skipping a frame costs nothing."""

    index: int
    time: float  # seconds from the first frame
    frame: av.VideoFrame = field(repr=False, compare=False)

    def gray(self) -> np.ndarray:
        """(H, W) uint8 full-range luma; taken straight from the Y plane when the format has one."""
        luma, limited = self._luma()
        return cv2.LUT(luma, _LIMITED_TO_FULL) if limited else luma.copy()

    def gray_shrunk(self, scale: float, region: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The full-range luma of `region` (x0, y0, x1, y1; default the whole frame) shrunk by `scale` (INTER_AREA;
        1.0 leaves it): read in place from the Y plane and brought to full range after shrinking, so a frame
        that is only searched is never copied or converted at full size."""
        luma, limited = self._luma()
        if region is not None:
            x0, y0, x1, y1 = region
            luma = luma[y0:y1, x0:x1]
        if scale < 1.0:
            luma = cv2.resize(luma, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        elif not limited:
            luma = luma.copy()  # the frame's own buffer is never handed out
        return cv2.LUT(luma, _LIMITED_TO_FULL) if limited else luma

    def thumbnail(self, step: int = 16) -> np.ndarray:
        """Every `step`-th pixel of the full-range luma from (step/2, step/2): what a shot cut is told from."""
        luma, limited = self._luma()
        thumb = luma[step // 2 :: step, step // 2 :: step]
        return _LIMITED_TO_FULL[thumb] if limited else thumb.copy()

    def _luma(self) -> tuple[np.ndarray, bool]:
        """The frame's luma as a view of its Y plane (no copy) and whether it is limited range; from BGR for a
        format without a Y plane."""
        frame = self.frame
        fmt = frame.format.name
        if fmt not in _LUMA_FIRST:
            return cv2.cvtColor(self.bgr(), cv2.COLOR_BGR2GRAY), False
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
        return luma, not (fmt in _FULL_RANGE_FORMATS or frame.color_range == _RANGE_JPEG)

    def bgr(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR, as OpenCV expects."""
        return self.frame.to_ndarray(format="bgr24")


# -- probing -----------------------------------------------------------------------------------------
def _open(path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open path and return it with its first video stream, or raise VideoError saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"no such file: {path}")
    if not path.is_file():
        raise VideoError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise VideoError(f"empty file: {path}")
    try:
        container = av.open(str(path), container_options=dict(_OPEN_OPTIONS))
    except av.FFmpegError as error:
        still = _still_format(path)
        if still:
            raise VideoError(f"not a video: {path} is a still image ({still})") from None
        raise VideoError(f"not a video: {path} ({_reason(error)}; accepted containers: MP4/MOV, Matroska/WebM, "
                         "AVI, MPEG-TS)") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"not a video: {path} has no video stream")
    return container, container.streams.video[0]


def _still_format(path) -> str | None:
    """The picture format of a still image (PNG, JPEG, ...), None for anything else."""
    try:
        with av.open(str(path), container_options=dict(_STILL_OPTIONS)) as container:
            return container.format.name
    except av.FFmpegError:
        return None


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def _rate(path, stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise VideoError(f"not a video: {path} has no frame rate")
    return float(rate)


def _duration(container, stream, fps: float) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return stream.frames / fps if stream.frames else 0.0


def _info(path, container, stream) -> VideoInfo:
    fps = _rate(path, stream)
    duration = _duration(container, stream, fps)
    frame_count = int(stream.frames) if stream.frames else int(round(duration * fps))
    if frame_count <= 0:  # a bare stream (e.g. raw .h264) declares neither: count its packets
        frame_count = _count_packets(path)
    return VideoInfo(
        path=str(path),
        fps=fps,
        width=int(stream.codec_context.width),
        height=int(stream.codec_context.height),
        frame_count=frame_count,
        duration=duration if duration else frame_count / fps,
        codec=stream.codec_context.name,
        container=container.format.name,
    )


def _count_packets(path) -> int:
    """Video packets in the file, read without decoding (one per frame for the codecs we meet)."""
    with av.open(str(path), container_options=dict(_OPEN_OPTIONS)) as container:
        try:
            return sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)
        except av.FFmpegError:
            return 0


def _start_pts(stream) -> int:
    return stream.start_time if stream.start_time is not None else 0


def _tolerance(frame_count: int) -> int:
    """How many frames short of the declared count still counts as complete (estimates are inexact)."""
    return max(2, frame_count // 100)


def _data_end(container, stream, info: VideoInfo) -> float | None:
    """Seconds up to which the file really holds packets (None if it cannot seek).

    Demuxing (no decoding) from the keyframe before the last second is cheap, and catches a file
    whose index promises frames that were cut off; when nothing is there, earlier points are tried.
    """
    tb = stream.time_base
    if not tb or info.duration <= 0:
        return None
    start = _start_pts(stream)
    for target in (max(0.0, info.duration - 1.0), info.duration * 0.75, info.duration * 0.5, info.duration * 0.25, 0):
        try:
            container.seek(start + int(target / tb), stream=stream, backward=True, any_frame=False)
        except av.FFmpegError:
            return None
        end = None
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                length = float(packet.duration * tb) if packet.duration else 1.0 / info.fps
                end = max(end or 0.0, float((packet.pts - start) * tb) + length)
        except av.FFmpegError:
            pass  # a cut-off packet: what was read before it is what the file holds
        if end is not None:
            return end
    return 0.0


def probe_video(path, *, limits: VideoLimits | None = None) -> VideoInfo:
    """Describe a video file, having proved it decodes (its first frame) and is not cut short. With `limits`,
    its codec must be one of VIDEO_CODECS and its header within the limits, both checked before decoding."""
    container, stream = _open(path)
    try:
        info = _info(path, container, stream)
        if info.width <= 0 or info.height <= 0:
            raise VideoError(f"not a video: {path} has no picture size")
        if limits is not None:
            if info.codec not in VIDEO_CODECS:
                raise VideoError(f"unsupported video codec {info.codec!r} in {path}; accepted: H.264, HEVC, AV1, "
                                 "VP8/VP9, MPEG-4, MPEG-1/2, Motion JPEG, ProRes and other editing codecs")
            limits.check(info, path)
        try:
            first = next(iter(container.decode(stream)), None)
        except av.FFmpegError as error:
            raise VideoError(f"undecodable video: {path} ({_reason(error)})") from None
        if first is None:
            raise VideoError(f"not a video: {path} holds no decodable frames")
        end = _data_end(container, stream, info)
        if _cut_short(info, end):
            raise VideoError(
                f"truncated video: {path} declares {info.duration:.2f} s ({info.frame_count} frames) "
                f"but its data stops at {end:.2f} s"
            )
        return info
    finally:
        container.close()


def _cut_short(info: VideoInfo, end: float | None) -> bool:
    return end is not None and end < info.duration - _tolerance(info.frame_count) / info.fps


def _truncated(info: VideoInfo) -> bool:
    """Whether the file's data stops clearly before the end its index declares."""
    container, stream = _open(info.path)
    try:
        return _cut_short(info, _data_end(container, stream, info))
    finally:
        container.close()


# -- decoding ----------------------------------------------------------------------------------------
def decode_frames(path, *, start: int = 0, stop: int | None = None, threads: int = 0,
                  needed: Callable[[int], bool] | None = None) -> Iterator[DecodedFrame]:
    """Decoded frames [start, stop) in order, seeking to the keyframe before start.

    The file is opened (and a bad one refused with VideoError) before this returns. Iterating raises
    VideoError for corrupt data, and for a stream that ends clearly short of the frames it declares
    when those frames were asked for (stop=None asks for everything to the end). threads=0 lets
    FFmpeg choose. With `needed`, a frame whose index it refuses may be left undecoded (and is then not
    yielded) where the codec can drop it: a frame no other frame is predicted from (H.264's and HEVC's
    non-reference frames; FFmpeg's skip_frame=NONREF), told apart before decoding.
    """
    if start < 0 or (stop is not None and stop < start):
        raise ValueError(f"bad frame range [{start}, {stop})")
    container, stream = _open(path)
    try:
        info = _info(path, container, stream)
        sought = False
        if start > 0 and (stop is None or start < stop) and stream.time_base:
            target = _start_pts(stream) + int(start / info.fps / stream.time_base)
            sought = _seek(container, stream, target)
            if not sought:  # a bare stream cannot seek, and a failed seek leaves it unreadable: start over
                container.close()
                container, stream = _open(path)
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = int(threads)
    except BaseException:
        container.close()
        raise
    return _frames(container, stream, info, start, stop, sought, needed)


def _frames(container, stream, info: VideoInfo, start: int, stop: int | None, sought: bool,
            needed: Callable[[int], bool] | None) -> Iterator[DecodedFrame]:
    try:
        wanted = info.frame_count if stop is None else min(stop, info.frame_count)
        got = start
        if stop is None or start < stop:
            for decoded in _decode_from(container, stream, info, start, sought, needed):
                if stop is not None and decoded.index >= stop:
                    break
                got = decoded.index + 1
                yield decoded
        if got < wanted - _tolerance(info.frame_count):
            raise VideoError(f"truncated video: decoded {got} of {info.frame_count} frames ({info.path})")
    finally:
        container.close()


def _seek(container, stream, pts: int) -> bool:
    """Seek to the keyframe at or before pts; False where the file cannot seek (a bare stream)."""
    try:
        container.seek(pts, stream=stream, backward=True, any_frame=False)
    except av.FFmpegError:
        return False
    return True


def _decoded(container, stream, needed: Callable[[int], bool] | None, index_of) -> Iterator[av.VideoFrame]:
    """container.decode(stream); with `needed`, each packet of a frame it refuses is decoded with skip_frame=NONREF
    (the decoder drops it if no other frame refers to it), every other packet normally."""
    if needed is None:
        yield from container.decode(stream)
        return
    context = stream.codec_context
    for packet in container.demux(stream):
        skip = packet.pts is not None and not needed(index_of(packet, 0))
        context.skip_frame = "NONREF" if skip else "DEFAULT"
        yield from packet.decode()


def _decode_from(container, stream, info: VideoInfo, start: int, sought: bool,
                 needed: Callable[[int], bool] | None = None) -> Iterator[DecodedFrame]:
    """Frames from start on, the container already sought to the keyframe before start when sought."""
    tb = float(stream.time_base) if stream.time_base else 0.0
    origin = _start_pts(stream)

    def index_of(frame, fallback: int) -> int:  # of a frame or of its packet
        if frame.pts is None or not tb:
            return fallback
        return int(round((frame.pts - origin) * tb * info.fps))

    previous = -1
    try:
        frames, first = _decoded(container, stream, needed, index_of), None
        if sought:
            # Some indexes (MPEG-TS) land after start, or nowhere: step further back until the first frame
            # decoded is at or before start, in the end from the top.
            for back in (2.0, 10.0, None):
                first = next(frames, None)
                if first is not None and first.pts is not None and index_of(first, 0) <= start:
                    break
                # The top is 0 or earlier: MPEG-TS lands on its second keyframe when asked for its first pts.
                top = min(origin, 0)
                target = top if back is None else origin + int(max(0.0, start / info.fps - back) / tb)
                if not _seek(container, stream, target):
                    raise VideoError(f"cannot seek in {info.path} to decode from frame {start}")
                frames, first = _decoded(container, stream, needed, index_of), None
        for frame in itertools.chain([first] if first is not None else [], frames):
            index = max(index_of(frame, previous + 1), previous + 1)  # strictly increasing, whatever the pts say
            previous = index
            if index >= start:
                yield DecodedFrame(index, float(index / info.fps), frame)
    except av.FFmpegError as error:
        if _truncated(info):
            raise VideoError(
                f"truncated video: decoded {previous + 1} of {info.frame_count} frames ({info.path})"
            ) from None
        raise VideoError(f"corrupt video: {info.path} after frame {previous} ({_reason(error)})") from None


# -- writing -----------------------------------------------------------------------------------------
# BT.601 limited-range chroma from BGR, with the offset in the last column (for cv2.transform).
_BGR_TO_CBCR = np.array([[0.4392, -0.2910, -0.1482, 128.0], [-0.0714, -0.3678, 0.4392, 128.0]], np.float32)


def _bgr_to_yuv420p(bgr: np.ndarray) -> np.ndarray:
    """BGR to I420 (BT.601, limited range) as a (3H/2, W) array, matching FFmpeg's swscale to +-1 at a
    third of its cost. OpenCV's own I420 conversion gives the luma; its chroma is point-sampled, which
    drops thin coloured lines, so chroma comes from the 2x2 block averages instead."""
    h, w = bgr.shape[:2]
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    cbcr = cv2.transform(cv2.resize(bgr, (w // 2, h // 2), interpolation=cv2.INTER_AREA), _BGR_TO_CBCR)
    yuv[h:] = np.concatenate([cbcr[..., 0].ravel(), cbcr[..., 1].ravel()]).reshape(-1, w)
    return yuv


def _frame_rate(fps) -> Fraction:
    """fps as an exact rate; 23.976, 29.97 and 59.94 mean the NTSC rates 24000/1001 and so on."""
    if isinstance(fps, Fraction):
        return fps
    ntsc = round(fps * 1.001)
    if not float(fps).is_integer() and abs(fps * 1.001 - ntsc) < 0.002 * ntsc:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Write BGR frames to an H.264 MP4 at a constant frame rate, atomically.

    libx264, yuv420p (BT.601, limited range, tagged so), keyframes at least every 2 s, and the index
    at the front (+faststart) so a browser's <video> plays it while it downloads. Frames go to a
    temporary file beside path that replaces path only when the writer closes cleanly.
    """

    def __init__(self, path, *, width: int, height: int, fps: float, crf: int = 20):
        for name, value in (("width", width), ("height", height)):
            if int(value) != value or value < 16 or value % 2:
                raise ValueError(f"{name} must be an even whole number of pixels >= 16 (H.264, yuv420p), got {value}")
        if not 0 < fps <= 240:
            raise ValueError(f"fps must be above 0 and at most 240, got {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be within 0..51, got {crf}")
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.rate = _frame_rate(fps)
        self.fps = float(self.rate)
        self.frames_written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
        os.close(handle)
        self._temp = Path(temp)
        try:
            self._container = av.open(str(self._temp), "w", format="mp4", options={"movflags": "+faststart"})
            stream = self._container.add_stream("libx264", rate=self.rate)
            stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
            context = stream.codec_context
            context.time_base = 1 / self.rate
            context.gop_size = max(1, int(round(2 * self.fps)))
            context.color_range = 1  # MPEG (limited)
            context.colorspace = context.color_primaries = context.color_trc = 6  # SMPTE 170M (BT.601)
            stream.options = {"crf": str(int(crf)), "preset": "veryfast"}
            self._stream = stream
        except BaseException:
            self._discard()
            raise

    def write(self, bgr: np.ndarray) -> None:
        """Append one (height, width, 3) uint8 BGR frame."""
        if not isinstance(bgr, np.ndarray) or bgr.dtype != np.uint8 or bgr.shape != (self.height, self.width, 3):
            got = f"{bgr.shape} {bgr.dtype}" if isinstance(bgr, np.ndarray) else type(bgr).__name__
            raise ValueError(f"a frame must be a ({self.height}, {self.width}, 3) uint8 BGR array, got {got}")
        frame = av.VideoFrame.from_ndarray(_bgr_to_yuv420p(bgr), format="yuv420p")
        frame.pts = self.frames_written
        frame.time_base = 1 / self.rate
        self._container.mux(self._stream.encode(frame))
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and move the finished file into place."""
        if self._container is None:
            return
        try:
            if self.frames_written == 0:
                raise VideoError(f"no frames were written to {self.path}")
            self._container.mux(self._stream.encode(None))
            self._container.close()
            self._container = None
            os.replace(self._temp, self.path)
        except BaseException:
            self._discard()
            raise

    def abort(self) -> None:
        """Stop writing and remove the unfinished file; path is left as it was."""
        self._discard()

    def _discard(self) -> None:
        container, self._container = getattr(self, "_container", None), None
        if container is not None:
            try:
                container.close()
            except av.FFmpegError:
                pass
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
