"""The studio's episode and cascade-data commands, run as a user runs them, with good and bad input."""

import json

import cv2
import pytest

from tests.processes import command_output, command_refusal, manage_py


@pytest.mark.slow
def test_synth_episode_writes_the_video_and_its_truth(tmp_path):
    out = tmp_path / "ep.mp4"
    result = manage_py("synth_episode", str(out), "--seconds", "2", "--seed", "4", "--bias", "pip:happy=0.8")
    assert result.returncode == 0, result.stderr
    truth = tmp_path / "ep.truth.json"
    assert f"wrote {out} (48 frames" in result.stdout
    assert f"wrote {truth} (" in result.stdout
    data = json.loads(truth.read_text())
    assert data["frame_count"] == 48 and len(data["frames"]) == 48
    assert out.stat().st_size > 1000
    assert "Traceback" not in result.stderr


def test_synth_episode_json_summary_and_size(tmp_path):
    out = tmp_path / "small.mp4"
    args = ("--seconds", "1", "--seed", "2", "--width", "320", "--height", "240", "--fps", "12", "--json")
    summary = json.loads(command_output("synth_episode", str(out), *args))
    assert (summary["width"], summary["height"], summary["fps"], summary["frame_count"]) == (320, 240, 12, 12)
    assert summary["truth"] == str(tmp_path / "small.truth.json")


def test_synth_episode_with_a_guest_cast(tmp_path):
    out = tmp_path / "guest.mp4"
    args = ("--seconds", "1", "--seed", "5", "--width", "320", "--height", "240", "--cast", "bramble", "--json")
    summary = json.loads(command_output("synth_episode", str(out), *args))
    assert summary["cast"] == ["bramble"]
    assert "bob" in command_refusal("synth_episode", str(out), "--seconds", "1", "--cast", "bob")


def test_synth_episode_refuses_bad_input(tmp_path):
    out = str(tmp_path / "ep.mp4")
    assert "seconds must be above 0" in command_refusal("synth_episode", out, "--seconds", "0")
    assert "bob" in command_refusal("synth_episode", out, "--seconds", "1", "--bias", "bob:happy=0.5")
    assert "pip:happy" in command_refusal("synth_episode", out, "--seconds", "1", "--bias", "pip:happy")
    assert ".mp4" in command_refusal("synth_episode", str(tmp_path / "ep.avi"), "--seconds", "1")
    assert "even" in command_refusal("synth_episode", out, "--seconds", "1", "--width", "855")
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind


@pytest.mark.slow
def test_synth_cascade_data_writes_positives_and_negatives(tmp_path):
    out = tmp_path / "pip"
    args = ("--character", "pip", "--positives", "12", "--negatives", "2", "--seed", "7", "--json")
    result = manage_py("synth_cascade_data", str(out), *args)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["positives"], summary["negatives"], summary["character"]) == (12, 2, "pip")
    positives = sorted((out / "positives").glob("*.png"))
    assert len(positives) == 12 and cv2.imread(str(positives[0])).shape == (48, 48, 3)
    assert len(list((out / "negatives").glob("*.png"))) == 2


def test_synth_cascade_data_refuses_bad_input(tmp_path):
    unknown = command_refusal(
        "synth_cascade_data", str(tmp_path), "--character", "bob", "--positives", "1", "--negatives", "1"
    )
    assert "invalid choice: 'bob'" in unknown
    none = command_refusal(
        "synth_cascade_data", str(tmp_path), "--character", "pip", "--positives", "0", "--negatives", "1"
    )
    assert "at least one positive" in none


@pytest.mark.slow
def test_sync_cast_makes_the_shipped_cast_characters_once(tmp_path):
    """A new site (as `make run` and the web image start it) gets the shipped cast as characters, and a second
    start changes nothing."""
    env = {"TOONSITE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "toonsite.settings"}
    assert manage_py("migrate", "--noinput", env=env).returncode == 0
    for _ in range(2):
        result = manage_py("sync_cast", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "Cast: Marmalade (marmalade), Pip (pip)"
    listed = manage_py("shell", "-c", "from emotions.models import Character as C; "
                       "print(sorted(C.objects.filter(shipped=True).values_list('slug', flat=True)))", env=env)
    assert listed.stdout.strip().splitlines()[-1] == "['marmalade', 'pip']", listed.stderr


@pytest.mark.django_db
def test_sync_cast_without_a_shipped_cast_says_where_characters_come_from(tmp_path, settings, media):
    settings.CAST_DIR = tmp_path / "no-cast"
    out = command_output("sync_cast")
    assert "No shipped cast at" in out and "admin or the API" in out
