"""Layout: spatial relations -> positions and yaws, without interpenetration.

:func:`solve_layout` places boxes (origin at the bottom centre, +Y up, ground
y = 0) so that every relation holds as the default camera sees the scene (it
looks down -Z from +Z): ``left_of`` = smaller x, ``in_front_of`` = larger z
(closer to the camera), ``behind`` = smaller z, ``on`` = bottom on the
object's top with the centre over its footprint, ``inside`` = contained in the
object's box, ``near`` = a horizontal gap below :data:`NEAR_GAP`, ``facing`` =
yaw that turns the subject's +Z towards the object.

Pinned items and anchors are placed first, then dependents in topological order of the
relations; each entity is placed by a seeded random search over the region its
relations allow (vectorised box tests), with restarts until the time budget
runs out.  Contradictions (``a left_of b`` and ``a right_of b``, two supports,
support cycles) and sets that cannot be met raise :class:`LayoutError`
naming the relations.

>>> items = [LayoutItem("table", (1.2, 0.75, 0.8), anchor=True), LayoutItem("mug", (0.1, 0.1, 0.1))]
>>> out = solve_layout(items, [("mug", "on", "table")], seed=0)
>>> float(out["mug"].position[1])
0.75
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from scenegraph.errors import LayoutError
from scenegraph.model import SPATIAL_RELATIONS
from scenegraph.model.digraph import DiGraph, has_cycle, has_path, lexicographical_topological_sort

__all__ = ["NEAR_GAP", "LayoutItem", "Placement", "solve_layout", "relation_text"]


#: the largest horizontal gap (metres) between two boxes that still counts as ``near``
NEAR_GAP = 1.5
_MARGIN = 0.05  # clearance (m) kept between boxes that must not touch
_EPS = 1e-6
_BATCH = 48  # candidate positions tested at once
_TRIES = 10  # batches per entity before a restart
_SUPPORT = ("on", "inside")
# relations that order two boxes along an axis: rel -> (axis, sign); sign -1: subject before object
_AXIS_ORDER = {"left_of": (0, -1), "right_of": (0, 1), "behind": (2, -1), "in_front_of": (2, 1)}


@dataclass
class LayoutItem:
    """A box to place: ``size`` (3,) metres = (width x, height y, depth z) at yaw 0.

    ``fixed_position`` pins the bottom centre; ``yaw`` (radians about +Y) pins
    the heading; ``anchor`` items are placed before everything else.
    """

    id: str
    size: Sequence[float]
    fixed_position: Sequence[float] | None = None
    yaw: float | None = None
    anchor: bool = False


@dataclass
class Placement:
    """Where a box ended up: bottom-centre ``position`` (3,) float64 metres and ``yaw`` radians."""

    position: np.ndarray
    yaw: float


def relation_text(rel: tuple[str, str, str]) -> str:
    """``('ball_1', 'left_of', 'box_1')`` -> ``'ball_1 left_of box_1'`` (how errors name relations)."""
    return f"{rel[0]} {rel[1]} {rel[2]}"


def _half_extents(size: np.ndarray, yaw: float | None) -> np.ndarray:
    """Half extents (3,) of the axis-aligned box around a box turned by ``yaw``.

    An unknown yaw (decided later by ``facing``) takes the circumscribed
    square, which holds the box at every yaw.
    """
    hx, hy, hz = size / 2.0
    if yaw is None:
        r = math.hypot(hx, hz)
        return np.array([r, hy, r])
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    return np.array([c * hx + s * hz, hy, s * hx + c * hz])


def _check_input(items: Sequence[LayoutItem], relations: Iterable) -> tuple[dict, list]:
    by_id: dict[str, LayoutItem] = {}
    for it in items:
        if it.id in by_id:
            raise LayoutError(f"layout: item id {it.id!r} appears twice")
        size = np.asarray(it.size, dtype=np.float64)
        if size.shape != (3,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
            raise LayoutError(f"layout: item {it.id!r} needs a positive size (x, y, z), got {it.size!r}")
        if it.fixed_position is not None:
            fp = np.asarray(it.fixed_position, dtype=np.float64)
            if fp.shape != (3,) or not np.all(np.isfinite(fp)):
                raise LayoutError(f"layout: item {it.id!r} fixed_position must be finite (x, y, z), got {it.fixed_position!r}")
        if it.yaw is not None and not math.isfinite(it.yaw):
            raise LayoutError(f"layout: item {it.id!r} yaw must be finite radians, got {it.yaw!r}")
        by_id[it.id] = it
    rels: list[tuple[str, str, str]] = []
    for r in relations:
        try:
            s, rel, o = r
        except (TypeError, ValueError):
            raise LayoutError(f"layout: a relation must be (subject, relation, object), got {r!r}") from None
        if rel not in SPATIAL_RELATIONS:
            raise LayoutError(f"layout: {relation_text(r)!r}: relation must be one of {', '.join(SPATIAL_RELATIONS)}")
        for who in (s, o):
            if who not in by_id:
                raise LayoutError(f"layout: {relation_text(r)!r} names {who!r}, which is not an item")
        if s == o:
            raise LayoutError(f"layout: {relation_text(r)!r} relates an item to itself")
        if (s, rel, o) not in rels:
            rels.append((s, rel, o))
    return by_id, rels


def _find_contradictions(by_id: dict, rels: list) -> None:
    """Raise LayoutError for relation sets no placement can satisfy, naming them."""
    support: dict[str, tuple] = {}
    for r in rels:
        if r[1] in _SUPPORT:
            if r[0] in support:
                raise LayoutError(
                    f"layout: contradictory relations {relation_text(support[r[0]])!r} and {relation_text(r)!r}:"
                    f" {r[0]} cannot rest on or in two things")
            support[r[0]] = r
    # an axis order between a supported box and its support contradicts the support
    for r in rels:
        if r[1] in _AXIS_ORDER:
            for a, b in ((r[0], r[2]), (r[2], r[0])):
                if a in support and support[a][2] == b:
                    raise LayoutError(
                        f"layout: contradictory relations {relation_text(support[a])!r} and {relation_text(r)!r}:"
                        f" {a} sits over {b}, so it cannot also be {r[1].replace('_', ' ')} it")
    # cycles: support chains, and orders along x and z
    graphs = {"support": DiGraph(), 0: DiGraph(), 2: DiGraph()}
    for r in rels:
        if r[1] in _SUPPORT:
            graphs["support"].add_edge(r[0], r[2], rel=r)
        elif r[1] in _AXIS_ORDER:
            axis, sign = _AXIS_ORDER[r[1]]
            a, b = (r[0], r[2]) if sign < 0 else (r[2], r[0])  # edge a -> b: a has the smaller coordinate
            graphs[axis].add_edge(a, b, rel=r)
    for g in graphs.values():
        if not has_cycle(g):
            continue
        import networkx as nx  # only to name the cycle

        cycle = nx.find_cycle(g.to_networkx())
        names = " and ".join(repr(relation_text(g.edges[u, v]["rel"])) for u, v in cycle)
        raise LayoutError(f"layout: contradictory relations {names}: they form a cycle")
    for r in rels:  # a box inside something too small for it
        if r[1] == "inside":
            s = np.asarray(by_id[r[0]].size, dtype=np.float64)
            o = np.asarray(by_id[r[2]].size, dtype=np.float64)
            if np.any(s > o + _EPS):
                raise LayoutError(
                    f"layout: {relation_text(r)!r} cannot hold: {r[0]} ({_fmt(s)} m) does not fit in"
                    f" {r[2]} ({_fmt(o)} m)")


def _fmt(v: np.ndarray) -> str:
    return " x ".join(f"{x:g}" for x in v)


def _placement_order(items: Sequence[LayoutItem], rels: list) -> list[str]:
    """Pinned items first, then anchors, then each object before its subjects (support edges always)."""
    g = DiGraph()
    rank = {it.id: i for i, it in enumerate(items)}
    g.add_nodes_from(rank)
    for s, rel, o in rels:  # supports are hard: the support is placed first
        if rel in _SUPPORT:
            g.add_edge(o, s)
    for s, rel, o in rels:
        if rel in _SUPPORT or rel == "facing" or g.has_edge(o, s):
            continue
        first, second = (o, s)
        if _priority(items, rank, s) < _priority(items, rank, o) and not _reaches(g, o, s):
            first, second = s, o  # a pinned or anchor subject goes before a free object
        if not _reaches(g, second, first):
            g.add_edge(first, second)
    return list(lexicographical_topological_sort(g, key=lambda n: (_priority(items, rank, n), rank[n])))


def _priority(items: Sequence[LayoutItem], rank: dict, node: str) -> int:
    it = items[rank[node]]
    return 0 if it.fixed_position is not None else (1 if it.anchor else 2)


def _reaches(g: DiGraph, a: str, b: str) -> bool:
    return a == b or has_path(g, a, b)


class _Boxes:
    """Boxes placed so far as arrays, for vectorised tests: outer box and inner footprint."""

    def __init__(self, n: int):
        self.lo = np.zeros((n, 3))  # outer box, min corner
        self.hi = np.zeros((n, 3))
        self.ilo = np.zeros((n, 3))  # inner box: inside the item at any yaw it may take
        self.ihi = np.zeros((n, 3))
        self.count = 0
        self.index: dict[str, int] = {}

    def add(self, name: str, pos: np.ndarray, half: np.ndarray, inner: np.ndarray) -> None:
        k = self.count
        self.lo[k], self.hi[k] = _box(pos, half)
        self.ilo[k], self.ihi[k] = _box(pos, inner)
        self.index[name] = k
        self.count += 1


def _box(pos: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min corner, max corner) of a box with bottom centre ``pos`` (..., 3) and half extents (3,)."""
    flat = np.array([half[0], 0.0, half[2]])
    top = np.array([half[0], 2.0 * half[1], half[2]])
    return pos - flat, pos + top


