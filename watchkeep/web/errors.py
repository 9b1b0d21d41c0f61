"""Friendly error pages for the web UI; the JSON API keeps its own answers.

A page never shows a stack trace: unknown pages and records get a 404 page, a
role that may not act a 403 page, anything unexpected a 500 page (and the log
keeps the trace). Paths under `/api/` are answered as before, in JSON, except
the OAuth callback, which a browser visits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from watchkeep.core.errors import NotFoundError, PermissionDeniedError
from watchkeep.web.auth import CsrfFailed, Forbidden, LoginRequired
from watchkeep.web.rendering import is_htmx, login_url, redirect, render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]
BROWSER_API_PATHS = ("/api/settings/slack-oauth/",)


def is_web(request: Request) -> bool:
    path = request.url.path
    if path.startswith(BROWSER_API_PATHS):
        return True
    return not path.startswith(("/api/", "/docs", "/redoc", "/openapi.json", "/healthz"))


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    template = "fragments/error.html" if is_htmx(request) else "error.html"
    return render(
        request,
        template,
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


def install_error_pages(app: FastAPI) -> None:
    def web_or(exc_class: type[Exception], page: Handler) -> None:
        original = app.exception_handlers.get(exc_class)

        async def handle(request: Request, exc: Exception) -> Response:
            if is_web(request) or original is None:
                return await page(request, exc)
            return await original(request, exc)

        app.add_exception_handler(exc_class, handle)

    async def login(request: Request, _: Exception) -> Response:
        # After signing in, come back to the page (a form's target only takes POSTs).
        return redirect(request, login_url(request) if request.method == "GET" else "/login")

    async def forbidden(request: Request, exc: Exception) -> Response:
        message = str(exc) or "Your role does not allow this."
        return error_page(request, 403, "Not allowed", message)

    async def csrf(request: Request, _: Exception) -> Response:
        message = (
            "The form had expired or did not come from this site. Go back, reload, and try again."
        )
        return error_page(request, 403, "Form expired", message)

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_page(request, 404, "Not found", _not_found_message(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return await not_found(request, exc)
        if exc.status_code == 405:
            return error_page(request, 405, "Not allowed", "That page does not take this request.")
        return error_page(request, exc.status_code, "Something is off", str(exc.detail))

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return await not_found(request, exc)
        fields = sorted({str(error.get("loc", ("", "?"))[-1]) for error in exc.errors()})
        message = "Some input was not acceptable: " + ", ".join(fields) + "."
        return error_page(request, 422, "Check the form", message)

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_web(request):
            try:
                return error_page(
                    request,
                    500,
                    "Something went wrong",
                    "Watchkeep hit an unexpected error; it has been logged. Try again in a moment.",
                )
            except Exception:
                log.exception("the error page itself failed")
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(LoginRequired, login)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfFailed, csrf)
    if StarletteHTTPException not in app.exception_handlers:
        app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    web_or(StarletteHTTPException, http_error)
    if RequestValidationError not in app.exception_handlers:
        app.add_exception_handler(RequestValidationError, request_validation_exception_handler)
    web_or(RequestValidationError, invalid_request)
    web_or(NotFoundError, not_found)
    web_or(PermissionDeniedError, forbidden)
    app.add_exception_handler(Exception, crash)


def _not_found_message(exc: Exception) -> str:
    if isinstance(exc, NotFoundError):
        return f"There is no {exc.entity} {exc.ident}."
    return "There is no page at this address."
