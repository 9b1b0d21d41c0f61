"""Domain errors as HTTP answers, in the same shape as FastAPI's own 422s."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from watchkeep.core.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)


class EchoSafeJSONResponse(JSONResponse):
    """A 422 echoes the input, which may hold a lone surrogate: written as a JSON
    escape rather than failing to encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


def _without_bulky_input(error: dict[str, Any]) -> dict[str, Any]:
    """The error, echoing its input only when that is small: a 100,000-character string
    or a document nested 500 deep is not worth sending back (nor encoding)."""
    value = error.get("input")
    if isinstance(value, dict | list) or (isinstance(value, str) and len(value) > 200):
        return {key: item for key, item in error.items() if key != "input"}
    return error


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if errors and all(error["loc"][0] == "path" for error in errors):
            # A path that names no row (`/incidents/99999999999999999999`) is not found.
            name, value = errors[0]["loc"][-1], errors[0].get("input")
            entity = str(name).removesuffix("_id").replace("_", " ")
            return EchoSafeJSONResponse({"detail": f"{entity} {value} not found"}, 404)
        detail = jsonable_encoder([_without_bulky_input(error) for error in errors])
        return EchoSafeJSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InvalidInputError)
    async def invalid_input(_: Request, exc: InvalidInputError) -> JSONResponse:
        # A dotted field ("layers.0.user_ids") becomes a path, as pydantic reports nested errors.
        path = [int(part) if part.isdigit() else part for part in exc.field.split(".")]
        detail = [{"loc": ["body", *path], "msg": exc.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(InvalidTransitionError)
    async def invalid_transition(_: Request, exc: InvalidTransitionError) -> JSONResponse:
        body = {"detail": str(exc), "action": exc.action, "status": exc.status.value}
        return JSONResponse(body, status_code=409)

    @app.exception_handler(ConflictError)
    async def conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(PermissionDeniedError)
    async def denied(_: Request, exc: PermissionDeniedError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)