def _inner_half(size: np.ndarray, yaw: float | None) -> np.ndarray:
    """Half extents of an axis-aligned box inside the item at its yaw (at any yaw when unknown)."""
    if yaw is not None:
        return _half_extents(size, yaw)
    r = min(size[0], size[2]) / 2.0 / math.sqrt(2.0)
    return np.array([r, size[1] / 2.0, r])


class _Problem:
    """The fixed data of one solve: sizes, extents, relations per item, exempt pairs."""

    def __init__(self, by_id: dict, rels: list, yaw0: dict, extent: float | None):
        self.by_id = by_id
        size = {k: np.asarray(it.size, dtype=np.float64) for k, it in by_id.items()}
        self.half = {k: _half_extents(size[k], yaw0[k]) for k in by_id}
        self.inner = {k: _inner_half(size[k], yaw0[k]) for k in by_id}
        self.rels_of: dict[str, list] = {k: [] for k in by_id}
        for r in rels:
            if r[1] != "facing":
                self.rels_of[r[0]].append(r)
                self.rels_of[r[2]].append(r)
        self.inside_pairs = {frozenset((s, o)) for s, rel, o in rels if rel == "inside"}
        self.support = {s: o for s, rel, o in rels if rel in _SUPPORT}
        if extent is None:  # room for the free boxes; pinned ones (a road, a floor) need none
            area = sum(float(4 * h[0] * h[2]) for k, h in self.half.items() if by_id[k].fixed_position is None)
            extent = max(3.0, 0.75 * math.sqrt(area))
        self.extent = float(extent)


