"""The project's API plumbing, shared by every app's API: the one exception handler (a refusal from a service is a
4xx with its reason, never a 500), the error body's serializer, and the OpenAPI table of error answers."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse
from kombu.exceptions import OperationalError as BrokerUnreachable
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from emotions.exceptions import (
    DuplicateEpisode,
    EpisodeRejected,
    LabelRefused,
    ModelUnavailable,
    ProcessingRefused,
    ResumableUploadConflict,
    ResumableUploadMissing,
    TeachingNotAllowed,
    TeachingRefused,
    storage_full_of,
)
from emotions.validation import locked_out_message, throttled_message
from toonvision.images import ImageError

ERROR_DESCRIPTIONS = {400: "bad input: the reason", 401: "not logged in", 403: "not allowed", 404: "no such thing"}


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="what went wrong, for people")
    code = serializers.CharField(required=False, help_text="for programs: invalid, duplicate, too_large, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="bad input: the messages per field",
    )


def error_responses(*codes: int, descriptions: dict[int, str] | None = None) -> dict:
    """The OpenAPI answers for these error statuses (for extend_schema's `responses`), each an ErrorOutput;
    `descriptions` words one differently where the view knows better (404: "no such episode")."""
    words = {**ERROR_DESCRIPTIONS, **(descriptions or {})}
    return {code: OpenApiResponse(ErrorOutputSerializer, description=words[code]) for code in codes}


LOG_IN = "Log in to use the API: a session, or an `Authorization: Token <key>` header (from POST /api/auth/token/)."


def exception_handler(exc, context):
    """DRF's handler, plus: Django's ValidationError (what services raise) -> 400 with its messages and code;
    a duplicate upload -> 409 naming the episode that has those bytes; an oversize upload -> 413; an episode
    that cannot be (re)processed now, or a resumable upload's bytes sent from the wrong offset -> 409; a
    resumable upload that is gone -> 404; a teaching refusal -> 400 (409 when it conflicts with what is under
    way, 413 when too large); a user who may not teach that character -> 403 saying who may; an unreadable image
    -> 400; the broker out of reach, or the emotion model unreadable -> 503; no room on the disk (storing it, or
    spooling the request) -> 507; too many requests, or a login locked out -> 429."""
    full = storage_full_of(exc)  # also a full disk met while DRF read the request's upload into the spool
    if full is not None:
        return Response({"detail": str(full), "code": full.code}, status=status.HTTP_507_INSUFFICIENT_STORAGE)
    if isinstance(exc, ModelUnavailable):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, DuplicateEpisode):
        request = context.get("request")
        url = reverse("api:episode-detail", args=[exc.episode.pk])
        return Response(
            {"detail": str(exc), "code": "duplicate", "episode": exc.episode.pk,
             "episode_url": request.build_absolute_uri(url) if request else url},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ResumableUploadMissing):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ResumableUploadConflict):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TeachingNotAllowed):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, TeachingRefused):
        code = exc.code or "refused"
        answer = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        if code == "too_large":
            answer = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        return Response({"detail": str(exc), "code": code}, status=answer)
    if isinstance(exc, LabelRefused) and exc.code == "nothing_to_undo":
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProcessingRefused):
        return Response({"detail": str(exc), "code": exc.code or "refused"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, EpisodeRejected) and exc.code == "too_large":
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return _invalid({field: [str(m) for m in messages] for field, messages in exc.message_dict.items()})
        code = getattr(exc, "code", None) or next((e.code for e in exc.error_list if e.code), None) or "invalid"
        return Response({"detail": "; ".join(exc.messages), "code": code}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BrokerUnreachable):
        return Response(
            {"detail": f"the task queue is unreachable ({exc}); what was stored is kept: try again later "
                       "(an episode's processing with POST /api/episodes/<id>/reprocess/ and force=true)",
             "code": "queue_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, ImageError):
        return Response({"detail": str(exc), "code": "not_an_image"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ValidationError):
        return _invalid(exc.detail)
    if isinstance(exc, exceptions.Throttled):  # too many uploads or searches, or a login locked out for a while
        code = "locked_out" if exc.get_codes() == "locked_out" else "throttled"
        detail = (locked_out_message if code == "locked_out" else throttled_message)(exc.wait)
        headers = {"Retry-After": str(max(1, int(exc.wait or 1)))}
        return Response({"detail": detail, "code": code}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(LOG_IN, code="not_authenticated")
    return drf_exception_handler(exc, context)


def _invalid(detail) -> Response:
    """A validation failure in one shape everywhere: `detail` says all of it in one line, `errors` per field."""
    if isinstance(detail, dict):
        errors = {field: _messages(value) for field, value in detail.items()}
    else:
        errors = {"non_field_errors": _messages(detail)}
    line = "; ".join(
        ("" if field == "non_field_errors" else f"{field}: ") + " ".join(messages) for field, messages in errors.items()
    )
    return Response({"detail": line, "code": "invalid", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in _messages(inner)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]
