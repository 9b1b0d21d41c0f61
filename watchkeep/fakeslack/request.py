"""Turning an HTTP request into (params, token, client credentials).

Slack accepts the same arguments as a query string, a form body
(urlencoded or multipart) or a JSON body, and slack_sdk uses all of them:
the sync client POSTs JSON for ``chat.*``/``views.*`` and forms for the
rest, the async client GETs some read methods. Arguments that carry JSON
(``blocks``, ``attachments``, ``view``) arrive as strings in forms and query
strings; they are decoded here when they parse, and left as strings when
they don't so the method can answer its own format error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .errors import SlackError

JSON_ARGUMENTS = ("blocks", "attachments", "view", "metadata")


@dataclass
class ParsedRequest:
    http_method: str
    params: dict[str, Any]
    token: str | None
    basic_auth: tuple[str, str] | None
    # Where the app reached us (``http://127.0.0.1:PORT``): Socket Mode URLs point back here.
    origin: str = ""


async def parse_request(request: Request) -> ParsedRequest:
    """Merge query and body arguments (body wins) and find the credentials.

    Raises ``SlackError`` for bodies Slack itself would refuse
    (``invalid_json``, ``json_not_object``, ``invalid_form_data``).
    """
    params: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if ctype == "application/json":
        if raw.strip():
            try:
                data = json.loads(raw)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("json_not_object")
            # Slack ignores a token inside a JSON body: it must come as a header.
            data.pop("token", None)
            params.update(data)
    elif ctype == "multipart/form-data":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif raw:
        try:
            params.update(
                parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError):
            raise SlackError("invalid_form_data") from None
    for key in JSON_ARGUMENTS:
        if isinstance(params.get(key), str):
            # Undecodable values stay strings: the method answers its format error.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    bearer, basic = _authorization(request.headers.get("authorization", ""))
    token = bearer or _str(params.pop("token", None))
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return ParsedRequest(request.method, params, token or None, basic, origin)


def _authorization(header: str) -> tuple[str | None, tuple[str, str] | None]:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None, None
    if scheme.lower() == "basic":
        try:
            user, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return None, (user, password) if sep else None
    return None, None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_bool(value: Any) -> bool:
    """Slack booleans: JSON true/false, or "true"/"1" in forms (slack_sdk sends 1/0)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def as_list(value: Any) -> list[str]:
    """Slack lists: a JSON array, or a comma-joined string like ``users=U1,U2``."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]
