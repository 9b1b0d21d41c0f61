"""Domain errors as HTTP answers, in the same shape as FastAPI's own 422s."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from watchkeep.core.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)


def install_error_handlers(app: FastAPI) -> None:
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
