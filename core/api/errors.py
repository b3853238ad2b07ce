"""One error shape for the whole API: {"detail": str, "code": str, "errors": {field: [str]}}.

DRF's own shapes differ by error (a dict of fields for validation, {"detail"} otherwise); clients
and the OpenAPI schema are simpler with one. `errors` is present only for validation errors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import StateConflict


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This is not possible in the object's current state."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in plain words.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field; `non_field_errors` for the whole request.",
    )


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
        return out
    if isinstance(data, list) and all(not isinstance(item, (dict, list)) for item in data):
        return {prefix or "non_field_errors": [str(item) for item in data]}
    if isinstance(data, list):
        out = {}
        for index, item in enumerate(data):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(data)]}


def exception_handler(exc, context):
    # Services raise Django's ValidationError and StateConflict; give them their API statuses.
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, StateConflict):
        exc = Conflict(detail=exc.message)
    # DRF maps these itself, but on a copy: convert here so their codes are not lost as "error".
    elif isinstance(exc, Http404):
        exc = NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {
            "detail": "Some of what was sent is not valid. Nothing was changed.",
            "code": "invalid",
            "errors": _flatten(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", str(exc))
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {
            "detail": str(detail),
            "code": codes if isinstance(codes, str) else "error",
        }
    return response


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an operation can answer."""
    descriptions = {
        status.HTTP_400_BAD_REQUEST: "The request is not valid; nothing was changed.",
        status.HTTP_401_UNAUTHORIZED: "Not logged in, or the token is wrong or revoked.",
        status.HTTP_403_FORBIDDEN: "This role may not do this, or a second factor is needed.",
        status.HTTP_404_NOT_FOUND: "Not found, or not yours.",
        status.HTTP_409_CONFLICT: "The object is not in a state that allows this.",
        status.HTTP_429_TOO_MANY_REQUESTS: "Too many requests; try again later.",
    }
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=descriptions[code])
        for code in codes
    }
