"""What every page's template may ask of the settings."""
from django.conf import settings


def accounts(request) -> dict:
    """Whether visitors may sign up (the header, the login and landing pages offer it then)."""
    return {"open_registration": settings.OPEN_REGISTRATION}