def _attempt(order: list, pb: _Problem, rng: np.random.Generator):
    """One greedy pass in ``order``: (positions, None) or (number placed, failing id)."""
    boxes = _Boxes(len(order))
    positions: dict[str, np.ndarray] = {}
    for name in order:
        pos = _place_one(name, pb, positions, boxes, rng)
        if pos is None:
            return boxes.count, name
        positions[name] = pos
        boxes.add(name, pos, pb.half[name], pb.inner[name])
    return positions, None


def _place_one(name: str, pb: _Problem, positions: dict, boxes: _Boxes, rng: np.random.Generator):
    """A position (3,) for ``name`` meeting its relations with placed boxes, or None."""
    item = pb.by_id[name]
    h = pb.half[name]
    hard = np.array([[-np.inf, np.inf], [-np.inf, np.inf]])  # rows: x, z
    windows: list[np.ndarray] = []
    y_range = (0.0, 0.0)
    near: list[int] = []
    for s, rel, o in pb.rels_of[name]:
        other = o if s == name else s
        if other not in boxes.index:
            continue
        k = boxes.index[other]
        lo, hi = boxes.lo[k], boxes.hi[k]
        if rel in _SUPPORT:  # name is the subject: supports are placed first
            ilo, ihi = boxes.ilo[k], boxes.ihi[k]
            for row, ax in ((0, 0), (1, 2)):
                a, b = ilo[ax] + h[ax], ihi[ax] - h[ax]
                if a > b:  # wider than the support: centre it
                    a = b = (ilo[ax] + ihi[ax]) / 2.0
                hard[row] = [max(hard[row, 0], a), min(hard[row, 1], b)]
            if rel == "on":
                y_range = (hi[1], hi[1])
            else:
                y_range = (lo[1], max(lo[1], hi[1] - 2.0 * h[1]))
        elif rel == "near":
            near.append(k)
            windows.append(np.array([[lo[0] - h[0] - 1.0, hi[0] + h[0] + 1.0], [lo[2] - h[2] - 1.0, hi[2] + h[2] + 1.0]]))
        else:
            axis, sign = _AXIS_ORDER[rel]
            if s != name:
                sign = -sign  # the other box is the subject: name lies on the other side
            row, cross = (0, 1) if axis == 0 else (1, 0)
            centre = (lo + hi) / 2.0
            win = np.empty((2, 2))
            cax = 2 if axis == 0 else 0
            win[cross] = [centre[cax] - 1.5, centre[cax] + 1.5]
            if sign < 0:  # name must end before the other box starts
                edge = lo[axis] - h[axis] - _MARGIN
                hard[row, 1] = min(hard[row, 1], edge)
                win[row] = [edge - 2.0, edge]
            else:
                edge = hi[axis] + h[axis] + _MARGIN
                hard[row, 0] = max(hard[row, 0], edge)
                win[row] = [edge, edge + 2.0]
            windows.append(win)
    _leave_room(name, pb, boxes, hard)
    if np.any(hard[:, 0] > hard[:, 1] + _EPS):
        return None
    if item.fixed_position is not None:
        cands = np.asarray(item.fixed_position, dtype=np.float64)[None, :]
        ok = _valid(name, cands, pb, boxes, near, hard)
        return cands[0].copy() if ok[0] else None
    win = _window(windows, hard, pb.extent)
    for attempt in range(_TRIES):
        grow = 0.75 * attempt
        lo_ = np.maximum(win[:, 0] - grow, hard[:, 0])
        hi_w = np.minimum(win[:, 1] + grow, hard[:, 1])
        hi_w = np.maximum(hi_w, lo_)
        cands = np.empty((_BATCH, 3))
        cands[:, 0] = rng.uniform(lo_[0], hi_w[0], _BATCH)
        cands[:, 2] = rng.uniform(lo_[1], hi_w[1], _BATCH)
        cands[:, 1] = rng.uniform(y_range[0], y_range[1], _BATCH) if y_range[1] > y_range[0] else y_range[0]
        if attempt == 0 and item.anchor and not windows and np.all(np.isinf(hard)):
            cands[0] = 0.0  # a free anchor takes the middle of the scene
        ok = _valid(name, cands, pb, boxes, near, hard)
        hit = np.flatnonzero(ok)
        if hit.size:
            return cands[hit[0]].copy()
    return None


