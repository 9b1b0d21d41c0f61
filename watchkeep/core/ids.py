"""What an id from outside (a path, a query, a body, a form, a Slack button) may be.

Ids are Integer keys: 32-bit on PostgreSQL, so a larger number names nothing and
must be refused before it reaches a query, which both databases would fail on
(PostgreSQL: out of range; SQLite: too large for its driver). `Id` is the type
every API and page parameter that names a row uses; a path id out of range then
answers 404 like any unknown id, a query or body id 422.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

MAX_ID = 2**31 - 1

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]


def parse_id(raw: object) -> int | None:
    """The id a form field, button value or typed word names, or None when it names none."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
