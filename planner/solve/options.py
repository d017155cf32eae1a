"""How the program is solved: one frozen set of knobs the problem hands to the solver.

The problem (:class:`planner.problem.PlanProblem`) fills in the gap, time limit and threads
from the household's settings; the rest are tuning constants with the measurements behind
them. Tests pass their own instead of patching module globals.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Method(StrEnum):
    """What answered: an LP (no binaries), our branch and bound, HiGHS's MIP solver, or the
    relaxation rounded (integer trade sizes, :mod:`planner.solve.rounding`)."""
    LP = "lp"
    BRANCH_AND_BOUND = "branch_and_bound"
    HIGHS_MIP = "highs_mip"
    ROUNDING = "rounding"


@dataclass(frozen=True)
class SolverOptions:
    abs_gap: float = 1e-6                 # dollars of objective: proven optimal within this
    # Dollars: with whole shares, a plan this close to its bound is optimal too (the drift
    # penalty of one share per account, PlanProblem.share_gap); 0 without whole shares.
    share_gap: float = 0.0
    time_limit_s: float = 60.0
    threads: int | None = None
    # The relaxations are solved without presolve: since the columns a rule caps at zero are
    # dropped upstream, presolve finds little else and costs more than it saves (the
    # benchmark's 1e6-lot root: 4.9 s without, 7.8 s with; 1e5 lots: 0.22 s against 0.30 s).
    # Where HiGHS presolves anyway (its MIP fallback), its parallel rows/columns rule (8192)
    # stays off: it grows quadratically over look-alike lots (0.26 s became 12 s at 1e5,
    # shared/PERFORMANCE.md).
    presolve: bool = False
    presolve_rule_off: int = 8192
    # From this many lots on, the branch and bound's relaxations after the root are solved on
    # a working set of lots (sifting): exact either way, and it pays where pricing a million
    # columns per simplex iteration dominates (1e6 lots: solve 38 s -> 11 s), not at 1e5
    # (0.9 s on the whole program against 2.2 s sifted: the working set grew to most columns).
    sift_min_lots: int = 250_000
    # With sifting, the root relaxation starts from the program with each run of this many
    # neighbouring lots of a holding summed into one column (planner.solve.aggregate; 0 or 1:
    # the whole program, cold), and is sifted for at most root_sift_rounds rounds before the
    # whole program takes it. On seven 1e6-lot books: 0.4-0.6 s against 2.4-22 s cold.
    root_run: int = 8
    root_sift_rounds: int = 8
    # After such a root, a node sifts this many rounds from its parent's working set before it
    # starts over from its own aggregated point (node_rounds after a cold root).
    restart_rounds: int = 1
    # cvxpy's compile: its C++ canonicalization backend below this many columns (the same
    # matrices; 200 lots 33 -> 20 ms, 20,000 lots 49 -> 28 ms, 50,000 83 -> 64 ms), the SCIPY
    # backend from here (1e5 lots 75 against 83 ms; 1e6 0.88 s against 1.57 s).
    cpp_compile_max_columns: int = 75_000
    node_limit: int = 400                 # beyond this, HiGHS's own branch and bound takes over
    max_binaries: int = 5000              # beyond this (minimum trade sizes on big books) too
    integrality_tol: float = 1e-6
    probe_rounds: int = 1                 # sifting rounds on each child of a sign or cash-first binary
    node_rounds: int = 3                  # sifting rounds for a node before the whole program takes it
    near_columns: int = 4000              # sifted columns nearest their threshold kept in the working set
    max_sift_rounds: int = 200

    @property
    def tolerance(self) -> float:
        """Dollars of objective: a plan this close to the bound is reported optimal."""
        return max(self.abs_gap, self.share_gap)

    def highs(self) -> dict[str, object]:
        """The options every HiGHS instance of the solve is given."""
        options: dict[str, object] = {"presolve": "on" if self.presolve else "off",
                                      "presolve_rule_off": self.presolve_rule_off,
                                      "mip_rel_gap": 0.0, "mip_abs_gap": self.abs_gap}
        if self.threads:
            options["threads"] = self.threads
        return options
