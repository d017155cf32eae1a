"""A small best-first branch and bound over the program's few binaries, by warm-started LP
re-solves; HiGHS's own MIP solver takes over past a node or time limit.

Why: the plan's binaries are few (the signs of the year's short-term, long-term and total
results, cash-first, one per contested wash group), while its columns are many (one per lot).
HiGHS's MIP machinery pays per column at every stage (presolve, heuristics, sub-MIPs: 16 s at
1e5 lots); an LP re-solve after changing the bounds of a few binaries costs milliseconds from
the previous basis. Branching proves the plan optimal within the absolute gap, and any node or
time limit hands the rest, with the incumbent, to HiGHS's MIP solver, so the result is never
silently worse than reported. The answer carries its solution (``SolverAnswer.x``).
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np

from .highs import HighsLp
from .options import Method, SolverOptions
from .relaxation import Fallback, LpState, Relaxation, SolverAnswer


@dataclass
class _Node:
    fixed: dict[int, float]           # binary column -> 0 or 1
    start: object = None              # where its relaxation starts (its own once solved)
    x: np.ndarray | None = None       # its relaxation's solution, once solved
    value: float = np.inf             # its relaxation's optimum once solved, or a lower bound
    estimate: float = np.inf          # a probed node's working-set optimum (an upper bound)
    rounds: int = 0                   # sifting rounds already spent on it (probing it)


def branch_and_bound(model: HighsLp, relax: Relaxation, root_value: float, root_x: np.ndarray,
                     options: SolverOptions, start: float, priority: np.ndarray,
                     fallback: Fallback | None = None,
                     probes_count: bool = False) -> SolverAnswer:
    """Best-first search with diving: a node is solved when popped (children inherit the
    parent's bound), ties go to the deepest node, and the child in the direction the
    relaxation leans (or, for a priority binary, the one that looks better) is taken first,
    so the first leaf comes quickly and prunes the rest.

    ``relax`` solves the nodes' relaxations (``model`` itself or a :class:`SiftedLp` of it);
    ``model`` holds the whole program for HiGHS's MIP fallback; ``fallback(fixed, time_left,
    cutoff)`` solves a node sifting did not settle in ``options.node_rounds`` rounds (with
    ``probes_count``, where the fallback is cheap, a probe's rounds among them). A node
    never starts from whatever node was solved last but from its parent's basis: after a
    sibling that moved far, that is the difference between 0.4 s and 140 s at 1e6 lots."""
    abs_gap, time_limit, tol = options.abs_gap, options.time_limit_s, options.integrality_tol
    best, best_x = np.inf, None
    heap = [(root_value, 0, 0, _Node({}, None, root_x, root_value))]   # (bound, -depth, order, node)
    counter, nodes, proven = 1, 0, np.inf
    # The smallest bound of a node let go within the gap (its bound short of the incumbent by
    # less than abs_gap): what is proven of the plan is no more than that.
    pruned = np.inf
    is_priority = np.isin(model.binary, priority)

    def left() -> float:
        return time_limit - (time.perf_counter() - start)

    def solve_node(node: _Node, rounds: int, settle: bool = True) -> LpState:
        """Solve a node's relaxation (``settle``: to its end, the fallback taking it after
        ``rounds`` sifting rounds in all; else a probe of ``rounds`` rounds) and keep what it
        found on the node."""
        rounds_left = rounds - node.rounds if settle and probes_count else rounds
        answer = None
        if rounds_left > 0 or fallback is None:
            relax.set_basis(node.start)
            answer = relax.lp(node.fixed, warm_limit=model.root_seconds + 1.0, time_left=left(),
                              cutoff=best - abs_gap, max_rounds=max(rounds_left, 1))
        if settle and fallback is not None and \
                (answer is None or answer.state in (LpState.PROBED, LpState.ERROR)):
            # Sifting did not settle (the node is far from its parent).
            answer = fallback(node.fixed, left(), best - abs_gap)
        if answer.state is LpState.OPTIMAL:
            node.x, node.value, node.start = answer.x, answer.value, relax.get_basis()
        elif answer.state is LpState.PROBED:     # a lower bound, and its progress kept for later
            node.value, node.start, node.estimate = answer.value, relax.get_basis(), answer.estimate
            node.rounds += rounds_left
        elif answer.state is LpState.CUTOFF:     # a lower bound within the gap of the incumbent
            node.value = answer.value
        return answer.state

    while heap:
        bound, neg_depth, _, node = heapq.heappop(heap)
        if bound >= best - abs_gap:
            proven = bound   # the smallest bound left: nothing open can beat the incumbent
            heap.clear()
            break
        if node.x is None:
            state = solve_node(node, options.node_rounds)
            nodes += 1
            if state is LpState.TIME_LIMIT:   # out of time inside this node: it stays open
                heapq.heappush(heap, (bound, neg_depth, counter, node))
                break
            if state is LpState.ERROR:        # never pruned unsolved: HiGHS's MIP takes the rest
                heapq.heappush(heap, (bound, neg_depth, counter, node))
                return _hand_over(model, heap, best, best_x, nodes, left(), abs_gap, pruned)
            if state is LpState.CUTOFF:
                pruned = min(pruned, node.value)
            if state is not LpState.OPTIMAL:
                continue
        if node.value >= best - abs_gap:
            pruned = min(pruned, node.value)
            continue
        x = node.x
        frac = _fractionality(x, model.binary)
        if frac.max() <= tol:
            if node.value < best:
                best, best_x = node.value, x
            continue
        if nodes >= options.node_limit or left() < 0:
            heapq.heappush(heap, (node.value, neg_depth, counter, node))
            return _hand_over(model, heap, best, best_x, nodes, left(), abs_gap, pruned)
        open_ = frac > tol
        pick = open_ & is_priority if (open_ & is_priority).any() else open_
        k = int(np.argmax(np.where(pick, frac, -1.0)))
        j, lean = int(model.binary[k]), float(np.round(x[model.binary[k]]))
        if node.start is None:
            node.start = relax.get_basis()
        children = [_Node({**node.fixed, j: v}, node.start) for v in (lean, 1.0 - lean)]
        bounds = [node.value, node.value]
        if is_priority[k]:
            # A sign or cash-first binary moves the whole plan, and the side the relaxation
            # leans to can be far worse (at 1e6 lots: $75.8M against $2.0M): look at both
            # children now (with sifting, probe_rounds rounds each: a lower bound and an
            # estimate) and dive into the better one. A solved leaf is an incumbent at once.
            estimates = []
            for i, child in enumerate(children):
                state = solve_node(child, options.probe_rounds, settle=False)
                nodes += 1
                if state is LpState.OPTIMAL:
                    bounds[i] = child.value
                    estimates.append(child.value)
                    if _fractionality(child.x, model.binary).max() <= tol:
                        if child.value < best:
                            best, best_x = child.value, child.x
                        bounds[i] = np.inf
                elif state is LpState.PROBED:
                    bounds[i] = max(node.value, child.value)
                    estimates.append(child.estimate)
                elif state in (LpState.CUTOFF, LpState.INFEASIBLE):
                    if state is LpState.CUTOFF:
                        pruned = min(pruned, child.value)
                    bounds[i] = np.inf
                    estimates.append(np.inf)
                else:                   # time limit or error: left for when it is popped
                    child.start, child.x = node.start, None
                    estimates.append(np.inf)
            order = np.argsort(estimates, kind="stable")
            children = [children[i] for i in order]
            bounds = [bounds[i] for i in order]
        # The first child pops first: both carry the smaller bound (still a valid bound).
        key = min(bounds)
        for i, (child, b) in enumerate(zip(children, bounds)):
            if b < best - abs_gap:
                heapq.heappush(heap, (key, neg_depth - 1, counter + i, child))
            elif b < np.inf:
                pruned = min(pruned, b)
        counter += 2
    if heap:   # stopped by the time limit with nodes still open
        lower = min(min(b for b, *_ in heap), pruned)
        if best_x is None:
            return SolverAnswer(LpState.TIME_LIMIT, np.inf, lower, 0.0, nodes, Method.BRANCH_AND_BOUND)
        return SolverAnswer(LpState.TIME_LIMIT, best, min(best, lower), 0.0, nodes,
                            Method.BRANCH_AND_BOUND, best_x)
    if best_x is None:
        return SolverAnswer(LpState.INFEASIBLE, np.inf, np.inf, 0.0, nodes, Method.BRANCH_AND_BOUND)
    return SolverAnswer(LpState.OPTIMAL, best, min(best, proven, pruned), 0.0, nodes,
                        Method.BRANCH_AND_BOUND, best_x)


def _fractionality(x: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """How far each binary's value lies from 0 or 1."""
    return np.abs(x[binary] - np.round(x[binary]))


def _hand_over(model: HighsLp, heap: list, best: float, best_x: np.ndarray | None, nodes: int,
               time_left: float, abs_gap: float, pruned: float = np.inf) -> SolverAnswer:
    """HiGHS's own branch and bound takes the rest, from the incumbent; the better answer wins,
    and HiGHS's bound holds for the whole program whichever plan is kept (its optimum may
    come back a hair above the incumbent it was given)."""
    rest = model.mip(time_left, best_x)
    if rest.objective <= best:
        return rest
    bound = max(rest.bound, min(min(b for b, *_ in heap), pruned))
    state = LpState.OPTIMAL if best - bound <= abs_gap else LpState.TIME_LIMIT
    return SolverAnswer(state, best, min(best, bound), 0.0, nodes, Method.BRANCH_AND_BOUND, best_x)
