"""schemathesis against /api/schema/: every operation, with generated (valid and invalid) input, as a staff user
with a token who owns episodes and faces. No answer may be a 5xx, use an undocumented status or content type, or
break its documented schema."""
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db

# A resumable upload's PATCH carries raw bytes (tus): any bytes are a request worth sending.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=64))
with override_settings(PUBLIC_READ=True):  # the schema needs a login on a private site; the cases log in themselves
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 60  # per operation: about 20 operations in well under two minutes


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes a connection found inside a transaction when a request starts or ends; the test's
    data lives in one, so leave it open, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(media, settings, keep_the_test_connection):
    """A staff user's token; the user owns two processed episodes, with faces that have pictures."""
    settings.UPLOAD_THROTTLE_RATE = settings.IMAGE_THROTTLE_RATE = "100000/hour"
    settings.CAST_DIR = media / "no-cast"  # reprocessing here finds no character: a 409, never a queued task
    owner = get_user_model().objects.create_user("owner", password="x", is_staff=True)
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    crafted_episode("First", held(pip, "happy", 0, 3) + held(cat, "angry", 2, 4), owner=owner, pictures=True)
    crafted_episode("Second", held(pip, "sad", 0, 2), owner=owner, pictures=True)
    return Token.objects.create(user=owner).key


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
