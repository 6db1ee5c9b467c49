"""Paths around things and around each other: static detours, separated starts, yielding in time.

Three mechanisms, general over archetypes:

- :class:`ObstacleMap` holds the footprints of everything that stands still
  (oriented rectangles with a height range).  :meth:`ObstacleMap.route` turns
  a straight leg ``p -> q`` of a mover into waypoints that go round every
  footprint in the way (inflated by the mover's half width and a margin),
  moves a goal that lies inside a footprint to just outside it, and lifts a
  flyer over what is below it instead of round it.  :class:`~scenegraph.world.stage.Actor`
  calls it for every straight leg, so every verb gets it.
- :func:`separate_starts` moves movers that start inside one another apart
  (one behind the other along the road for vehicles, side by side otherwise).
- :func:`scenegraph.world.yielding.yield_in_time` is a time-space reservation over the smoothed paths:
  movers in planning order reserve their swept boxes; a later mover whose box
  meets a reserved one waits (a stop inserted in its planned keys before the
  meeting) until the way is clear, or, when they start together, moves over
  by a lane.

Contact the text asks for (sit on, ride, carry, land on ...) is exempt:
the planner passes those things in ``ignore``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ObstacleMap", "separate_starts", "MARGIN", "footprint"]

MARGIN = 0.25  # metres kept between a mover and a thing it passes


def footprint(size, yaw: float) -> tuple[float, float]:
    """Half extents (x, z) of a box of ``size`` (w, h, d) turned by ``yaw``, as an axis-aligned rectangle."""
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    return 0.5 * (c * size[0] + s * size[2]), 0.5 * (s * size[0] + c * size[2])


@dataclass
class ObstacleMap:
    """Static footprints: ``ids`` (N,), ``center`` (N, 2) x, z; ``half`` (N, 2) local half extents;
    ``yaw`` (N,); ``y`` (N, 2) bottom and top."""

    ids: list = field(default_factory=list)
    center: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    half: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    yaw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @classmethod
    def build(cls, things: list[tuple[str, np.ndarray, float, np.ndarray]]) -> "ObstacleMap":
        """From ``(id, bottom-centre position (3,), yaw, size (3,))`` of things that do not move."""
        if not things:
            return cls()
        ids = [t[0] for t in things]
        pos = np.array([t[1] for t in things], dtype=np.float64)
        size = np.array([t[3] for t in things], dtype=np.float64)
        return cls(ids, pos[:, [0, 2]].copy(), size[:, [0, 2]] / 2, np.array([t[2] for t in things], dtype=np.float64),
                   np.stack([pos[:, 1], pos[:, 1] + size[:, 1]], axis=1))

    def __len__(self) -> int:
        return len(self.ids)

    def _cos_sin(self) -> tuple[np.ndarray, np.ndarray]:
        """cos and sin of every yaw, computed once (the map does not change after it is built)."""
        cs = self.__dict__.get("_cs")
        if cs is None:
            cs = self.__dict__["_cs"] = (np.cos(self.yaw), np.sin(self.yaw))
        return cs

    def _local(self, pts: np.ndarray) -> np.ndarray:
        """World (..., 2) x, z -> every obstacle's frame, (N, ..., 2)."""
        c, s = self._cos_sin()
        d = pts[None] - self.center.reshape((-1,) + (1,) * (pts.ndim - 1) + (2,))
        # the obstacle's local x is (cos, -sin) in (x, z); local z is (sin, cos)
        cx = c.reshape((-1,) + (1,) * (pts.ndim - 1))
        sx = s.reshape((-1,) + (1,) * (pts.ndim - 1))
        return np.stack([d[..., 0] * cx - d[..., 1] * sx, d[..., 0] * sx + d[..., 1] * cx], axis=-1)

    def _active(self, y0: float, y1: float, ignore: set) -> np.ndarray:
        keep = (self.y[:, 1] > y0 + 0.05) & (self.y[:, 0] < y1 - 0.05)
        if ignore:
            keep &= self._kept(ignore)
        return keep

    def _kept(self, ignore: set) -> np.ndarray:
        """(N,) bool: the footprints not in ``ignore`` (cached per ignore set: a mover asks many times)."""
        cache = self.__dict__.setdefault("_kept_cache", {})
        key = frozenset(ignore)
        mask = cache.get(key)
        if mask is None:
            if len(cache) > 256:
                cache.clear()
            mask = cache[key] = np.array([i not in key for i in self.ids], dtype=bool)
        return mask

    def first_hit(self, p: np.ndarray, q: np.ndarray, radius: float, y0: float, y1: float,
                  ignore: set = frozenset()) -> tuple[int, float] | None:
        """The obstacle the leg p -> q (x, z) first enters, inflated by ``radius``, and where (0..1); None if free."""
        if not len(self):
            return None
        active = self._active(y0, y1, ignore)
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        # broad phase: only footprints whose bounding circle (inflated) meets the leg's bounding box
        reach = self._reach() + radius * 1.4143  # the corner of the inflated footprint
        c = self.center
        active &= ((c[:, 0] + reach >= min(p[0], q[0])) & (c[:, 0] - reach <= max(p[0], q[0]))
                   & (c[:, 1] + reach >= min(p[1], q[1])) & (c[:, 1] - reach <= max(p[1], q[1])))
        near = np.flatnonzero(active)
        if not near.size:
            return None
        if near.size <= 16:  # a few: one at a time in plain floats (the same arithmetic, without array overhead)
            return self._slab_hit_few(near, p, q, radius)
        sub = self._subset(near)
        hit = sub._slab_hit(p, q, radius)
        return None if hit is None else (int(near[hit[0]]), hit[1])

    def _slab_hit_few(self, near: np.ndarray, p: np.ndarray, q: np.ndarray, radius: float) -> tuple[int, float] | None:
        """:meth:`_slab_hit` for the footprints ``near``, one by one: the first entered, in index order on a tie."""
        c, s = self._cos_sin()
        px, pz, qx, qz = float(p[0]), float(p[1]), float(q[0]), float(q[1])
        best, best_t = None, math.inf
        for k in near.tolist():
            cx, cz = float(self.center[k, 0]), float(self.center[k, 1])
            ck, sk = float(c[k]), float(s[k])
            dx, dz = px - cx, pz - cz
            lp = (dx * ck - dz * sk, dx * sk + dz * ck)
            dx, dz = qx - cx, qz - cz
            lq = (dx * ck - dz * sk, dx * sk + dz * ck)
            h = (float(self.half[k, 0]) + radius, float(self.half[k, 1]) + radius)
            enter, leave = -math.inf, math.inf
            inside = True
            for a in (0, 1):
                d = lq[a] - lp[a]
                if abs(d) < 1e-12:
                    lo, hi = (-math.inf, math.inf) if abs(lp[a]) <= h[a] else (math.inf, -math.inf)
                else:
                    t1, t2 = (-h[a] - lp[a]) / d, (h[a] - lp[a]) / d
                    lo, hi = min(t1, t2), max(t1, t2)
                enter, leave = max(enter, lo), min(leave, hi)
                inside = inside and abs(lp[a]) < h[a] - 1e-6
            if enter < leave and leave > 1e-6 and enter < 1.0 - 1e-6 and not inside and enter < best_t:
                best, best_t = k, enter
        return None if best is None else (best, float(max(best_t, 0.0)))

    def _reach(self) -> np.ndarray:
        r = self.__dict__.get("_r")
        if r is None:
            r = self.__dict__["_r"] = np.hypot(self.half[:, 0], self.half[:, 1]) + 1e-6
        return r

    def _subset(self, idx: np.ndarray) -> "ObstacleMap":
        sub = ObstacleMap.__new__(ObstacleMap)
        c, s = self._cos_sin()
        sub.__dict__.update(ids=None, center=self.center[idx], half=self.half[idx], yaw=self.yaw[idx], y=self.y[idx],
                            _cs=(c[idx], s[idx]))
        return sub

    def _slab_hit(self, p: np.ndarray, q: np.ndarray, radius: float) -> tuple[int, float] | None:
        """The slab test of :meth:`first_hit` over every footprint of this map (all active)."""
        lp = self._local(p)  # (N, 2)
        lq = self._local(q)
        h = self.half + radius
        d = lq - lp
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-h - lp) / d
            t2 = (h - lp) / d
        tmin = np.where(np.abs(d) < 1e-12, np.where(np.abs(lp) <= h, -np.inf, np.inf), np.minimum(t1, t2))
        tmax = np.where(np.abs(d) < 1e-12, np.where(np.abs(lp) <= h, np.inf, -np.inf), np.maximum(t1, t2))
        enter = np.max(tmin, axis=1)
        leave = np.min(tmax, axis=1)
        hit = (enter < leave) & (leave > 1e-6) & (enter < 1.0 - 1e-6)
        inside_start = np.all(np.abs(lp) < h - 1e-6, axis=1)
        hit &= ~inside_start  # a leg that starts inside (touching at the start) leaves it freely
        if not hit.any():
            return None
        k = int(np.argmin(np.where(hit, enter, np.inf)))
        return k, float(max(enter[k], 0.0))

    def outside(self, q: np.ndarray, radius: float, y0: float, y1: float, ignore: set = frozenset(),
                toward: np.ndarray | None = None) -> np.ndarray:
        """``q`` (x, z), moved out of any footprint it lies in (inflated by ``radius``): to the nearest
        side, or the side facing ``toward`` (where the mover comes from)."""
        q = np.asarray(q, dtype=np.float64).copy()
        for _ in range(4):
            if not len(self):
                return q
            active = self._active(y0, y1, ignore)
            lq = self._local(q)
            h = self.half + radius
            inside = active & np.all(np.abs(lq) < h - 1e-6, axis=1)
            if not inside.any():
                return q
            k = int(np.flatnonzero(inside)[0])
            local = lq[k].copy()
            if toward is not None:
                lt = self._local(np.asarray(toward, dtype=np.float64))[k]
                ax = int(np.argmax(np.abs(lt) / h[k]))
                local[ax] = math.copysign(h[k, ax] + 0.05, lt[ax] if abs(lt[ax]) > 1e-9 else 1.0)
            else:
                ax = int(np.argmax(np.abs(local) / h[k]))
                local[ax] = math.copysign(h[k, ax] + 0.05, local[ax] if abs(local[ax]) > 1e-9 else 1.0)
            c, s = math.cos(self.yaw[k]), math.sin(self.yaw[k])
            q = self.center[k] + np.array([local[0] * c + local[1] * s, -local[0] * s + local[1] * c])
            toward = None
        return q

    def _corners(self, k: int, pad: float) -> np.ndarray:
        hx, hz = self.half[k] + pad
        c, s = math.cos(self.yaw[k]), math.sin(self.yaw[k])
        loc = np.array([[-hx, -hz], [hx, -hz], [hx, hz], [-hx, hz]])
        return self.center[k] + np.stack([loc[:, 0] * c + loc[:, 1] * s, -loc[:, 0] * s + loc[:, 1] * c], axis=1)

    def route(self, p: np.ndarray, q: np.ndarray, radius: float, y0: float, y1: float, ignore: set = frozenset(),
              depth: int = 0) -> list[np.ndarray]:
        """Waypoints (x, z) from ``p`` to ``q`` (q last, p not included) that keep clear of every footprint."""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        hit = self.first_hit(p, q, radius, y0, y1, ignore)
        if hit is None or depth > 3:
            return [q]
        k, _ = hit
        corners = self._corners(k, radius + 0.1)
        d = q - p
        n = np.array([-d[1], d[0]])
        n /= max(np.linalg.norm(n), 1e-12)
        off = (corners - p) @ n
        side = -1.0 if (self.center[k] - p) @ n > 0 else 1.0  # go round on the side away from its centre
        pick = corners[off * side > 0]
        if len(pick) == 0:
            pick = corners[np.argsort(-off * side)[:2]]
        along = (pick - p) @ d
        pick = pick[np.argsort(along)]
        out: list[np.ndarray] = []
        here = p
        for c in pick:
            out += self.route(here, c, radius, y0, y1, ignore, depth + 1)
            here = c
        out += self.route(here, q, radius, y0, y1, ignore, depth + 1)
        return out

    def grid_route(self, p: np.ndarray, q: np.ndarray, radius: float, y0: float, y1: float,
                   ignore: set = frozenset(), cell: float = 0.35, margin: float = 6.0) -> list[np.ndarray] | None:
        """Waypoints (x, z) from ``p`` to ``q`` through a maze of footprints: a wavefront (8-connected
        distance field) over a grid of ``cell`` m round the two points, walked back downhill and pulled
        straight between corners; None when no way exists within ``margin`` m of the two points."""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        lo = np.minimum(p, q) - margin
        hi = np.maximum(p, q) + margin
        cell = max(cell, 0.8 * radius, float(np.max(hi - lo)) / 120.0)
        nx, nz = (np.ceil((hi - lo) / cell).astype(int) + 1)
        gx = lo[0] + cell * np.arange(nx)
        gz = lo[1] + cell * np.arange(nz)
        free = np.ones((nx, nz), bool)
        active = np.flatnonzero(self._active(y0, y1, ignore))
        h = self.half + radius
        r = np.hypot(h[active, 0], h[active, 1])
        cx, cz = self.center[active, 0], self.center[active, 1]
        # the grid lines inside each footprint's bounding square (gx, gz ascend: each a slice)
        ix0, ix1 = np.searchsorted(gx, cx - r, "left"), np.searchsorted(gx, cx + r, "right")
        iz0, iz1 = np.searchsorted(gz, cz - r, "left"), np.searchsorted(gz, cz + r, "right")
        for j in np.flatnonzero((ix1 > ix0) & (iz1 > iz0)):
            k = active[j]
            c, s_ = math.cos(self.yaw[k]), math.sin(self.yaw[k])
            dx = (gx[ix0[j]: ix1[j]] - self.center[k, 0])[:, None]
            dz = (gz[iz0[j]: iz1[j]] - self.center[k, 1])[None, :]
            lx, lz = dx * c - dz * s_, dx * s_ + dz * c
            block = (np.abs(lx) < h[k, 0]) & (np.abs(lz) < h[k, 1])
            free[ix0[j]: ix1[j], iz0[j]: iz1[j]] &= ~block
        si = tuple(np.clip(np.round((p - lo) / cell).astype(int), 0, [nx - 1, nz - 1]))
        gi = tuple(np.clip(np.round((q - lo) / cell).astype(int), 0, [nx - 1, nz - 1]))
        free[si] = free[gi] = True
        dist = np.full((nx + 2, nz + 2), np.inf)
        wall = np.ones((nx + 2, nz + 2), bool)
        wall[1:-1, 1:-1] = ~free
        dist[gi[0] + 1, gi[1] + 1] = 0.0
        steps = [(dx, dz) for dx in (-1, 0, 1) for dz in (-1, 0, 1) if dx or dz]
        X, Z = dist.shape
        # per shift: the step's length, inf into a wall (so nothing leaks through one), and a scratch array
        views = [(dist[max(dx, 0): X + min(dx, 0), max(dz, 0): Z + min(dz, 0)],
                  dist[max(-dx, 0): X + min(-dx, 0), max(-dz, 0): Z + min(-dz, 0)],
                  np.where(wall[max(dx, 0): X + min(dx, 0), max(dz, 0): Z + min(dz, 0)], np.inf, math.hypot(dx, dz)),
                  np.empty((X - abs(dx), Z - abs(dz)))) for dx, dz in steps]
        start, settled = (si[0] + 1, si[1] + 1), 0
        for _ in range(4 * (nx + nz)):  # relax until the distance at the start stops improving
            before = dist[start]
            for dst, src, w, tmp in views:
                np.add(src, w, out=tmp)
                np.minimum(dst, tmp, out=dst)
            if np.isfinite(dist[start]):
                settled = settled + 1 if dist[start] >= before - 1e-9 else 0
                if settled >= 3:
                    break
        if not np.isfinite(dist[si[0] + 1, si[1] + 1]):
            return None
        here = (si[0] + 1, si[1] + 1)
        cells = [here]
        for _ in range(nx * nz):
            if dist[here] == 0.0:
                break
            here = min(((here[0] + dx, here[1] + dz) for dx, dz in steps), key=lambda c: dist[c])
            cells.append(here)
        cells_a = np.array(cells)
        turn = np.flatnonzero(np.any(np.diff(cells_a, 2, axis=0) != 0, axis=1)) + 1 if len(cells) > 2 else np.zeros(0, int)
        keep = np.unique(np.concatenate([[0], turn, [len(cells) - 1]]))  # the path's corners only
        pts = [lo + cell * (cells_a[i].astype(np.float64) - 1.0) for i in keep]
        pts[0], pts[-1] = p, q
        out, here = [], p  # pulled straight: the farthest point in sight, repeatedly
        i = 0
        active = self._active(y0, y1, ignore)
        while i < len(pts) - 1:
            j = len(pts) - 1
            if j > i + 1:
                blocked = self._blocked(here, np.array(pts[i + 2:]), radius, active)
                clear = np.flatnonzero(~blocked)
                j = i + 2 + int(clear[-1]) if clear.size else i + 1
            out.append(pts[j])
            here, i = pts[j], j
        return out

    def _blocked(self, p: np.ndarray, qs: np.ndarray, radius: float, active: np.ndarray) -> np.ndarray:
        """(M,) bool: does the leg p -> qs[m] enter an ``active`` footprint (``first_hit`` is not None), for all m."""
        near = np.flatnonzero(active)
        if not near.size or not len(qs):
            return np.zeros(len(qs), bool)
        sub = self._subset(near)
        lp = sub._local(np.asarray(p, dtype=np.float64))  # (N, 2)
        lq = sub._local(qs)  # (N, M, 2)
        h = sub.half + radius  # (N, 2)
        d = lq - lp[:, None]
        lp_, h_ = lp[:, None], h[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-h_ - lp_) / d
            t2 = (h_ - lp_) / d
        flat = np.abs(d) < 1e-12
        tmin = np.where(flat, np.where(np.abs(lp_) <= h_, -np.inf, np.inf), np.minimum(t1, t2))
        tmax = np.where(flat, np.where(np.abs(lp_) <= h_, np.inf, -np.inf), np.maximum(t1, t2))
        enter = np.max(tmin, axis=2)
        leave = np.min(tmax, axis=2)
        hit = (enter < leave) & (leave > 1e-6) & (enter < 1.0 - 1e-6)
        hit &= ~np.all(np.abs(lp) < h - 1e-6, axis=1)[:, None]
        return hit.any(axis=0)

    def top_along(self, p: np.ndarray, q: np.ndarray, radius: float, ignore: set = frozenset()) -> float:
        """The highest top of the footprints the leg p -> q (x, z) passes over (0 when none)."""
        if not len(self):
            return 0.0
        top = 0.0
        for _ in range(len(self)):
            hit = self.first_hit(p, q, radius, -1e9, 1e9, ignore)
            if hit is None:
                break
            top = max(top, float(self.y[hit[0], 1]))
            ignore = set(ignore) | {self.ids[hit[0]]}
        return top


