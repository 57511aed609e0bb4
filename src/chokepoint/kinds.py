"""The one element-kind type: ``link``, ``node`` or (failure) ``group``, and its one check."""

from __future__ import annotations

from typing import Literal

from chokepoint.errors import InputError

__all__ = ["KINDS", "Kind", "KindError", "check_kind"]

#: What an analysis can fail, close, rank or attack.
Kind = Literal["link", "node", "group"]
KINDS: tuple[Kind, ...] = ("link", "node", "group")


class KindError(InputError, ValueError):
    """A kind that is not ``link``, ``node`` or ``group`` (an input error and a value
    error)."""


def check_kind(kind: str) -> Kind:
    """``kind`` as a :data:`Kind`.

    Raises
    ------
    KindError
        If ``kind`` is not ``link``, ``node`` or ``group``.
    """
    if kind not in KINDS:
        raise KindError(f"kind must be link, node or group, not {kind!r}")
    return kind  # narrowed by the membership test
