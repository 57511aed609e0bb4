"""A yard: containers waiting at a node for the next ship or train, first in first out."""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

__all__ = ["Yard"]


class Yard:
    """Containers waiting at ``node`` for leg ``leg``; ``expected`` will pass through it.

    ``storage_teu`` bounds the boxes *held at the port* (unloaded and not yet gone on), which
    includes boxes still being transferred from the quay; unloading waits for room.
    """

    def __init__(self, env: simpy.Environment, node: str, leg: int, expected: int,
                 teu_per_container: float, storage_teu: float = float("inf")) -> None:
        self.env = env
        self.node = node
        self.leg = leg
        self.expected = expected
        self.teu = teu_per_container
        self.storage_teu = storage_teu
        self.queue: deque[tuple[int, float]] = deque()
        self.put_count = 0
        self.held = 0  # boxes counted against storage (in transfer or waiting)
        self._arrival: simpy.Event | None = None
        #: consumers (ships) take turns: only the first in line watches the yard
        self.turn = simpy.Resource(env, capacity=1)
        self._space: simpy.Event | None = None
        # log of stays: container, time in, time out
        self.log_cid: list[int] = []
        self.log_in: list[float] = []
        self.log_out: list[float] = []

    # -- signals --------------------------------------------------------------------------------
    def _signal(self, attr: str) -> simpy.Event:
        ev = getattr(self, attr)
        if ev is None or ev.triggered:
            ev = self.env.event()
            setattr(self, attr, ev)
        return ev

    @staticmethod
    def _fire(ev: simpy.Event | None) -> None:
        if ev is not None and not ev.triggered:
            ev.succeed()

    # -- containers in and out ------------------------------------------------------------------
    def put(self, cid: int) -> None:
        """A container arrives and waits."""
        self.queue.append((cid, self.env.now))
        self.put_count += 1
        self._fire(self._arrival)

    @property
    def all_arrived(self) -> bool:
        """No more containers will come."""
        return self.put_count >= self.expected

    @property
    def exhausted(self) -> bool:
        """Every expected container has arrived and left."""
        return self.all_arrived and not self.queue

    def take(self, max_teu: float) -> list[int]:
        """Remove up to ``max_teu`` worth of containers, oldest first."""
        n = max(int(max_teu // self.teu), 1)
        now = self.env.now
        out: list[int] = []
        while self.queue and len(out) < n:
            cid, t_in = self.queue.popleft()
            out.append(cid)
            self.log_cid.append(cid)
            self.log_in.append(t_in)
            self.log_out.append(now)
        self.held = max(self.held - len(out), 0)
        self._fire(self._space)
        return out

    def reserve(self) -> Generator[simpy.Event, Any, None]:
        """Wait for storage room for one box, then count it as held."""
        while (self.held + 1) * self.teu > self.storage_teu + 1e-9:
            yield self._signal("_space")
        self.held += 1

    def wait_batch(self, cap_teu: float, max_wait_h: float
                   ) -> Generator[simpy.Event, Any, bool]:
        """Wait until a batch should leave: ``cap_teu`` waiting, the oldest box has waited
        ``max_wait_h``, or every expected box has arrived. Returns False when nothing is left
        to carry."""
        env = self.env
        while True:
            if not self.queue:
                if self.all_arrived:
                    return False
                yield self._signal("_arrival")
                continue
            if len(self.queue) * self.teu >= cap_teu - 1e-9 or self.all_arrived:
                return True
            deadline = self.queue[0][1] + max_wait_h
            if env.now >= deadline - 1e-9:
                return True
            yield env.any_of([self._signal("_arrival"), env.timeout(deadline - env.now)])

    def wait_slot(self, interval_h: float) -> Generator[simpy.Event, Any, bool]:
        """Timetabled departures: wait for the next slot (a multiple of ``interval_h``) with
        at least one box waiting. Returns False when nothing is left to carry."""
        env = self.env
        while True:
            if self.exhausted:
                return False
            k = int(env.now // interval_h)
            slot = k * interval_h
            if slot < env.now - 1e-9:
                slot = (k + 1) * interval_h
            if slot > env.now:
                yield env.timeout(slot - env.now)
            if self.queue:
                return True
            if self.all_arrived:
                return False
            yield self._signal("_arrival")
