"""Text a database can store: no NUL (PostgreSQL refuses it in text and JSON) and no
lone surrogate (which is not Unicode text, and cannot be written as UTF-8); and, in
JSON documents, no infinite or NaN number (not JSON, so PostgreSQL refuses it).

The JSON API and the forms refuse such text naming the field; alert ingestion
replaces each such character with U+FFFD instead, because an alert must never be
lost over one byte. Documents are walked without recursion: a body nested a
thousand deep must not exhaust the stack.
"""

from __future__ import annotations

import math
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
PROBLEM = "must not contain NUL characters or unpaired surrogates"


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def storable(value: str) -> str:
    """`value` with each character a database cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value)


def first_unstorable(document: Any) -> tuple[str | int, ...] | None:
    """The path to the first string (a value or a key) in `document` that cannot be
    stored, or None."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                return path
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if isinstance(key, str) and not is_storable(key):
                    return (*path, key)
                stack.append(((*path, key), item))
        elif isinstance(value, list | tuple):
            stack.extend(((*path, i), item) for i, item in reversed(list(enumerate(value))))
    return None


def storable_document(document: Any) -> Any:
    """`document` (JSON-like) with every string, key or value, `storable` and every
    non-finite number written out ("inf"); itself when there is nothing to change."""
    if _is_storable_document(document):
        return document
    if not isinstance(document, dict | list | tuple):
        return _storable_value(document)
    root: Any = {} if isinstance(document, dict) else []
    stack: list[tuple[Any, Any]] = [(document, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, dict | list | tuple):
                copy: Any = {} if isinstance(value, dict) else []
                stack.append((value, copy))
            else:
                copy = _storable_value(value)
            if isinstance(target, dict):
                target[storable(key) if isinstance(key, str) else key] = copy
            else:
                target.append(copy)
    return root


def _storable_value(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _is_storable_document(document: Any) -> bool:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                return False
        elif isinstance(value, float):
            if not math.isfinite(value):
                return False
        elif isinstance(value, dict):
            if not all(is_storable(key) for key in value if isinstance(key, str)):
                return False
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return True
