"""The web application: ``create_app(settings)`` builds it; nothing is created at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from service import queries
from service.charts import line_chart
from service.db import open_db
from service.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    # One connection, used only from the event loop's thread: every endpoint is ``async def``.
    app = FastAPI(title="liftmind", version="0.1.0")
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    db = open_db(settings.db_path)

    @app.exception_handler(queries.NotFound)
    async def not_found(request: Request, exc: queries.NotFound) -> Any:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return templates.TemplateResponse(request, "error.html", {"message": str(exc)}, status_code=404)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Any:
        return templates.TemplateResponse(request, "index.html", {"sessions": queries.list_sessions(db)})

    @app.get("/sessions/{session_id}", response_class=HTMLResponse)
    async def session_page(request: Request, session_id: int) -> Any:
        session = queries.get_session(db, session_id)
        hr = queries.heart_rate_series(db, session_id)
        chart = line_chart(
            [(t, float(b)) for t, b in hr], spans=[(s["start_s"], s["end_s"]) for s in session["sets"]]
        )
        return templates.TemplateResponse(request, "session.html", {"session": session, "hr_chart": chart})

    @app.get("/api/sessions")
    async def api_sessions() -> list[dict[str, Any]]:
        return queries.list_sessions(db)

    @app.get("/api/sessions/{session_id}")
    async def api_session(session_id: int) -> dict[str, Any]:
        session = queries.get_session(db, session_id)
        session["heart_rate"] = [{"t_s": t, "bpm": b} for t, b in queries.heart_rate_series(db, session_id)]
        return session

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