def _leave_room(name: str, pb: _Problem, boxes: _Boxes, hard: np.ndarray) -> None:
    """Narrow ``hard`` so that unplaced boxes on the same support that must lie beside ``name`` still fit there."""
    sup = pb.support.get(name)
    if sup is None or sup not in boxes.index:
        return
    k = boxes.index[sup]
    h = pb.half[name]
    for s, rel, o in pb.rels_of[name]:
        other = o if s == name else s
        if rel not in _AXIS_ORDER or other in boxes.index or pb.support.get(other) != sup:
            continue
        axis, sign = _AXIS_ORDER[rel]
        if s == name:
            sign = -sign  # the other box lies on this side of name
        row = 0 if axis == 0 else 1
        need = 2.0 * pb.half[other][axis] + _MARGIN + h[axis]
        if sign < 0:  # the other box goes before name along the axis
            hard[row, 0] = max(hard[row, 0], boxes.ilo[k, axis] + need)
        else:
            hard[row, 1] = min(hard[row, 1], boxes.ihi[k, axis] - need)


def _window(windows: list, hard: np.ndarray, extent: float) -> np.ndarray:
    """Where to sample (2, 2): the common part of the relations' windows (their hull if none), within ``hard``."""
    if windows:
        stack = np.stack(windows)
        win = np.stack([stack[:, :, 0].max(axis=0), stack[:, :, 1].min(axis=0)], axis=1)
        empty = win[:, 0] > win[:, 1]
        win[empty] = np.stack([stack[:, empty, 0].min(axis=0), stack[:, empty, 1].max(axis=0)], axis=1)
    else:
        win = np.array([[-extent, extent], [-extent, extent]])
    for row in range(2):  # keep the window inside the hard bounds, 2 m deep where they are one-sided
        lo, hi = hard[row]
        if np.isfinite(lo) and np.isfinite(hi):
            win[row] = np.clip(win[row], lo, hi) if win[row, 1] >= lo and win[row, 0] <= hi else [lo, hi]
        elif np.isfinite(lo) and win[row, 1] < lo:
            win[row] = [lo, lo + 2.0]
        elif np.isfinite(hi) and win[row, 0] > hi:
            win[row] = [hi - 2.0, hi]
    return win


