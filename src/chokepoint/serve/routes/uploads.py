"""Uploads: a scenario or network file, parsed as hostile input with its declared format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from starlette.exceptions import HTTPException

from chokepoint.errors import InputError
from chokepoint.io.untrusted import UPLOAD_SUFFIXES, read_untrusted
from chokepoint.io.write import to_jsonable
from chokepoint.serve.routes import server_state
from chokepoint.serve.state import ServerState, load_scenario

__all__ = ["UPLOAD_PATH", "router", "safe_name"]

UPLOAD_PATH = "/api/upload"
router = APIRouter()
State = Annotated[ServerState, Depends(server_state)]
Upload = Annotated[UploadFile, File(description=(
    "A self-contained scenario (.toml) or a network file: " + ", ".join(UPLOAD_SUFFIXES)))]


@router.post(UPLOAD_PATH, summary="Upload a scenario (.toml) or network file")
async def upload(file: Upload, state: State) -> dict[str, Any]:
    """Replace the loaded scenario with the uploaded one (read by the reader of its suffix
    only, with size and element limits checked before anything is built)."""
    cfg = state.settings
    name = Path(file.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"unsupported file kind {suffix or '(none)'!r}; upload one of "
                         + ", ".join(UPLOAD_SUFFIXES))
    data = await file.read(cfg.max_upload_bytes + 1)
    if len(data) > cfg.max_upload_bytes:
        raise HTTPException(413, f"upload larger than {cfg.max_upload_bytes:,} bytes")
    token = state.next_token()
    display = safe_name(name)
    limit = cfg.max_upload_elements
    loaded = await state.run(lambda: load_scenario(read_untrusted(
        data, suffix, display=display, max_elements=limit), token, display))
    state.current = loaded
    state.prewarm(loaded)
    return to_jsonable({"scenario": loaded.scenario.name, "file": display,
                        **loaded.scenario.network.summary()})


def safe_name(name: str) -> str:
    """A file name fit to show: letters, digits and ``._- `` only, at most 80 characters."""
    keep = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name)[:80]
    return keep or "upload"
