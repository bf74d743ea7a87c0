"""The workspace's FastAPI app: the REST API, the pages, access control, the job runner.

:func:`create_app` opens the store (migrating it), recovers runs a previous server left
running, starts the supervisor (its workers are processes of their own) and serves.
Access: with a token set, every request needs it — ``Authorization: Bearer <token>``, or
the ``plantwise_token`` cookie that opening any page with ``?token=<token>`` sets; tokens
are compared in constant time and never logged. Errors never carry a stack trace to the
client: an unexpected one is answered ``500 internal error`` with an id that names the
traceback in the server's log.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import traceback
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from plantwise.core.pipeline import lock_pid, process_alive
from plantwise.workspace.api import ApiError, router
from plantwise.workspace.db import make_engine, session_factory, upgrade
from plantwise.workspace.settings import WorkspaceSettings

STATIC = Path(__file__).with_name("static")
TOKEN_COOKIE = "plantwise_token"
log = logging.getLogger("plantwise.workspace")


def open_store(settings: WorkspaceSettings):  # type: ignore[no-untyped-def]
    """The store's engine, migrated to the newest schema (the data folder is created)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "datasets").mkdir(exist_ok=True)
    (settings.data_dir / "runs").mkdir(exist_ok=True)
    engine = make_engine(settings.url)
    upgrade(engine)
    return engine


class StoreInUse(RuntimeError):
    """Another live server holds the store (its recovery would take this server's runs)."""


def hold_store(settings: WorkspaceSettings) -> Path:
    """``<data>/server.pid`` names the one server of the store; a live other one is refused."""
    path = settings.data_dir / "server.pid"
    pid = lock_pid(path)
    if pid is not None and pid != os.getpid() and process_alive(pid):
        raise StoreInUse(f"the store {settings.data_dir} is served by another plantwise server (pid {pid}); "
                         "stop it first, or give this one its own --data")
    path.write_text(f"{os.getpid()}\n")
    return path


def create_app(settings: WorkspaceSettings | None = None, *, start_workers: bool = True) -> FastAPI:
    settings = settings or WorkspaceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from plantwise.workspace.supervisor import Supervisor

        engine = open_store(settings)
        held = hold_store(settings) if start_workers else None
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.supervisor = Supervisor(settings, engine) if start_workers else None
        if app.state.supervisor is not None:
            app.state.supervisor.start()
        try:
            yield
        finally:
            if app.state.supervisor is not None:
                app.state.supervisor.stop()
            engine.dispose()
            if held is not None:
                with contextlib.suppress(OSError):
                    held.unlink()

    app = FastAPI(title="plantwise workspace", version=_version(), lifespan=lifespan,
                  description="Datasets, runs, plans and comparisons for the four plantwise families. "
                              "A run's summary is the contract's summary.json (summary.schema.json).")
    app.state.settings = settings
    app.state.supervisor = None

    @app.middleware("http")
    async def guard(request: Request, call_next):  # type: ignore[no-untyped-def]
        token = settings.token
        if token:
            given = request.headers.get("authorization", "")
            given = given[7:] if given.lower().startswith("bearer ") else ""
            query = request.query_params.get("token", "")
            cookie = request.cookies.get(TOKEN_COOKIE, "")
            ok = any(hmac.compare_digest(x.encode(), token.encode()) for x in (given, query, cookie) if x)
            if not ok:
                if request.url.path.startswith("/api") or request.url.path in ("/openapi.json", "/docs"):
                    return JSONResponse({"detail": "an access token is required (Authorization: Bearer ...)",
                                         "errors": []}, status_code=401)
                return Response("plantwise workspace: open this page with ?token=<access token>", status_code=401,
                                media_type="text/plain")
            if query and not request.url.path.startswith("/api"):
                response = RedirectResponse(str(request.url.remove_query_params("token")), status_code=303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return response
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_upload_bytes + 1024 * 1024:
            return JSONResponse({"detail": f"the request is larger than {settings.max_upload_bytes:,} bytes",
                                 "errors": []}, status_code=413)
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail), "errors": []}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"file": None, "row": None, "column": ".".join(str(p) for p in e.get("loc", ())),
                   "message": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse({"detail": "invalid request: " + "; ".join(f"{e['column']}: {e['message']}"
                                                                     for e in errors), "errors": errors},
                            status_code=422)

    @app.exception_handler(Exception)
    async def internal(_request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.error("internal error %s:\n%s", ref, "".join(traceback.format_exception(exc)))
        return JSONResponse({"detail": f"internal error (reference {ref}; the server's log has the details)",
                             "errors": []}, status_code=500)

    app.include_router(router)
    from plantwise.workspace.pages import pages

    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("plantwise")
    except PackageNotFoundError:
        return "0"