def _valid(name: str, cands: np.ndarray, pb: _Problem, boxes: _Boxes, near: list, hard: np.ndarray) -> np.ndarray:
    """Which candidate positions (B, 3) keep clear of placed boxes and meet bounds and ``near`` gaps -> (B,) bool."""
    n = boxes.count
    ok = (cands[:, 0] >= hard[0, 0] - _EPS) & (cands[:, 0] <= hard[0, 1] + _EPS)
    ok &= (cands[:, 2] >= hard[1, 0] - _EPS) & (cands[:, 2] <= hard[1, 1] + _EPS)
    if n == 0:
        return ok
    clo, chi = _box(cands, pb.half[name])
    pad = np.array([_MARGIN / 2, 0.0, _MARGIN / 2])
    hit = np.all((clo[:, None, :] - pad < boxes.hi[None, :n] - _EPS) & (chi[:, None, :] + pad > boxes.lo[None, :n] + _EPS), axis=2)
    exempt = [boxes.index[o] for o in boxes.index if frozenset((name, o)) in pb.inside_pairs]
    if exempt:
        hit[:, exempt] = False
    ok &= ~hit.any(axis=1)
    if near:
        ilo, ihi = _box(cands, pb.inner[name])
        k = np.asarray(near)
        dx = np.maximum(0.0, np.maximum(boxes.ilo[None, k, 0] - ihi[:, None, 0], ilo[:, None, 0] - boxes.ihi[None, k, 0]))
        dz = np.maximum(0.0, np.maximum(boxes.ilo[None, k, 2] - ihi[:, None, 2], ilo[:, None, 2] - boxes.ihi[None, k, 2]))
        ok &= np.all(np.hypot(dx, dz) < NEAR_GAP - 0.1, axis=1)
    return ok


def solve_layout(
    items: Sequence[LayoutItem],
    relations: Iterable[tuple[str, str, str]],
    *,
    seed: int = 0,
    time_budget_s: float = 1.0,
    extent: float | None = None,
) -> dict[str, Placement]:
    """Place ``items`` so that every relation holds and no two boxes interpenetrate.

    ``relations``: (subject, rel, object) with rel in SPATIAL_RELATIONS.
    ``extent``: half-size (m) of the square around the origin where unrelated
    items are scattered (default: from their total footprint).  Same input and
    seed -> the same placements.  Returns {id: Placement}.

    Raises LayoutError for a bad item or relation, contradictory relations
    (naming them), or a set the search cannot satisfy within the time budget.
    """
    by_id, rels = _check_input(items, relations)
    _find_contradictions(by_id, rels)
    if not items:
        return {}
    facing: dict[str, list] = {}
    for r in rels:
        if r[1] == "facing":
            facing.setdefault(r[0], []).append(r)
    # yaw known up front (given, or 0 when nothing turns the item); facing items wait for positions
    yaw0 = {k: (it.yaw if it.yaw is not None else (None if k in facing else 0.0)) for k, it in by_id.items()}
    pb = _Problem(by_id, rels, yaw0, extent)
    order = _placement_order(items, rels)
    rng = np.random.default_rng(seed)
    deadline = time.perf_counter() + time_budget_s
    worst: tuple[int, str] = (-1, order[0])
    while True:
        result, failed = _attempt(order, pb, rng)
        if failed is None:
            positions = result
            break
        if result > worst[0]:  # remember the item the deepest attempt stopped at
            worst = (result, failed)
        if time.perf_counter() > deadline:
            bad = worst[1]
            mine = [repr(relation_text(r)) for r in pb.rels_of[bad]]
            what = ", ".join(mine) if mine else "no overlap with the boxes around it"
            pin = " (its position is fixed)" if by_id[bad].fixed_position is not None else ""
            raise LayoutError(
                f"layout: could not place {bad!r}{pin} within {time_budget_s:g} s (seed {seed}) so that these hold: {what}")
    out: dict[str, Placement] = {}
    for k in by_id:
        yaw = yaw0[k]
        for r in facing.get(k, []):
            d = positions[r[2]] - positions[k]
            want = math.atan2(d[0], d[2]) if abs(d[0]) + abs(d[2]) > _EPS else 0.0
            if yaw is None:
                yaw = want
            elif abs(math.remainder(yaw - want, 2 * math.pi)) > 1e-3:
                others = [relation_text(x) for x in facing[k] if x is not r]
                why = f"{k} already turns to satisfy {others[0]!r}" if others else f"{k} has a fixed yaw"
                raise LayoutError(f"layout: {relation_text(r)!r} cannot hold: {why}")
        out[k] = Placement(position=positions[k].copy(), yaw=float(yaw))
    return out
