"""Hooks that complete the OpenAPI schema drf-spectacular builds (SPECTACULAR_SETTINGS)."""

from __future__ import annotations

ERROR_REF = "#/components/schemas/Error"
INVALID_PAGE = "No such page: `page` is past the last page, or not a page number."


def document_invalid_pages(result, generator, request, public):
    """Every paginated list answers 404 for a page that does not exist (DRF's page-number
    pagination); say so on each operation that takes `page`."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                operation["responses"].setdefault(
                    "404",
                    {
                        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                        "description": INVALID_PAGE,
                    },
                )
    return result
