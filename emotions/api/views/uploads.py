"""Resumable episode uploads over the tus protocol (v1.0.0: core, creation, termination, expiration), the way a
page or a tus client sends a large episode over a connection that may drop: create the upload with its length,
PATCH its bytes from the offset HEAD reports, and the last PATCH answers with the episode it became."""
import base64
import binascii
from email.utils import formatdate

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.views.common import ThrottledPostMixin
from emotions.api.views.episodes import episode_created
from emotions.exceptions import EpisodeRejected
from emotions.services.resumable import (
    resumable_append,
    resumable_create,
    resumable_delete,
    resumable_expires,
    resumable_get,
)
from toonsite.api import ErrorOutputSerializer, error_responses

TUS_VERSION = "1.0.0"
CHUNK_TYPE = "application/offset+octet-stream"
READ_BYTES = 1 << 20

TUS_REQUEST_HEADERS = [OpenApiParameter("Tus-Resumable", str, OpenApiParameter.HEADER, required=True,
                                        description="the protocol version: 1.0.0")]
NOT_TUS = {412: OpenApiResponse(ErrorOutputSerializer, description="no Tus-Resumable: 1.0.0 header")}


class TusMixin:
    """Every answer says the protocol version; every request but OPTIONS must name it (412 otherwise)."""

    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise _PreconditionFailed()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if response.status_code == status.HTTP_412_PRECONDITION_FAILED:
            response["Tus-Version"] = TUS_VERSION
        return response


class ResumableUploadListApi(TusMixin, ThrottledPostMixin, APIView):
    @extend_schema(
        summary="Start a resumable upload (tus)",
        description=(
            "The tus protocol's creation: headers `Upload-Length` (bytes, at most MAX_EPISODE_UPLOAD_BYTES) and "
            "`Upload-Metadata` (`filename <base64>,title <base64>`), no body. 201 with `Location`, the upload's "
            "address, where its bytes are PATCHed. Counts as an upload for the throttle."
        ),
        parameters=[*TUS_REQUEST_HEADERS,
                    OpenApiParameter("Upload-Length", int, OpenApiParameter.HEADER, required=True),
                    OpenApiParameter("Upload-Metadata", str, OpenApiParameter.HEADER)],
        request=None,
        responses={201: OpenApiResponse(None, description="created: its address in Location"),
                   413: OpenApiResponse(ErrorOutputSerializer, description="larger than an episode may be"),
                   **NOT_TUS,
                   429: OpenApiResponse(ErrorOutputSerializer, description="too many uploads: wait and try again"),
                   **error_responses(400, 401)},
    )
    def post(self, request):
        metadata = _metadata(request.headers.get("Upload-Metadata", ""))
        upload = resumable_create(owner=request.user, length=_header_int(request, "Upload-Length"),
                                  name=metadata.get("filename", ""), title=metadata.get("title", ""))
        location = request.build_absolute_uri(f"{request.path.rstrip('/')}/{upload.id}/")
        return Response(status=status.HTTP_201_CREATED, headers={"Location": location, **_expiry(upload)})

    @extend_schema(exclude=True)
    def options(self, request, *args, **kwargs):
        """tus discovery: what this server speaks, and the largest upload it takes."""
        return Response(status=status.HTTP_204_NO_CONTENT, headers={
            "Tus-Version": TUS_VERSION, "Tus-Extension": "creation,termination,expiration",
            "Tus-Max-Size": str(settings.MAX_EPISODE_UPLOAD_BYTES)})


class ResumableUploadDetailApi(TusMixin, APIView):
    @extend_schema(summary="Where a resumable upload stands (tus)",
                   description="`Upload-Offset`: the bytes received so far; `Upload-Length`: all of them.",
                   parameters=TUS_REQUEST_HEADERS,
                   responses={200: OpenApiResponse(None, description="the offset in Upload-Offset"), **NOT_TUS,
                              **error_responses(401, 404, descriptions={404: "no such upload of yours"})})
    def head(self, request, upload_id: str):
        upload = resumable_get(owner=request.user, upload_id=upload_id)
        return Response(status=status.HTTP_200_OK, headers={
            "Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length), "Cache-Control": "no-store",
            **_expiry(upload)})

    @extend_schema(
        summary="Send a resumable upload's next bytes (tus)",
        description=(
            f"Body: the bytes (`Content-Type: {CHUNK_TYPE}`) from `Upload-Offset`, which must be where the upload "
            "stands (409 otherwise: ask HEAD). A connection lost mid-way keeps what arrived. 204 with the new "
            "`Upload-Offset`; the last bytes answer 201 with the episode they made (processing queued), or the "
            "episode refusals of POST /api/episodes/ (400, 409 duplicate, 413, 507), after which the upload is gone."
        ),
        parameters=[*TUS_REQUEST_HEADERS, OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER,
                                                           required=True)],
        request={CHUNK_TYPE: OpenApiTypes.BINARY},
        responses={201: s.EpisodeDetailOutputSerializer,
                   204: OpenApiResponse(None, description="stored: the new offset in Upload-Offset"),
                   409: OpenApiResponse(ErrorOutputSerializer, description="not sent from the upload's offset"),
                   413: OpenApiResponse(ErrorOutputSerializer, description="more bytes than declared"),
                   415: OpenApiResponse(ErrorOutputSerializer, description=f"not {CHUNK_TYPE}"), **NOT_TUS,
                   **error_responses(400, 401, 404, descriptions={404: "no such upload of yours"})},
    )
    def patch(self, request, upload_id: str):
        if request.content_type.split(";")[0].strip() != CHUNK_TYPE:
            raise UnsupportedMediaType(request.content_type, detail=f"send the bytes as {CHUNK_TYPE}")
        declared = request.META.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) > settings.RESUMABLE_CHUNK_MAX_BYTES:
            raise EpisodeRejected(f"one PATCH may carry at most {settings.RESUMABLE_CHUNK_MAX_BYTES} bytes; send "
                                  "the rest in further requests", code="too_large")
        offset = _header_int(request, "Upload-Offset")
        chunks = iter(lambda: request._request.read(READ_BYTES), b"")  # the body as it arrives, never all in memory
        upload, episode = resumable_append(owner=request.user, upload_id=upload_id, offset=offset, chunks=chunks)
        headers = {"Upload-Offset": str(upload.offset)}
        if episode is not None:
            return episode_created(request, episode, headers=headers)
        return Response(status=status.HTTP_204_NO_CONTENT, headers={**headers, **_expiry(upload)})

    @extend_schema(summary="Give up a resumable upload (tus termination)", parameters=TUS_REQUEST_HEADERS,
                   responses={204: None, **NOT_TUS,
                              **error_responses(401, 404, descriptions={404: "no such upload of yours"})})
    def delete(self, request, upload_id: str):
        resumable_delete(owner=request.user, upload_id=upload_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = f"this is the tus protocol, version {TUS_VERSION}: send the header Tus-Resumable: {TUS_VERSION}"
    default_code = "tus_version"


def _header_int(request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit():
        raise ParseError(f"the {name} header must be a whole number of bytes, got {value!r}")
    return int(value)


def _metadata(header: str) -> dict[str, str]:
    """tus's Upload-Metadata: comma-separated `key base64(value)` pairs."""
    pairs = {}
    for item in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ParseError(f"Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text") from None
    return pairs


def _expiry(upload) -> dict[str, str]:
    return {"Upload-Expires": formatdate(resumable_expires(upload), usegmt=True)}
