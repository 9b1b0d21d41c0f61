"""Ids as the database keeps them: positive and within PostgreSQL's `integer`.

Anything else cannot name a row, so it is "not found" (or a bad input), never
a value handed to the database to overflow on.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """The id written in `raw` (`"42"`, `42`), or None when it cannot be one."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
