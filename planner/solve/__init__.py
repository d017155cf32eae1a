"""Solving: the program as a HiGHS LP (:mod:`.highs`, the only module touching cvxpy's
internals), relaxations on a working set (:mod:`.sifting`), a branch and bound over the few
binaries (:mod:`.branch_and_bound`) and the driver choosing among them (:mod:`.driver`)."""
from .driver import solve
from .options import Method, SolverOptions
from .relaxation import LpAnswer, LpState, Relaxation, SolverAnswer

__all__ = ["LpAnswer", "LpState", "Method", "Relaxation", "SolverAnswer", "SolverOptions", "solve"]
