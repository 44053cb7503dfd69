"""Users the service tests share: Ana teaches a character, Bob is someone else."""
import pytest

from tests.factories import user_make


@pytest.fixture
def ana(db):
    return user_make("ana")


@pytest.fixture
def bob(db):
    return user_make("bob")
