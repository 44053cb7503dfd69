"""The emotion models' API and the Models page through Django's and DRF's clients: the registry lists the shipped
weights, a logged-in user starts a training (queued; the workers' side is tests/integration/test_models_queue.py),
follows and cancels it; only staff activate a model (403 for anyone else, on the API and the page); bad options
are a 400 that says why, a second training while one runs a 409."""
import pytest
from rest_framework.test import APIClient

from emotions.models import EmotionModel
from tests.emotion_faces import labelled_site_faces

pytestmark = pytest.mark.django_db


@pytest.fixture
def labels(media):
    return labelled_site_faces(2)


def shipped(api) -> dict:
    rows = api.get("/api/models/").json()
    return next(row for row in rows if row["kind"] == "shipped")


def test_the_registry_lists_the_shipped_weights_and_needs_a_login(api, media):
    assert APIClient().get("/api/models/").status_code in (401, 403)
    row = shipped(api)
    assert row["status"] == "done" and row["weights_name"] == "toon.pt" and len(row["weights_sha256"]) == 64
    assert row["active"] is False and row["preset"] == "toon" and "/" not in row["weights_name"]
    assert set(row["scores"]) == {"site", "studio", "imported"}
    assert api.get("/api/").json()["models"].endswith("/api/models/")
    assert api.get("/api/models/").json().count(row) == 1  # made once, not on every read


def test_a_training_is_started_followed_and_cancelled(api, other_api, labels):
    assert APIClient().post("/api/models/", {}, format="json").status_code in (401, 403)
    started = api.post("/api/models/", {"epochs": 3, "optimizer": "adamw"}, format="json")
    assert started.status_code == 202, started.json()
    body = started.json()
    assert started["Location"] == body["url"] and body["status"] == "queued"
    assert body["parent_name"].startswith("shipped") and body["options"]["epochs"] == 3
    assert body["data"]["faces"] == {"site": 6, "imported": 0} and body["data"]["studio"] is True
    detail = api.get(f"/api/models/{body['id']}/").json()
    assert detail["progress"] == {"phase": "queued"} and detail["report"] == {}

    busy = api.post("/api/models/", {}, format="json")
    assert busy.status_code == 409 and busy.json()["code"] == "busy"
    assert other_api.post(f"/api/models/{body['id']}/cancel/").status_code == 403
    cancelled = api.post(f"/api/models/{body['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(f"/api/models/{body['id']}/cancel/").json()["code"] == "not_running"


@pytest.mark.parametrize("payload, words", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 100000}, "epochs must be 1 to"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"preset": "seed"}, "keeps the active model's preset"),
    ({"datasets": ["nope"]}, "no imported dataset nope"),
    ({"start": "sideways"}, "start"),
])
def test_bad_options_are_a_400_that_says_why(api, labels, payload, words):
    response = api.post("/api/models/", payload, format="json")
    assert response.status_code == 400 and words in str(response.json()), response.json()
    assert not EmotionModel.objects.exclude(kind="shipped").exists()


def test_nothing_to_learn_from_is_a_400(api, media):
    response = api.post("/api/models/", {}, format="json")
    assert response.status_code == 400 and "no faces to learn from" in response.json()["detail"]


def test_only_staff_activate_a_model(api, staff_api, media):
    row = shipped(api)
    refused = api.post(f"/api/models/{row['id']}/activate/")
    assert refused.status_code == 403 and "Only staff" in refused.json()["detail"]
    assert not EmotionModel.objects.filter(active=True).exists()
    done = staff_api.post(f"/api/models/{row['id']}/activate/")
    assert done.status_code == 200 and done.json()["active"] is True and done.json()["activated"]
    assert api.get("/api/models/999999/").status_code == 404
    assert api.get(f"/api/models/{row['id']}/curves.png").status_code == 404  # the shipped row keeps no charts


