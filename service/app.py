"""The web application: ``create_app(settings)`` builds it; nothing is created at import time.

Errors are rendered by one set of handlers: JSON ``{"detail": "..."}`` under ``/api/`` (and for any client
that asks for JSON), the HTML error page elsewhere. Every client error is a 4xx with a message. A row id in a
path that no row can have (0, negative, beyond SQLite's INTEGER) is a 404 like any unknown id.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from service import api, pages, queries, store
from service.db import open_db
from service.remote_ingest import BatchWriter
from service.security import Guard
from service.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)
#: Row ids in URL paths (``/sessions/{session_id}``, ``/api/sets/{set_id}``) and the rows they name.
ROW_IDS = {"session_id": "session", "set_id": "set"}


def create_app(settings: Settings) -> FastAPI:
    # One read/write connection for the endpoints, used only from the event loop's thread (every endpoint is
    # ``async def``); remote batches go through the single writer thread and its own connection.
    db = open_db(settings.db_path)
    writer = BatchWriter(settings.db_path, live=settings.live_remote)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            writer.stop()

    app = FastAPI(title="liftmind", version="0.1.0", lifespan=lifespan, openapi_url="/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    app.state.db = db
    app.state.writer = writer
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    app.add_middleware(Guard, settings=settings)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(api.router)
    app.include_router(pages.build_router(db))
    _add_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """Browsers ask for it on any URL (the JSON API too); the pages link the same SVG."""
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"message": message, "heading": _heading(status)},
                                      status_code=status)


def _heading(status: int) -> str:
    """The error page's title: what kind of failure, in words (the message says which)."""
    named = {401: "Access token needed", 403: "Not allowed", 404: "Not found", 405: "Not allowed here",
             413: "Too large", 429: "Too many requests"}
    if status in named:
        return named[status]
    return "Invalid request" if status < 500 else "Something went wrong"


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the request body is not valid JSON"
    for e in errors:  # a whole number out of 1..2**62 names no row: not found, as an unknown id is
        loc = tuple(e.get("loc", ()))
        if loc[:1] == ("path",) and loc[-1] in ROW_IDS and e.get("type") in ("greater_than_equal",
                                                                             "less_than_equal"):
            return 404, f"{ROW_IDS[loc[-1]]} {e.get('input')} does not exist"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return 422, "; ".join(parts)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(queries.NotFound)
    async def not_found(request: Request, exc: queries.NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(store.Refused)
    async def refused(request: Request, exc: store.Refused) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, *_validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        messages = {404: f"no page at {request.url.path}", 405: f"{request.method} is not allowed here"}
        generic = exc.detail in ("Not Found", "Method Not Allowed")
        detail = messages.get(exc.status_code, exc.detail) if generic else exc.detail
        response = _error(request, exc.status_code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(request, 500, "internal error; the server log has the details")
