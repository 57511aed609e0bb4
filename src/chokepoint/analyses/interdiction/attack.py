"""The attacker's choice set: elements of one kind, their arcs, costs and limits.

:func:`attack_model` builds it once per call; :func:`budget_rows` writes its count and budget
constraints (and, for timed attack options, "one timing per element") as sparse rows for any
of the MIPs in this package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chokepoint.compiled import CompiledNetwork
from chokepoint.errors import InputError

__all__ = ["KINDS", "AttackModel", "RowBlock", "attack_model", "budget_rows"]

KINDS = ("link", "node", "group")


@dataclass(kw_only=True)
class AttackModel:
    """Elements of one kind, the arcs each one removes, and what the attacker may take.

    Attributes
    ----------
    kind
        ``"link"``, ``"node"`` or ``"group"``.
    ids
        Every element id of the kind (index = element number).
    pair_elem, pair_arc
        The element–arc incidence (an arc may belong to several nodes or groups).
    attackable
        Per element: may be attacked (not protected, has arcs, cost within the budget).
    cost
        Per element attack cost (default 1).
    k, budget
        At most ``k`` elements (``None`` = no count limit) of total cost at most ``budget``.
    element_of
        For timed attack options (one entry per element and attack time): the element each
        entry attacks, so that an element takes at most one timing (``None``: entries are
        elements).
    """

    kind: str
    ids: list[str]
    pair_elem: np.ndarray
    pair_arc: np.ndarray
    attackable: np.ndarray
    cost: np.ndarray
    k: int | None
    budget: float
    element_of: np.ndarray | None = None

    @property
    def unit_cost(self) -> bool:
        """True when every attackable element costs 1."""
        return bool(np.all(self.cost[self.attackable] == 1.0))

    @property
    def max_count(self) -> int:
        """The most elements any feasible plan can hold (count and budget together)."""
        n = int(self.attackable.sum())
        if self.k is not None:
            n = min(n, self.k)
        if self.unit_cost:
            n = min(n, math.floor(self.budget + 1e-9))
        return max(n, 0)

    def arcs(self, elems: Sequence[int] | np.ndarray) -> np.ndarray:
        """Arcs removed by a set of element numbers (vectorised)."""
        if len(elems) == 0:
            return np.zeros(0, dtype=np.int64)
        mask = np.isin(self.pair_elem, np.asarray(elems, dtype=np.int64))
        return np.unique(self.pair_arc[mask])

    def feasible(self, elems: Sequence[int]) -> bool:
        """Whether a plan respects protection, the count limit and the budget."""
        e = np.asarray(list(elems), dtype=np.int64)
        if len(e) and not self.attackable[e].all():
            return False
        if self.k is not None and len(e) > self.k:
            return False
        return float(self.cost[e].sum()) <= self.budget + 1e-9

    def names(self, elems: Sequence[int] | np.ndarray) -> list[str]:
        """Element ids of element numbers."""
        return [self.ids[int(i)] for i in elems]


def attack_model(
    c: CompiledNetwork,
    *,
    kind: str,
    k: int | None,
    budget: float | None = None,
    cost: Mapping[str, float] | None = None,
    protected: Sequence[str] = (),
) -> AttackModel:
    """Build the attacker's choice set (vectorised over arcs; O(m log m)).

    Parameters
    ----------
    c
        The compiled network.
    kind
        ``"link"``, ``"node"`` or ``"group"``.
    k
        Most elements attacked (``None``: limited by ``budget`` only).
    budget
        Attack budget (default ``k``).
    cost
        Attack cost per element id (default 1; must be finite and >= 0).
    protected
        Element ids that cannot be attacked.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be link, node or group, not {kind!r}")
    if k is None and budget is None:
        raise InputError("give k (number of elements) or a budget")
    if k is not None and k < 0:
        raise InputError(f"k must be >= 0, got {k}")
    m = c.n_arcs
    arc = np.arange(m, dtype=np.int64)
    vn = c.vertex_node
    if kind == "link":
        ids = [str(x) for x in c.link_ids]
        index = c.link_index
        keep = c.arc_link >= 0
        pe, pa = c.arc_link[keep], arc[keep]
    elif kind == "node":
        ids = [str(x) for x in c.node_ids]
        index = c.node_index
        pe = np.concatenate([vn[c.tail], vn[c.head]])
        pa = np.concatenate([arc, arc])
    else:
        ids = [str(x) for x in c.group_ids]
        index = c.group_index
        pe = np.concatenate([c.arc_group, c.node_group[vn[c.tail]], c.node_group[vn[c.head]]])
        pa = np.concatenate([arc, arc, arc])
        keep = pe >= 0
        pe, pa = pe[keep], pa[keep]
    key = np.unique(pe.astype(np.int64) * max(m, 1) + pa)
    pair_elem, pair_arc = key // max(m, 1), key % max(m, 1)
    n = len(ids)
    costs = np.ones(n)
    for e, v in (cost or {}).items():
        if str(e) not in index:
            raise InputError(f"cost given for unknown {kind} {e!r}")
        fv = float(v)
        if not (math.isfinite(fv) and fv >= 0):
            raise InputError(f"attack cost must be finite and >= 0, got {v!r}",
                             element=f"{kind} {e!r}")
        costs[index[str(e)]] = fv
    b = float(budget) if budget is not None else float(k or 0)
    if not b >= 0:  # also NaN
        raise InputError(f"budget must be a number >= 0, got {b}")
    if math.isinf(b):  # unlimited: only the count limits the plan
        if k is None:
            raise InputError("an unlimited (inf) budget needs k, the number of elements")
        b = float(costs.sum()) + 1.0
    attackable = np.zeros(n, dtype=bool)
    attackable[np.unique(pair_elem)] = True
    for e in protected:
        if str(e) not in index:
            raise InputError(f"protected {kind} {e!r} is unknown")
        attackable[index[str(e)]] = False
    attackable &= costs <= b + 1e-9
    if k == 0:
        attackable[:] = False
    return AttackModel(kind=kind, ids=ids, pair_elem=pair_elem, pair_arc=pair_arc,
                       attackable=attackable, cost=costs, k=k, budget=b)