def test_a_model_without_weights_cannot_be_activated(api, staff_api, labels):
    queued = api.post("/api/models/", {}, format="json").json()
    refused = staff_api.post(f"/api/models/{queued['id']}/activate/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_done"


def test_the_schema_documents_the_models_api(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("/api/models/", "/api/models/{id}/", "/api/models/{id}/cancel/", "/api/models/{id}/activate/"):
        assert path in paths, sorted(paths)
    assert "post" in paths["/api/models/"] and "get" in paths["/api/models/"]


# -- the page ----------------------------------------------------------------------------------------------------------
def test_the_models_page_needs_a_login_and_is_in_the_nav(client, logged_in, media):
    assert client.get("/").status_code in (200, 302)
    page = logged_in.get("/models/")
    html = page.content.decode()
    assert page.status_code == 200 and 'href="/models/" aria-current="page">Models</a>' in html
    assert "shipped toon.pt" in html and 'id="train-form"' in html and "<script>" not in html
    assert "Activate</button>" not in html  # not staff
    logged_in.logout()
    assert logged_in.get("/models/")["Location"].startswith("/accounts/login/")


def test_a_training_started_from_the_page_and_activation_refused_to_non_staff(logged_in, labels):
    response = logged_in.post("/models/", {"kind": "training", "start": "active", "epochs": "2", "site": "on",
                                           "studio": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    model = EmotionModel.objects.get(kind="training")
    assert model.options["epochs"] == 2 and model.created_by.username == "ana"
    page = logged_in.get("/models/").content.decode()
    assert 'id="training"' in page and f'data-poll="/api/models/{model.pk}/"' in page

    busy = logged_in.post("/models/", {"kind": "training", "start": "active"})
    assert busy.status_code == 409 and "A model is training now" in busy.content.decode()
    shipped_row = EmotionModel.objects.get(kind="shipped")
    refused = logged_in.post(f"/models/{shipped_row.pk}/", {"action": "activate"})
    assert refused.status_code == 403 and "Only staff may activate" in refused.content.decode()


def test_staff_activate_from_the_page(client, media):
    from tests.factories import user_make

    client.force_login(user_make("sam", is_staff=True))
    page = client.get("/models/").content.decode()
    row = EmotionModel.objects.get(kind="shipped")
    assert "Activate</button>" in page
    done = client.post(f"/models/{row.pk}/", {"action": "activate"}, follow=True)
    assert done.status_code == 200 and "manage.py reclassify" in done.content.decode()
    assert EmotionModel.objects.get(active=True) == row


def test_the_table_shows_a_parents_score_measured_when_a_child_was_trained_from_it(logged_in, media):
    from emotions.services.emotion_models import emotion_model_shipped

    parent = emotion_model_shipped()
    score = {"accuracy": 0.5, "macro_f1": 0.4, "n": 8, "per_class": {"happy": {"f1": 0.4}}, "confusion": [[4]]}
    EmotionModel.objects.create(name="child", status="done", parent=parent,
                                report={"tests": {"site": {**score, "accuracy": 0.9}}, "parent_tests": {"site": score}})
    html = logged_in.get("/models/").content.decode()
    shipped_row = html[html.index(f'id="model-{parent.pk}"'):]
    shipped_row = shipped_row[:shipped_row.index("</tr>")]
    assert "50.0%" in shipped_row and "<sup" in shipped_row and "90.0%" not in shipped_row


def test_the_api_lists_a_parents_score_measured_by_its_child(api, media):
    from emotions.services.emotion_models import emotion_model_shipped

    parent = emotion_model_shipped()
    score = {"accuracy": 0.5, "macro_f1": 0.4, "n": 8, "per_class": {}, "confusion": []}
    EmotionModel.objects.create(name="child", status="done", parent=parent,
                                report={"tests": {"site": {**score, "accuracy": 0.9}}, "parent_tests": {"site": score}})
    rows = {row["name"]: row for row in api.get("/api/models/").json()}
    assert rows[parent.name]["scores"]["site"]["accuracy"] == 0.5
    assert rows[parent.name]["scores_measured_by"] == {"site": "child"}
    assert rows["child"]["scores"]["site"]["accuracy"] == 0.9 and rows["child"]["scores_measured_by"] == {}
    assert api.get(f"/api/models/{parent.pk}/").json()["scores"]["site"] is None  # its own report has none


def test_the_page_shows_the_optimiser_experiments_table(logged_in, media):
    result = {"lr": 0.01, "accuracy_mean": 0.75, "accuracy_std": 0.05, "macro_f1_mean": 0.7, "seconds_per_epoch": 0.5,
              "history": []}
    EmotionModel.objects.create(name="experiment", kind="optimizers", status="done", preset="seed",
                                report={"optimizers": {"sgd": result, "adam": {**result, "accuracy_mean": 0.8}}})
    html = logged_in.get("/models/").content.decode()
    assert "Optimiser experiment: experiment" in html and "75.0% ± 5.0%" in html and "80.0%" in html
