"""reclassify, export_dataset and import_dataset as an operator runs them: good input, and mistakes that are a
clear message and a nonzero exit (CommandError) with nothing written."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emotions.models import Detection
from tests.factories import character, crafted_episode, held, labelled_studio_faces


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


@pytest.fixture
def labelled_faces(db, media):
    return labelled_studio_faces()


@pytest.mark.django_db
def test_export_then_import_reads_the_same_faces_back(labelled_faces, tmp_path):
    from emotions.models import DatasetFace

    out = io.StringIO()
    call_command("export_dataset", str(tmp_path / "faces.zip"), stdout=out)
    labelled_count = sum(d.labelled for d in labelled_faces)
    assert f"faces.zip: {labelled_count} faces (" in out.getvalue()
    call_command("import_dataset", str(tmp_path / "faces.zip"), "--name", "mine", stdout=out)
    assert f"dataset mine (character/emotion/split layout): {labelled_count} faces added" in out.getvalue()
    assert DatasetFace.objects.filter(dataset="mine").count() == labelled_count
    call_command("import_dataset", str(tmp_path / "faces.zip"), "--name", "mine", stdout=out)
    assert f"0 faces added (none new), {labelled_count} it already had" in out.getvalue()


@pytest.mark.django_db
def test_dataset_commands_refuse_mistakes_with_nothing_written(media, tmp_path):
    from emotions.models import DatasetFace

    with pytest.raises(CommandError, match="no folder"):
        call_command("export_dataset", str(tmp_path / "nowhere" / "x.zip"))
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("export_dataset", str(tmp_path / "x.zip"), "--confident", "3")
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "x.zip.partial").exists()
    (tmp_path / "ds" / "pip" / "joyful").mkdir(parents=True)
    (tmp_path / "ds" / "pip" / "joyful" / "a.png").write_bytes(b"x")
    with pytest.raises(CommandError, match="unknown emotion folder 'joyful'"):
        call_command("import_dataset", str(tmp_path / "ds"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_dataset", str(tmp_path / "missing"))
    assert not DatasetFace.objects.exists()
