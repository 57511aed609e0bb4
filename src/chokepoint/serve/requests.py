"""Request bodies and queries of the web map's API (pydantic models, bounded sizes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from chokepoint.errors import InputError

__all__ = ["CloseRequest", "ElementRef", "close_query"]

Id = Annotated[str, Field(min_length=1, max_length=200)]


class ElementRef(BaseModel):
    """An element to close: its id, and optionally its kind."""

    id: str = Field(min_length=1, max_length=200)
    kind: Literal["link", "node", "group"] | None = None


class CloseRequest(BaseModel):
    """``POST /api/close``: elements to close, optionally only from ``start`` to ``end``."""

    elements: list[ElementRef | Id] = Field(
        default_factory=list, max_length=1000,
        description="Ids (link, then node, then failure group) or {id, kind} objects.")
    start: dt.date | None = Field(None, description="First day closed (with end).")
    end: dt.date | None = Field(None, description="Last day closed, included.")
    sources: list[Id] = Field(
        default_factory=list, max_length=50,
        description="Throughput sources (node ids; default: the scenario's [flow]).")
    sinks: list[Id] = Field(
        default_factory=list, max_length=50,
        description="Throughput sinks (node ids; default: the scenario's [flow]).")

    @model_validator(mode="after")
    def _dates(self) -> CloseRequest:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start and self.end and self.end < self.start:
            raise ValueError("end is before start")
        return self

    def refs(self) -> list[str | tuple[str | None, str]]:
        """The elements as ids or (kind, id) pairs."""
        return [e if isinstance(e, str) else (e.kind, e.id) for e in self.elements]


def close_query(close: str, start: dt.date | None, end: dt.date | None) -> CloseRequest:
    """The :class:`CloseRequest` of a download link's query (``close=a,b&start=&end=``)."""
    ids = [x.strip() for x in close.split(",") if x.strip()]
    try:
        return CloseRequest(elements=list(ids), start=start, end=end)
    except ValueError as e:
        raise InputError(str(e).splitlines()[-1].strip()) from None
