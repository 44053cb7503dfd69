"""reclassify, export_dataset and import_dataset as an operator runs them: good input, and mistakes that are a
clear message and a nonzero exit (CommandError) with nothing written."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emotions.models import Detection
from tests.factories import character, crafted_episode, held


@pytest.fixture
def episode(db, media):
    return crafted_episode("Sunny", held(character("pip"), "happy", 0, 2), pictures=True)


@pytest.mark.django_db
def test_reclassify_reports_what_it_did(episode):
    out = io.StringIO()
    call_command("reclassify", "--episode", str(episode.pk), "--no-progress", stdout=out)
    said = out.getvalue()
    assert "re-classified 16 faces with toon.pt" in said and "summaries rebuilt for 1 episode" in said


@pytest.mark.django_db
@pytest.mark.parametrize("args, words", [
    (("--episode", "999999"), "no episode 999999"),
    (("--character", "nobody"), "no character 'nobody' (known: pip)"),
    (("--weights", "/nonexistent/w.pt"), "weights file /nonexistent/w.pt not found"),
])
def test_reclassify_refuses_what_is_not_there(episode, args, words):
    before = list(Detection.objects.values_list("pk", "emotion", "probabilities"))
    with pytest.raises(CommandError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call_command("reclassify", *args, "--no-progress")
    assert list(Detection.objects.values_list("pk", "emotion", "probabilities")) == before
