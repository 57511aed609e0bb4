"""Every error of the web map as JSON ``{"error": message}``, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from chokepoint.errors import ChokepointError

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger("chokepoint.serve")


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """``{"error": message, ...}`` with ``status``."""
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _chokepoint_error(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, str(exc))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()]
    first = errs[0] if errs else {"loc": [], "msg": "invalid request"}
    msg = f"invalid request: {'.'.join(first['loc'])}: {first['msg']}"
    return error_response(422, msg, detail=errs)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _internal_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("internal error: %r", exc, exc_info=exc)
    return error_response(500, "internal error (details are in the server log)")


def install_error_handlers(app: FastAPI) -> None:
    """Typed errors → 400, validation → 422, HTTP errors as they are, anything else → 500
    (logged); every body is ``{"error": message}``."""
    app.add_exception_handler(ChokepointError, _chokepoint_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
