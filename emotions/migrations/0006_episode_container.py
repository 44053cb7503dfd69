"""Episode.container: FFmpeg's demuxer name from the probe, which decides the type the video is served as (never the
uploader's file name). Rows stored before it get one from their stored extension where that is a video's, else
from their codec (WebM's) or MP4; a wrong guess only labels a video as another video type."""
from django.db import migrations, models

MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
BY_EXTENSION = {"mp4": MP4, "m4v": MP4, "mov": MP4, "mkv": "matroska,webm", "webm": "matroska,webm", "avi": "avi",
                "ts": "mpegts", "h264": "h264", "264": "h264", "hevc": "hevc", "265": "hevc"}
WEBM_CODECS = {"vp8", "vp9", "libvpx", "libvpx-vp9", "av1", "libdav1d", "libaom-av1"}


def guessed_container(file_name: str, codec: str) -> str:
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name.rsplit("/", 1)[-1] else ""
    if extension in BY_EXTENSION:
        return BY_EXTENSION[extension]
    return "matroska,webm" if codec in WEBM_CODECS else MP4


def fill_container(apps, schema_editor):
    Episode = apps.get_model("emotions", "Episode")
    for episode in Episode.objects.filter(container="").only("pk", "file", "codec").iterator():
        Episode.objects.filter(pk=episode.pk).update(container=guessed_container(episode.file.name, episode.codec))


class Migration(migrations.Migration):
    dependencies = [
        ("emotions", "0005_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="container",
            field=models.CharField(
                blank=True, help_text="FFmpeg's demuxer name, from the probe: what the video is served as",
                max_length=64,
            ),
        ),
        migrations.RunPython(fill_container, migrations.RunPython.noop),
    ]
