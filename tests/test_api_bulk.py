"""manage.py bulk_detections: the benchmark's catalogue is made of rows the API serves like any other."""
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count, Sum
from rest_framework.test import APIClient

from emotions.models import Character, Detection, Episode, EpisodeEmotion, Status
from tests.processes import assert_clean_failure, manage_py

pytestmark = pytest.mark.django_db


def test_bulk_detections_run_as_a_process_refuses_no_episodes_cleanly():
    """The command as a user runs it: a mistake is exit status 1 and the reason on stderr, no traceback."""
    assert_clean_failure(manage_py("bulk_detections", "--episodes", "0"), "--episodes must be at least 1")


def test_bulk_detections_makes_finished_episodes_with_summaries_the_api_serves(media, capsys):
    call_command("bulk_detections", "--episodes", "3", "--detections", "4000", "--owner", "bench", "--seed", "5")

    assert "made 3 episodes and 4000 detections" in capsys.readouterr().out
    assert Detection.objects.count() == 4000
    for episode in Episode.objects.all():
        assert episode.status == Status.DONE and episode.current_run.status == Status.DONE
        detections = Detection.objects.filter(episode=episode)
        assert detections.count() == episode.current_run.detection_count > 0
        assert not detections.filter(frame__gte=episode.frame_count).exists()
        summaries = EpisodeEmotion.objects.filter(episode=episode)
        assert summaries.aggregate(s=Sum("seconds"))["s"] == pytest.approx(
            detections.aggregate(s=Sum("duration"))["s"])
    # One face per track and frame, as the pipeline's constraint demands; the cast is there, extras are inactive.
    assert not Detection.objects.values("run", "track", "frame").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(Character.objects.filter(active=True).values_list("slug", flat=True)) == {"pip", "marmalade"}
    assert Character.objects.filter(slug__in=["bruno", "clover"], active=False).count() == 2
    some = Detection.objects.order_by("?").first()
    assert default_storage.exists(some.crop.name) and default_storage.exists(some.frame_image.name)

    client = APIClient()
    client.force_authenticate(Episode.objects.first().owner)
    found = client.get("/api/detections/?character=pip&emotion=happy").json()["results"]
    assert found and all(r["character"]["slug"] == "pip" and r["emotion"] == "happy" for r in found)
    assert client.get(found[0]["crop_url"]).status_code == 200
    ranking = client.get("/api/recommendations/?character=pip&emotion=happy").json()["results"]
    assert len(ranking) == 3
