"""Hooks that complete the OpenAPI schema drf-spectacular builds (SPECTACULAR_SETTINGS)."""

from __future__ import annotations

ERROR_REF = "#/components/schemas/Error"
INVALID_PAGE = "No such page: `page` is past the last page, or not a page number."
THROTTLED = "Too many requests; try again later."
UNSUPPORTED_MEDIA_TYPE = "The body is not in a media type this operation takes (JSON)."


def _error(description: str) -> dict:
    return {
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
        "description": description,
    }


def document_rate_limits(result, generator, request, public):
    """Every operation of a rate-limited view (DRF's throttles: all but crisis help) may answer
    429; say so where the view did not."""
    for path, _, method, callback in generator.endpoints or []:
        view = getattr(callback, "cls", None)
        if view is None or not view().get_throttles():
            continue
        operation = result.get("paths", {}).get(path, {}).get(method.lower())
        if operation is not None:
            operation["responses"].setdefault("429", _error(THROTTLED))
    return result


def document_unsupported_media_types(result, generator, request, public):
    """Every operation that takes a body answers 415 to one in another media type (DRF's
    parsers); say so on each."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["responses"].setdefault("415", _error(UNSUPPORTED_MEDIA_TYPE))
    return result


def document_invalid_pages(result, generator, request, public):
    """Every paginated list answers 404 for a page that does not exist (DRF's page-number
    pagination); say so on each operation that takes `page`."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                operation["responses"].setdefault("404", _error(INVALID_PAGE))
    return result