def separate_starts(actors: dict, order: list[str], road=None, exempt: set[frozenset] = frozenset()) -> list[str]:
    """Move movers (ids in ``order``, earliest first) whose start boxes overlap an earlier one's: vehicles
    on a road one behind the other along it, others beside it; ``exempt`` pairs (a group standing in its
    formation) stay.  Returns what was moved."""
    moved = []
    placed: list = []
    for eid in order:
        a = actors[eid]
        for _ in range(8):
            clash = None
            for b in placed:
                if frozenset((eid, b.id)) in exempt:
                    continue
                gap = np.abs((a.position - b.position)[[0, 2]])
                need = np.array(footprint(a.size, a.yaw)) + np.array(footprint(b.size, b.yaw)) + 0.3
                yo = min(a.position[1] + a.size[1], b.position[1] + b.size[1]) - max(a.position[1], b.position[1])
                if np.all(gap < need) and yo > 0.05:
                    clash = (b, need)
                    break
            if clash is None:
                break
            b, need = clash
            step = np.zeros(3)
            if road is not None and a.info is not None and a.info.kind == "vehicle":
                ax = road.axis
                back = -math.copysign(1.0, math.sin(a.yaw) if ax == 0 else math.cos(a.yaw))
                step[ax] = back * (need[0 if ax == 0 else 1] * 2 + 1.0 - abs((a.position - b.position)[ax]))
            else:
                fwd = np.array([math.sin(a.yaw), 0.0, math.cos(a.yaw)])
                side = np.array([-fwd[2], 0.0, fwd[0]])
                rel = (a.position - b.position) @ side
                width = need[0] if abs(side[0]) >= abs(side[2]) else need[1]
                step = side * (math.copysign(1.0, rel or 1.0) * (width * 2 - abs(rel)) * 0.5 + 0.0)
                step = side * math.copysign(width * 2 - abs(rel) + 0.1, rel or 1.0)
            a.teleport(a.position + step)
            a.home = a.position.copy()
            moved.append(eid)
        placed.append(a)
    return moved
