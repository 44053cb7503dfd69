"""Who may do what through the API: DRF's face of the rules in emotions.access."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from emotions.access import can_change_episode, can_read


class ReadPublicOrAuthenticated(BasePermission):
    """A login for everything; anonymous users may read only where the site is public (settings.PUBLIC_READ)."""

    message = "Log in (a session, or an `Authorization: Token <key>` header) to use the API."

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return request.method in SAFE_METHODS and can_read(request.user)


class StaffWrites(BasePermission):
    """Only staff change what this view serves; reading follows the default rule."""

    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return ReadPublicOrAuthenticated().has_permission(request, view)
        return bool(request.user and request.user.is_staff)


class OwnerOrStaff(BasePermission):
    """An episode's owner, or staff, may delete or reprocess it."""

    message = "Only the episode's owner or staff may do this."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change_episode(request.user, obj)
