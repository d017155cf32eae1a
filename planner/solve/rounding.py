"""Programs with an integer per trade column (whole shares, a minimum trade size, commissions):
round the relaxation, then prove what the time allows.

Why not hand the whole program to HiGHS's MIP solver: its presolve does not look at the clock
(20,000 lots, whole shares and a $1,000 minimum: 13-18 s of presolve for a 1.5 s limit, with
the aggregator and probing rules doing nearly all of it) and its heuristics need seconds to find
a first plan on a few hundred integers. But the relaxation already decides nearly every
column: a basic solution leaves at most a few dozen trade columns strictly between zero and
their bound (1,000 lots: 31; 20,000: 3). So:

1. the root relaxation (already solved) is a lower bound on every plan; the program with its
   trade sizes relaxed but its other binaries kept (result signs, cash-first, wash groups:
   a few dozen) is solved exactly by :func:`branch_and_bound` from it, in milliseconds: a
   better bound, and a centre that decides those binaries (the root splits them);
2. every trade column that centre leaves at zero is fixed at zero, with its integers (its
   share count, its indicator), and the lots it sells whole are sold whole; the rest form a
   small MIP (a few hundred columns after presolve) whose optimum is a plan: the incumbent;
   then the same with the whole-lot sales free;
3. the incumbent improved two accounts at a time (:func:`_by_accounts`: every integer
   outside the pair fixed), then a last neighbourhood with every buy column free (another
   fund of a class: the relaxation's zero buys were where the plans differed);
4. when the incumbent is within the tolerance of the bound (``SolverOptions.tolerance``: the
   absolute gap, or with whole shares the drift penalty of one share per account) at any
   step, it is optimal; otherwise HiGHS's MIP on the whole program, started from the
   incumbent, gets the time left (presolve rules that ignore the clock switched off, and not
   started at all when the time left would not cover its presolve), and the better bound of
   the two is reported.

Each neighbourhood is a search for a plan within the tolerance of the bound: it is solved to
the gap its incumbent lacks for that (:func:`_gap`) and stops, a plan in hand, once its own
bound shows it holds none or its time slice is spent (:func:`_sub_mip`).

At 1,000 lots (whole shares, a $500 or $1,000 minimum, 10 seeds) the rounding was $3-17
above the sizes-relaxed bound; what HiGHS's MIP adds is the proof of the last dollars of
whole-share residue (a subset sum over share prices), 1-60 s: hence the tolerance. At 100
and 300 lots the plans within it were a search (CPU up to 5.1 s with the neighbourhoods of the
relaxation alone): step 3 brought them to 2.2 s at most (30-700 lots, 25 households) but one,
6.4 s (100 lots, seed 4), now 1.9 s with the gaps and stops above.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import replace

import highspy as hp
import numpy as np

from .branch_and_bound import branch_and_bound
from .highs import HighsLp
from .options import Method, SolverOptions
from .relaxation import LpState, SolverAnswer

# Presolve rules switched off for the whole program's MIP: parallel rows and columns (quadratic
# over look-alike lots), the aggregator and probing (13-18 s at 20,000 lots, unchecked by the
# time limit; 0.7-1.3 s without them).
MIP_PRESOLVE_RULES_OFF = 8192 | 4096 | 32768
PRESOLVE_PER_ROOT = 5.0       # the whole program's presolve costs about this many root solves
STRUCTURAL_GAP = 0.01         # dollars: the relaxation with sizes relaxed is solved this close
STRUCTURAL_SHARE = 0.5        # at most this share of the time left goes to solving it
# Each neighbourhood's time slice: past its root node (whose heuristics find most plans: 0.1-2 s
# at 100 lots) and with a plan in hand, it stops after this share of GOAL_S while the solve is
# younger than that, of the time left afterwards (the last one, every buy free, also gets at
# most LAST_TIME_SHARE of the time left, plan or not). So a neighbourhood that can neither
# reach the tolerance nor prove it cannot leaves time to the others and to HiGHS's full MIP:
# 100 lots, seed 8, a $500 minimum: the second neighbourhood searched 2,579 nodes for 5.3 s
# (the pairs then find a plan within the tolerance: 1.4 s in all). GOAL_S is the target of
# issue 11 for households of up to 1,000 lots.
STAGE_SHARE = 0.25
GOAL_S = 2.0
LAST_TIME_SHARE = 0.5
ZERO_TOL = 1e-7               # a column this close to zero (relative to its bound) is zero


def round_and_prove(model: HighsLp, root_value: float, root_x: np.ndarray, options: SolverOptions,
                    start: float, trade: np.ndarray, links: list[tuple[np.ndarray, np.ndarray]],
                    priority: np.ndarray, accounts: np.ndarray, buys: np.ndarray) -> SolverAnswer:
    """The best plan found by rounding the relaxation, proven where the time allows.

    ``trade``: solver columns of every trade (dollars per lot sold, per security bought).
    ``links``: (positions in ``trade``, solver columns) of the integers that belong to one trade
    column each (share counts, trade indicators): zero when their trade is fixed at zero.
    ``priority``: binaries the sizes-relaxed branch and bound splits first.
    ``accounts``: the account of each trade column, ``buys``: where it is a buy (both aligned
    with ``trade``).
    A plan within ``options.tolerance`` of the bound is OPTIMAL.
    """
    tolerance, time_limit = options.tolerance, options.time_limit_s

    def left() -> float:
        return time_limit - (time.perf_counter() - start)

    def stage_slice() -> float:
        """Seconds a neighbourhood with a plan in hand may search past its root."""
        elapsed = time.perf_counter() - start
        return STAGE_SHARE * (GOAL_S if elapsed < GOAL_S else left())

    linked = np.concatenate([columns for _, columns in links])
    bound, centre = root_value, root_x
    structural = np.setdiff1d(model.binary, linked)
    if len(structural):
        tree = _sizes_relaxed(model, structural, root_value, root_x, options, start, priority)
        if tree.status is LpState.INFEASIBLE:
            return tree
        if np.isfinite(tree.bound):
            bound = max(bound, tree.bound)
        if tree.x is not None:
            centre = tree.x
    x_trade, ub = centre[trade], model.upper[trade]
    zero = x_trade <= ZERO_TOL * np.maximum(ub, 1.0)
    full = ~zero & (x_trade >= ub * (1 - ZERO_TOL))     # a whole lot sold
    incumbent, value, nodes = None, np.inf, 0
    # Three neighbourhoods of the relaxation: the lots it sells whole fixed too (the smallest
    # MIP), then free; then, after the search account by account, every buy column free.
    steps = [(True, zero), (False, zero), None, (False, zero & ~buys)]
    for step in steps:
        if step is None:
            if incumbent is not None:
                incumbent, value, n = _by_accounts(model, incumbent, value, links, accounts,
                                                   tolerance, bound, left, stage_slice)
                nodes += n
                if value - bound <= tolerance:
                    return SolverAnswer(LpState.OPTIMAL, value, bound, 0.0, nodes, Method.ROUNDING, incumbent)
            continue
        fix_full, fix = step
        lower, upper = model.lower.copy(), model.upper.copy()
        lower[trade[fix]] = upper[trade[fix]] = 0.0
        if fix_full:
            lower[trade[full]] = upper[trade[full]]
        for positions, columns in links:
            off = columns[fix[positions]]
            lower[off] = upper[off] = 0.0
            if fix_full:    # every linked integer at its own bound: indicator 1, all shares
                on = columns[full[positions]]
                lower[on] = upper[on]
        last = step is steps[-1]
        x, v, n = _sub_mip(model, lower, upper, _gap(value, bound, tolerance),
                           LAST_TIME_SHARE * left() if last else left(), bound + tolerance, incumbent,
                           stage_slice())
        nodes += n
        if v < value:
            incumbent, value = x, v
        if value - bound <= tolerance:
            return SolverAnswer(LpState.OPTIMAL, value, bound, 0.0, nodes, Method.ROUNDING, incumbent)
    root_seconds = model.root_seconds if np.isfinite(model.root_seconds) else 0.0
    if left() <= PRESOLVE_PER_ROOT * root_seconds + 0.05:
        if incumbent is None:
            return SolverAnswer(LpState.TIME_LIMIT, np.inf, bound, 0.0, nodes, Method.ROUNDING)
        return SolverAnswer(LpState.TIME_LIMIT, value, min(bound, value), 0.0, nodes,
                            Method.ROUNDING, incumbent)
    # Within the tolerance of its own bound or of ours (a plan worth bound + tolerance): done.
    model.highs.setOptionValue("mip_abs_gap", tolerance)
    model.highs.setOptionValue("objective_target", bound + tolerance - model.offset)
    whole = model.mip(left(), incumbent, presolve_rule_off=MIP_PRESOLVE_RULES_OFF)
    if incumbent is not None and not (whole.objective < value):
        best = max(bound, whole.bound) if np.isfinite(whole.bound) else bound
        state = LpState.OPTIMAL if value - best <= tolerance else LpState.TIME_LIMIT
        return SolverAnswer(state, value, min(best, value), 0.0, nodes + whole.nodes,
                            Method.ROUNDING, incumbent)
    if np.isfinite(whole.objective):
        best = max(bound, whole.bound)
        state = LpState.OPTIMAL if whole.objective - best <= tolerance else LpState.TIME_LIMIT
        return SolverAnswer(state, whole.objective, min(best, whole.objective), 0.0,
                            nodes + whole.nodes, Method.HIGHS_MIP, whole.x)
    return whole


def _by_accounts(model: HighsLp, incumbent: np.ndarray, value: float,
                 links: list[tuple[np.ndarray, np.ndarray]], accounts: np.ndarray, tolerance: float,
                 bound: float, left, stage_slice=lambda: np.inf) -> tuple[np.ndarray, float, int]:
    """The incumbent improved two accounts at a time: every integer outside the pair fixed at
    the incumbent's value, the pair's integers all free (its zero trades too: another fund of
    a class, another lot), the continuous columns free; every pair, again while one improves.

    Why: with whole shares and a minimum trade, what separates a plan from the bound is each
    account's cash left unspent (drift), a subset sum over its own share prices, coupled to the
    other accounts through the class totals. The neighbourhoods of the relaxation hand that
    search to HiGHS over every account at once; a pair at a time it is a MIP of a few dozen
    integers, 0.02-1 s each at 100 lots. A pair rather than one account: a class one account
    buys more of, another must buy less of (one account at a time stalled: 100 lots, seed 4,
    $23 above the pairs' plan). 100 and 300 lots (seeds 0-4, a $500 minimum), with the last
    neighbourhood freeing every buy: CPU at most 2.1 s, where the rounding alone took up to
    5.1 s."""
    is_int = np.zeros(len(model.lower), dtype=bool)
    is_int[model.binary] = is_int[model.integer] = True
    owner = np.full(len(model.lower), -1)
    for positions, columns in links:
        owner[columns] = accounts[positions]
    pairs = list(itertools.combinations(np.unique(accounts), 2))
    nodes, since = 0, 0     # pairs tried since the last improvement
    # Round the pairs until each has been tried on the current incumbent (a second round over
    # pairs that already failed on it re-solves the same MIPs: 100 lots seed 4, 1.0 of 2.1 s).
    for pair in itertools.cycle(pairs):
        if since == len(pairs) or left() <= 0 or value - bound <= tolerance:
            break
        lower, upper = model.lower.copy(), model.upper.copy()
        fix = is_int & ~np.isin(owner, pair)
        lower[fix] = upper[fix] = np.round(incumbent[fix])
        x, v, n = _sub_mip(model, lower, upper, _gap(value, bound, tolerance), left(),
                           bound + tolerance, incumbent, stage_slice())
        nodes += n
        since += 1
        if v < value - 1e-6:
            incumbent, value, since = x, v, 1
    return incumbent, value, nodes


class _SizesRelaxed:
    """The whole program seen with only its structural binaries (the signs of the year's
    results, cash-first, wash groups) as binaries: the integers of trade sizes stay relaxed.
    A relaxation of the program that :func:`branch_and_bound` solves exactly by LP re-solves
    of the one HiGHS instance."""
    lp = HighsLp.lp
    _answer = HighsLp._answer

    def __init__(self, model: HighsLp, binary: np.ndarray) -> None:
        self._model, self.binary = model, binary

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def mip(self, time_left: float, incumbent: np.ndarray | None) -> SolverAnswer:
        """Past the node limit, no MIP: branch_and_bound keeps its best leaf and open bound."""
        return SolverAnswer(LpState.TIME_LIMIT, np.inf, -np.inf, 0.0, 0, Method.BRANCH_AND_BOUND)


def _sizes_relaxed(model: HighsLp, structural: np.ndarray, root_value: float, root_x: np.ndarray,
                   options: SolverOptions, start: float, priority: np.ndarray) -> SolverAnswer:
    """The program with its trade sizes relaxed, solved exactly (within a cent): a lower bound
    on every plan, and the centre the rounding starts from. The root relaxation alone splits
    the structural binaries (a wash group both sold at a loss and bought, each halfway): its
    bound was $54-176 below the plans found (1,000 lots, seeds 6-8), and the plans rounded from
    it $57-420 worse than those rounded from this one, found in 0.01-0.07 s. The model's
    bounds and basis are put back as the root left them."""
    basis = model.get_basis()
    relaxed = _SizesRelaxed(model, structural)
    elapsed = time.perf_counter() - start
    budget = elapsed + STRUCTURAL_SHARE * (options.time_limit_s - elapsed)   # the rest for the rounding
    try:
        return branch_and_bound(relaxed, relaxed, root_value, root_x,
                                replace(options, abs_gap=STRUCTURAL_GAP, time_limit_s=budget), start, priority)
    finally:
        model.highs.changeColsBounds(len(model.binary), model.binary, model.lower[model.binary],
                                     model.upper[model.binary])
        model.set_basis(basis)


def _gap(value: float, bound: float, tolerance: float) -> float:
    """The gap a neighbourhood is solved to: what its incumbent lacks to be within the
    tolerance of the whole program's bound (at most the tolerance).

    HiGHS prunes a node whose bound is within the gap of its incumbent; solved to the
    tolerance instead, a neighbourhood whose own bound lies above ours stopped short of plans
    it held that were within our tolerance: 100 lots, seed 4, a $500 minimum: the account pairs
    ended $1.31 above it, and the last neighbourhood (every buy free, solved then to 5% of the
    tolerance) took 6.4 s to find one (1.9 s now, in the second pair). 300 lots, seed 0:
    1.85 s to 0.5 s."""
    return min(tolerance, value - bound - tolerance)


def _sub_mip(model, lower: np.ndarray, upper: np.ndarray, abs_gap: float, time_left: float,
             target: float = -np.inf, start_x: np.ndarray | None = None, slice_s: float = np.inf,
             presolve: bool = True) -> tuple[np.ndarray | None, float, int]:
    """The program restricted to its columns not fixed, solved by HiGHS as a MIP. The fixed
    columns are taken out here (their part moved into the row bounds, rows left empty dropped)
    rather than by HiGHS's presolve: 0.1 s instead of 0.5-2.7 s at 20,000 lots. It stops at a
    plan worth ``target`` (within the gap of the whole program's bound: proven enough), and
    starts from ``start_x`` when given (a plan of a smaller neighbourhood, so feasible here:
    at 1,000 lots the second neighbourhood then ended 0-11 dollars better, CPU 0.6-1.2 s
    against 0.8-1.5 s).

    With a ``target``, it also stops, a plan in hand, once its own bound is past the target
    (no plan of this neighbourhood can be within the tolerance: proving its own optimum is
    then time taken from the other stages: 300 lots, seed 4, the first neighbourhood's bound
    was past it at the root, and it spent 1.5 s of the 2.1 s on 1,183 nodes) or after
    ``slice_s`` seconds (both past its root node).
    No restart: HiGHS restarts a MIP whose root fixed enough columns (by reduced cost, with
    the plan it starts from), and then runs the root's presolve, cut rounds and heuristics
    again; those root nodes were where the slowest households spent their time (100 lots,
    seeds 4, 10, 12 and 30 lots, seed 0, a $500 minimum: CPU 1.1-1.8 s instead of 1.8-3.4 s,
    one pair's sub-MIP 0.3 s instead of 2.1 s; every plan within its tolerance still). Cuts
    leave the LP after 2 rounds unused rather than 10: the root's cut rounds barely move these
    sub-MIPs' bounds (a few cents in 20 rounds) and each re-solves a larger LP; the ``--wide``
    benchmark (50 households of 30-1,000 lots), CPU max 3.6 s to 2.0 s, sum 35.7 s to 33.0 s,
    every plan within its tolerance (one run each, load 2.0-2.5: indicative).
    Returns (the whole program's solution, objective, nodes), or None when no plan was found."""
    if time_left <= 0:
        return None, np.inf, 0
    fixed = lower == upper
    keep = np.flatnonzero(~fixed)
    value = np.where(fixed, lower, 0.0)
    A = model.A
    shift = A @ value
    sub = A[:, keep].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    gone = np.setdiff1d(np.arange(A.shape[0]), rows)
    tol = 1e-6 * np.maximum(1.0, np.abs(shift[gone]))
    if np.any(shift[gone] < model.row_lower[gone] - tol) or np.any(shift[gone] > model.row_upper[gone] + tol):
        return None, np.inf, 0
    sub = sub[rows].tocsc()
    lp = hp.HighsLp()
    lp.num_col_, lp.num_row_ = len(keep), len(rows)
    lp.col_cost_ = model.cost[keep]
    lp.col_lower_, lp.col_upper_ = lower[keep], upper[keep]
    lp.row_lower_ = model.row_lower[rows] - shift[rows]
    lp.row_upper_ = model.row_upper[rows] - shift[rows]
    lp.a_matrix_.format_ = hp.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = sub.indptr, sub.indices, sub.data
    is_int = np.zeros(A.shape[1], dtype=bool)
    is_int[model.binary] = is_int[model.integer] = True
    lp.integrality_ = np.where(is_int[keep], hp.HighsVarType.kInteger, hp.HighsVarType.kContinuous).tolist()
    highs = hp.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    constant = float(model.cost @ value) + model.offset
    for name, option in (("mip_abs_gap", abs_gap), ("mip_rel_gap", 0.0), ("time_limit", time_left),
                         ("presolve_rule_off", MIP_PRESOLVE_RULES_OFF), ("mip_allow_restart", False),
                         ("mip_lp_age_limit", 2), ("presolve", "on" if presolve else "off"),
                         ("objective_target", target - constant if np.isfinite(target) else -hp.kHighsInf)):
        highs.setOptionValue(name, option)
    if start_x is not None:     # the last neighbourhood's plan: HiGHS's heuristics start from it
        sol = hp.HighsSolution()
        sol.col_value = list(start_x[keep])
        sol.value_valid = True
        highs.setSolution(sol)
    if np.isfinite(target):
        reach = target - constant

        def enough(event) -> None:
            """Past the root node (its heuristics find most plans), a plan in hand, and the
            neighbourhood's own bound past the target or its slice spent."""
            out = event.data_out
            if out.mip_primal_bound < hp.kHighsInf and out.mip_node_count >= 1 and (
                    out.running_time >= slice_s or out.mip_dual_bound >= reach):
                event.interrupt()
        highs.cbMipInterrupt.subscribe(enough)
    highs.run()
    info = highs.getInfo()
    if info.primal_solution_status != 2:
        return None, np.inf, int(info.mip_node_count)
    x = value.copy()
    x[keep] = highs.getSolution().col_value
    return x, float(model.cost @ x) + model.offset, int(info.mip_node_count)


def settle_structure(model: HighsLp, answer: SolverAnswer, trade: np.ndarray,
                     links: list[tuple[np.ndarray, np.ndarray]], seconds: float) -> SolverAnswer:
    """The plan's trades kept, its other binaries (result signs, the worksheet's min, the
    carryover's line 4, cash-first) re-solved exactly.

    A MIP stopped within a tolerance may leave such a binary on its worse side: schedule mode's
    line 25 = min(line 23, line 24) taken at line 24, $7.71 above the tax of the same trades
    (found by the schedule property at 200 examples). The objective of those trades is then
    over-stated and the model's tax differs from the evaluator's. With every trade and integer
    fixed only those few binaries are left: the program's tax of this trade list, exactly.
    Also the continuous columns (drift deviations, cash): HiGHS's MIP postsolve can hand back
    values that do not attain the objective it reports (a cash deviation $5.55 above |gap|
    while the reported objective had it tight: the model's drift $0.0555 above the
    evaluator's), so this small program is solved without presolve."""
    if answer.x is None:
        return answer
    fixed = np.concatenate([trade] + [columns for _, columns in links])
    lower, upper = model.lower.copy(), model.upper.copy()
    lower[fixed] = upper[fixed] = answer.x[fixed]
    x, value, nodes = _sub_mip(model, lower, upper, 0.0, max(seconds, 0.1), start_x=answer.x,
                               presolve=False)
    if x is None or not value < answer.objective:
        return answer
    return replace(answer, objective=value, bound=min(answer.bound, value), x=x,
                   nodes=answer.nodes + nodes)
