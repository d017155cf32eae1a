"""What the branch and bound asks of a relaxation, whichever LP answers it: the whole program
(:class:`planner.solve.highs.HighsLp`) or a working set of it
(:class:`planner.solve.sifting.SiftedLp`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, Protocol

import numpy as np

from .options import Method


class LpState(StrEnum):
    """How one relaxation solve ended."""
    OPTIMAL = "optimal"          # solved: value is its optimum, x its solution
    CUTOFF = "cutoff"            # its lower bound passed the cutoff: the node cannot win
    PROBED = "probed"            # sifting stopped after its rounds: value a lower bound
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


class LpAnswer(NamedTuple):
    state: LpState
    value: float                 # optimum (OPTIMAL) or lower bound (CUTOFF, PROBED); else inf
    x: np.ndarray | None = None  # the solution in the whole program's columns (OPTIMAL)
    estimate: float = np.inf     # PROBED: the working set's optimum, an upper bound


# A node's relaxation solved another way when sifting did not settle it: (fixed, time_left,
# cutoff) -> its answer (planner.solve.driver makes them).
Fallback = Callable[[dict[int, float], float, float], LpAnswer]


class Relaxation(Protocol):
    def lp(self, fixed: dict[int, float], warm_limit: float | None = None, time_left: float = np.inf,
           cutoff: float = np.inf, max_rounds: int = 1) -> LpAnswer:
        """The relaxation with the binaries in ``fixed`` (column -> 0 or 1) fixed, the rest in [0, 1]."""

    def get_basis(self) -> object:
        """Where the last solve ended, to start a node from later."""

    def set_basis(self, start: object) -> None:
        """Start the next solve from ``start`` (None: from wherever the last one ended)."""


@dataclass(frozen=True, eq=False)
class SolverAnswer:
    """The solve's answer: how it ended, the best solution found and what is proven of it."""
    status: LpState               # OPTIMAL, TIME_LIMIT, INFEASIBLE or ERROR
    objective: float              # incl. cvxpy's constant offset; inf without a solution
    bound: float                  # proven lower bound
    seconds: float
    nodes: int
    method: Method
    x: np.ndarray | None = None   # the solution in solver columns
    sifting: dict[str, int] = field(default_factory=dict)   # the working set's figures, when sifted

    @property
    def gap(self) -> float:
        return max(0.0, self.objective - self.bound) if np.isfinite(self.objective) else np.inf
