"""What an episode's video is served as: its media type, the extension it is stored under and whether a browser
plays it or saves it, decided by the site from the container and codec the probe found, never from the uploader's
file name (a real MP4 called evil.html would otherwise be served as text/html, and its metadata run as a page)."""
from dataclasses import dataclass

# Video codecs (FFmpeg decoder names) that make a Matroska file a WebM one.
WEBM_CODECS = frozenset({"vp8", "vp9", "libvpx", "libvpx-vp9", "av1", "libdav1d", "libaom-av1"})
# FFmpeg's demuxer for MP4/MOV: what the studio and most encoders write.
MP4_CONTAINER = "mov,mp4,m4a,3gp,3g2,mj2"


@dataclass(frozen=True)
class VideoMedia:
    """How one stored video is named and served."""

    content_type: str
    extension: str  # without the dot
    inline: bool  # played in the page; False: a download (bare streams, which no browser plays)

    def disposition(self, stem: str) -> str:
        """The Content-Disposition header for serving it as stem.<extension>."""
        return f'{"inline" if self.inline else "attachment"}; filename="{stem}.{self.extension}"'


def video_media(*, container: str, codec: str = "") -> VideoMedia:
    """The type and extension of a video by FFmpeg's demuxer name (`container`, e.g. "mov,mp4,m4a,3gp,3g2,mj2");
    anything unknown is a download of application/octet-stream, never a type a browser would render."""
    demuxer = (container or "").split(",")[0]
    if demuxer == "mov":
        return VideoMedia("video/mp4", "mp4", inline=True)
    if demuxer == "matroska":
        if codec in WEBM_CODECS:
            return VideoMedia("video/webm", "webm", inline=True)
        return VideoMedia("video/x-matroska", "mkv", inline=True)
    if demuxer == "avi":
        return VideoMedia("video/x-msvideo", "avi", inline=True)
    if demuxer == "mpegts":
        return VideoMedia("video/mp2t", "ts", inline=True)
    if demuxer in ("h264", "hevc"):
        return VideoMedia("application/octet-stream", demuxer, inline=False)
    return VideoMedia("application/octet-stream", "bin", inline=False)