@dataclass(kw_only=True)
class RowBlock:
    """Sparse rows ``rows``/``cols``/``vals`` (COO) with upper bounds ``upper`` (one per row,
    numbered from the ``first_row`` given to :func:`budget_rows`; lower bounds are -inf)."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    upper: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows in the block."""
        return len(self.upper)


def budget_rows(model: AttackModel, elems: np.ndarray, cols: np.ndarray, *,
                first_row: int) -> RowBlock:
    """The attacker's limits on binary attack columns, as sparse rows.

    Parameters
    ----------
    model
        The attack model.
    elems, cols
        One entry per attack option: the element it attacks and its MIP column. An element
        may have several options (one per attack time); then a row "at most one option per
        element" is added for it, so ``k`` and ``budget`` count elements.
    first_row
        Number of the first row of the block.

    Returns
    -------
    RowBlock
        ``Σ x ≤ k`` (only when it binds), ``Σ cost_E x ≤ budget`` (only when it binds), and
        the per-element rows. O(number of options).
    """
    elems = np.asarray(elems, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    cost = model.cost[elems]
    if model.element_of is not None:
        elems = model.element_of[elems]
    n_e = len(np.unique(elems))
    rows: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    upper: list[float] = []
    r = first_row
    if model.k is not None and model.k < n_e:
        rows.append(np.full(len(cols), r))
        cc.append(cols)
        vals.append(np.ones(len(cols)))
        upper.append(float(model.k))
        r += 1
    if float(cost.sum()) > model.budget + 1e-9:
        rows.append(np.full(len(cols), r))
        cc.append(cols)
        vals.append(cost)
        upper.append(model.budget)
        r += 1
    if n_e < len(elems):
        _, inv, counts = np.unique(elems, return_inverse=True, return_counts=True)
        multi = counts[inv] > 1
        ids, dense = np.unique(inv[multi], return_inverse=True)
        rows.append(r + dense)
        cc.append(cols[multi])
        vals.append(np.ones(int(multi.sum())))
        upper += [1.0] * len(ids)
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return RowBlock(rows=z, cols=z, vals=np.zeros(0), upper=np.zeros(0))
    return RowBlock(rows=np.concatenate(rows), cols=np.concatenate(cc),
                    vals=np.concatenate(vals), upper=np.asarray(upper, dtype=float))
