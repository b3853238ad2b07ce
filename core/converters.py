"""Path converters every app's URLs use (registered in CoreConfig.ready)."""

from __future__ import annotations

# 18 digits: every such number fits a 64-bit primary key (the largest is 2**63 - 1, 19 digits).
MAX_ID_DIGITS = 18
MAX_ID = 10**MAX_ID_DIGITS - 1


class IdConverter:
    """A database id in a URL: `<id:name>` instead of `<int:name>`.

    Django's `int` takes any number of digits, so a number beyond 64 bits reached the database
    and answered 500 (SQLite cannot bind it, PostgreSQL refuses it). A longer number is no
    match, so the answer is the usual 404, on pages and in the API alike.
    """

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
