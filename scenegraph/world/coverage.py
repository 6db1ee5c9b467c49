"""Coverage: which camera films what, and when each one is live (the cut list).

After motion is planned, :func:`plan_coverage` checks the establishing camera
(``camera_1`` where :mod:`scenegraph.world.framing` put it) against the plan:

- the main subject (the first thing the prompt names) must reach a readable
  size, :func:`readable_fill` of the picture height (15%; less for a small
  thing beside much bigger ones);
- every actor must stay in the picture while it acts (a fifth of the time is
  enough for one that crosses, enters or leaves the view: that is what it was
  asked to do).

When the still camera cannot do that, a *follow* camera takes over: it keeps
the establishing camera's heading (so left and right read the same), looks
down between 4 and 20 degrees (:func:`follow_direction`: the horizon in the
upper part of the picture, the ground behind the subject) and trucks, cranes and dollies with a
smoothed centre of whoever acts, at a distance where the main subject fills
about :data:`FOLLOW_FILL` of the picture while everyone acting stays in it;
the things the actions name (the tree run round, the table jumped onto) stay
in view when that keeps the subject readable.  It starts on the establishing
view and pushes in (smoothly, at most :data:`PUSH_ACCEL`) where the clip has
time for it; where it has not, it starts on the follow framing if that sees
everything the prompt names at some point, else the establishing view is a
short shot of its own and the clip cuts to the follow camera.

When one framing cannot hold everyone acting at a readable size (actors far
apart, or actions one after another in different places) the clip is cut:
one shot per run of frames with the same actors, each its own camera entity,
with its time range.  A follow target that moves towards or away from the
camera is not followed along the view axis (it must be seen to come closer).

Pure functions over the planned actors; :mod:`scenegraph.world.builder`
turns the shots into camera entities and ``scene.metadata["shots"]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenegraph.model import quat_from_axis_angle, quat_from_yaw, quat_multiply
from scenegraph.world.camera_clear import blocking, clear_direction, clearance, hidden, occluder_boxes
from scenegraph.world.keyarrays import key_arrays

__all__ = ["look_rotation", "Shot", "FOLLOW_FILL", "PUSH_ACCEL", "readable_fill", "sample_actor", "smooth", "plan_coverage",
           "follow_shot", "follow_direction", "Framer", "active_cameras", "clearance", "blocking"]

FOLLOW_FILL = 0.3  # the share of the picture height a follow camera gives the main subject, where it can
PUSH_ACCEL = 3.0  # m/s^2: the most a push-in from the establishing view accelerates (smoothstep: 6 d / T^2)
SMOOTH = 0.5  # seconds: sigma of the Gaussian that smooths what the camera follows
MIN_DISTANCE = 1.0  # metres: no camera comes closer to what it films
MIN_SHOT = 1.5  # seconds: no shot is shorter (a cut needs time to read)
CONTEXT_FILL = 0.2  # what an action names is kept in view only while the lead fills this much of the height
_LEAVE = ("out_of_scene",)
_PASS = ("left_to_right", "right_to_left", "across", "into_scene", "out_of_scene")
_TOWARDS = ("towards_camera", "away_from_camera")
_QUIET = ("pause", "wait", "look_at")


FOLLOW_ELEVATION = (math.radians(4.0), math.radians(20.0))  # a follow camera looks down at least / at most


def look_rotation(forward: np.ndarray) -> np.ndarray:
    """Quaternion (4,) xyzw turning a camera's -Z to ``forward`` with +Y up (yaw, then pitch)."""
    f = np.asarray(forward, dtype=np.float64)
    f = f / np.linalg.norm(f)
    yaw = math.atan2(-f[0], -f[2])
    pitch = math.atan2(f[1], math.hypot(f[0], f[2]))
    return quat_multiply(quat_from_yaw(yaw), quat_from_axis_angle((1.0, 0.0, 0.0), pitch))


def follow_direction(back: np.ndarray, elevation: float | None = None) -> np.ndarray:
    """The establishing camera's direction (``back``: from the subject to the eye) for a close camera: the
    same heading, looking down between :data:`FOLLOW_ELEVATION` (a high view over obstacles is for far away),
    or ``elevation`` degrees where the prompt asks for a vantage (level for one from below)."""
    b = np.asarray(back, dtype=np.float64)
    flat = math.hypot(b[0], b[2])
    heading = b[[0, 2]] / flat if flat > 1e-9 else np.array([0.0, 1.0])
    if elevation is not None:
        elev = math.radians(float(np.clip(elevation, 0.0, 85.0)))
    else:
        elev = float(np.clip(math.atan2(b[1], max(flat, 1e-9)), *FOLLOW_ELEVATION))
    return np.array([heading[0] * math.cos(elev), math.sin(elev), heading[1] * math.cos(elev)])


@dataclass
class Shot:
    """One camera's part of the clip: keys (times (K,), positions (K, 3), rotations (K, 4) xyzw), live over
    [start, end) seconds."""

    start: float
    end: float
    times: np.ndarray
    positions: np.ndarray
    rotations: np.ndarray
    subjects: list[str] = field(default_factory=list)


def readable_fill(height: float, biggest: float, base: float = 0.15) -> float:
    """The share of the picture height a subject ``height`` metres tall needs, beside named things up to
    ``biggest`` metres tall (a cup on a shelf needs less than a dog)."""
    if biggest <= 0 or height >= 0.25 * biggest:
        return base
    return base * height / (0.25 * biggest)


def smooth(x: np.ndarray, sigma_frames: float, extrapolate: bool = False) -> np.ndarray:
    """Gaussian smoothing along axis 0, ``sigma_frames`` in samples.  The ends are held, or with
    ``extrapolate`` continued as they go (odd reflection: steady motion is left exactly as it is)."""
    x = np.asarray(x, dtype=np.float64)
    if sigma_frames < 0.5 or len(x) < 3:
        return x.copy()
    r = int(math.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    k /= k.sum()
    if extrapolate:
        idx = np.arange(1, r + 1)
        head = 2 * x[:1] - x[np.minimum(idx, len(x) - 1)][::-1]
        tail = 2 * x[-1:] - x[np.maximum(len(x) - 1 - idx, 0)]
    else:
        head, tail = np.repeat(x[:1], r, axis=0), np.repeat(x[-1:], r, axis=0)
    pad = np.concatenate([head, x, tail])
    if x.ndim == 1:
        return np.convolve(pad, k, mode="valid")
    return np.stack([np.convolve(pad[:, i], k, mode="valid") for i in range(x.shape[1])], axis=1)


def sample_actor(actor, times: np.ndarray, with_yaw: bool = False):
    """(F, 3) where ``actor`` (its box's bottom centre) is at ``times``: its keys, looped where it loops,
    and a ballistic fall (no bounce) from its dynamics' release on; with ``with_yaw`` also its heading (F,)."""
    kt, kp, kyaw = key_arrays(actor.keys)
    t = np.asarray(times, dtype=np.float64)
    if actor.loop and len(kt) > 1 and kt[-1] > kt[0]:
        t = kt[0] + np.mod(t - kt[0], kt[-1] - kt[0])
    out = np.stack([np.interp(t, kt, kp[:, i]) for i in range(3)], axis=1)
    if with_yaw:
        yaw = np.interp(t, kt, np.unwrap(kyaw))
    dyn = actor.dynamics
    if dyn is not None:
        s = float(dyn.start_time)
        p0 = np.array([np.interp(s, kt, kp[:, i]) for i in range(3)])
        if dyn.velocity is not None:
            v0 = np.asarray(dyn.velocity, dtype=np.float64)
        else:
            q = np.array([np.interp(s - 0.05, kt, kp[:, i]) for i in range(3)])
            v0 = (p0 - q) / 0.05
        g = max(float(dyn.gravity), 1e-6)
        # the time it lands: y0 + vy tau - g tau^2 / 2 = 0
        land = (v0[1] + math.sqrt(max(v0[1] ** 2 + 2 * g * max(p0[1], 0.0), 0.0))) / g
        tau = np.clip(np.asarray(times, dtype=np.float64) - s, 0.0, land)
        fall = p0 + v0 * tau[:, None] + np.outer(-0.5 * g * tau**2, [0.0, 1.0, 0.0])
        fall[:, 1] = np.maximum(fall[:, 1], 0.0)
        after = np.asarray(times) >= s
        out[after] = fall[after]
    return (out, yaw) if with_yaw else out


def _corners(bottom: np.ndarray, size: np.ndarray, yaw: np.ndarray | None = None) -> np.ndarray:
    """(F, 8, 3) corners of boxes of ``size`` (w, h, d) standing at ``bottom`` (F, 3), turned by ``yaw`` (F,)
    about +Y."""
    w, h, d = (float(v) for v in size)
    off = np.array([[sx * w / 2, y, sz * d / 2] for sx in (-1, 1) for sz in (-1, 1) for y in (0.0, h)])
    if yaw is None:
        return bottom[:, None, :] + off[None]
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = off[None, :, 0] * c + off[None, :, 2] * s
    z = -off[None, :, 0] * s + off[None, :, 2] * c
    return bottom[:, None, :] + np.stack([x, np.broadcast_to(off[None, :, 1], x.shape), z], axis=-1)


def _boxes(actor, times: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(F, 8, 3) corners of ``actor``'s box at ``times``; one that stands still (a key, no dynamics) is worked out
    once and the same (read-only) corners stand for every frame (a lot of a hundred parked cars)."""
    if len(actor.keys) == 1 and actor.dynamics is None:
        bottom, yaw = sample_actor(actor, times[:1], with_yaw=True)
        return np.broadcast_to(_corners(bottom, size, yaw), (len(times), 8, 3))
    bottom, yaw = sample_actor(actor, times, with_yaw=True)
    return _corners(bottom, size, yaw)


class Framer:
    """A fixed camera direction (``back``: unit, from the subject towards the eye) and lens (``yfov``,
    ``aspect``): what distance frames which points, and how big things look."""

    def __init__(self, back: np.ndarray, yfov: float, aspect: float):
        self.back = np.asarray(back, dtype=np.float64) / np.linalg.norm(back)
        right = np.cross([0.0, 1.0, 0.0], self.back)
        self.right = right / np.linalg.norm(right)
        self.up = np.cross(self.back, self.right)
        self.tan_v = math.tan(yfov / 2)
        self.tan_h = self.tan_v * aspect

    def view(self, eye: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Normalised image x, y (-1..1 inside the picture) and depth of points (F, N, 3) from eyes (F, 3)."""
        rel = pts - eye[:, None, :]
        depth = -(rel @ self.back)
        z = np.where(depth > 0.05, depth, np.nan)
        return (rel @ self.right) / (z * self.tan_h), (rel @ self.up) / (z * self.tan_v), depth

    def fill(self, eye: np.ndarray, corners: np.ndarray) -> np.ndarray:
        """(F,) share of the picture height the boxes (F, 8, 3) span (0 when behind or beside the picture)."""
        x, y, depth = self.view(eye, corners)
        front = np.all(depth > 0.05, axis=1)
        bad = np.isnan(x) | np.isnan(y)
        beside = (np.where(bad, -np.inf, x).max(axis=1) < -1) | (np.where(bad, np.inf, x).min(axis=1) > 1)
        yc = np.clip(np.where(bad, 0.0, y), -1, 1)
        span = (yc.max(axis=1) - yc.min(axis=1)) / 2
        return np.where(front & ~beside, span, 0.0)

    def inside(self, eye: np.ndarray, pts: np.ndarray, margin: float = 1.0) -> np.ndarray:
        """(F, N) points in the picture."""
        x, y, depth = self.view(eye, pts)
        with np.errstate(invalid="ignore"):
            return (depth > 0.05) & (np.abs(x) <= margin) & (np.abs(y) <= margin)

    def distance(self, pts: np.ndarray, centre: np.ndarray, fill: float = 0.85) -> np.ndarray:
        """(F,) distance along ``back`` from ``centre`` (F, 3) at which all points (F, N, 3) are in view."""
        rel = pts - centre[:, None, :]
        b, r, u = rel @ self.back, rel @ self.right, rel @ self.up
        need = np.maximum(b + np.abs(r) / (self.tan_h * fill), b + np.abs(u) / (self.tan_v * fill))
        return np.maximum(need.max(axis=1), (b + MIN_DISTANCE).max(axis=1))

    def reach(self, height: float, fill: float) -> float:
        """The distance at which a thing ``height`` metres tall spans ``fill`` of the picture height."""
        return height / (2 * self.tan_v * max(fill, 1e-3))


@dataclass
class _Cast:
    """Per frame: who acts (entity ids), what they act on, and the boxes of everyone."""

    times: np.ndarray
    boxes: dict[str, np.ndarray]  # id -> (F, 8, 3)
    acting: list[frozenset]  # per frame
    context: list[frozenset]  # per frame: what the actions name (targets, destinations)
    leaving: dict[str, float]  # id -> when it starts to leave the picture
    towards: bool  # someone comes towards or goes away from the camera
    passing: set[str]  # actors that cross, enter or leave the view
    obstacles: np.ndarray | None = None  # (N, 2, 3) boxes (lo, hi) of what stands still: no camera goes in or behind


def _cast(spec, members, actors, sizes, spans, times, main, obstacles=None) -> _Cast:
    boxes = {eid: _boxes(a, times, sizes[eid]) for eid, a in actors.items()}
    acting = [set() for _ in times]
    context = [set() for _ in times]
    leaving: dict[str, float] = {}
    towards = False
    passing: set[str] = set()
    for k, a in enumerate(spec.actions):
        if k not in spans:
            continue
        s, e = spans[k]
        who = [m for m in members(a.actor) if m in actors]
        if a.direction in _LEAVE or (a.to or "").startswith("offscreen"):
            for m in who:
                leaving[m] = min(leaving.get(m, math.inf), s)
        if a.direction in _PASS or (a.from_ or "").startswith("offscreen"):
            passing.update(who)
        towards = towards or a.direction in _TOWARDS
        named = [members(r)[0] for r in (a.target, a.to, a.via, a.from_) if r and members(r)
                 and members(r)[0] in actors]
        lo, hi = np.searchsorted(times, s - 0.25), np.searchsorted(times, max(e, s + 0.5) + 0.5)
        for f in range(lo, min(hi, len(times))):
            if a.verb not in _QUIET or not acting[f]:
                acting[f].update(who)
            context[f].update(named)
    for m, t0 in leaving.items():  # once it leaves, nobody follows it out
        for f in range(int(np.searchsorted(times, t0 + 0.5)), len(times)):
            acting[f].discard(m)
            context[f].discard(m)
    if main is not None:
        for f in range(len(times)):
            if not acting[f] and (main not in leaving or times[f] < leaving[main] + 0.5):
                acting[f].add(main)
    acts = {m for s in acting for m in s}
    still = [part for e, a in actors.items() if len(a.keys) < 2 and a.dynamics is None and e not in acts
             and blocking(np.stack([boxes[e][0].min(axis=0), boxes[e][0].max(axis=0)]))
             for part in occluder_boxes(np.stack([boxes[e][0].min(axis=0), boxes[e][0].max(axis=0)]),
                                        getattr(a.info, "archetype", None))]
    obs = [np.asarray(o, dtype=np.float64) for o in (obstacles if obstacles is not None else [])] + still
    return _Cast(times, boxes, [frozenset(x) for x in acting], [frozenset(x) for x in context], leaving,
                 towards, passing, np.array(obs).reshape(-1, 2, 3))


def _static_ok(cast: _Cast, framer: Framer, eye: np.ndarray, main: str | None, need: float) -> bool:
    """Whether the establishing camera alone films the plan well enough."""
    eyes = np.repeat(eye[None], len(cast.times), axis=0)
    if main is not None and float(framer.fill(eyes, cast.boxes[main]).max()) < need * 1.03:
        return False
    for eid in {e for s in cast.acting for e in s}:
        frames = np.array([eid in s for s in cast.acting])
        if not frames.any():
            continue
        centre = cast.boxes[eid][frames].mean(axis=1)[:, None, :]
        seen = framer.inside(eyes[frames], centre, margin=1.0)[:, 0]
        share = 0.2 if eid in cast.passing else 0.75
        if float(seen.mean()) < share:
            return False
        if eid == main and seen.any() and cast.obstacles is not None and len(cast.obstacles):
            # seen through a wall is not seen: the sight line from the eye to it must be clear
            mid = centre[seen][:, 0, :]
            if float(hidden(eye, mid, cast.obstacles).mean()) > 0.25:
                return False
    return True




def _follow(cast: _Cast, framer: Framer, frames: np.ndarray, lead: str | None, need: float, fps: float,
            distance_hint: float | None = None, only: frozenset | None = None,
            fill: float = FOLLOW_FILL, info: dict | None = None) -> tuple[np.ndarray, bool]:
    """Eyes (len(frames), 3) of a camera following who acts over ``frames`` (of them, only those in ``only``
    must be in the picture; the others are kept in it where the lead stays readable); and whether everyone
    who must fitted at a readable size of ``lead``.  ``info`` (a dict) gets the followed centres ("centre",
    (F, 3)), the distance wanted before obstacles ("want", (F,)) and the least that keeps the lead whole
    ("least", (F,))."""
    pts, ctx = [], []
    for f in frames:
        acting = cast.acting[f] if only is None else cast.acting[f] & only
        who = sorted(acting) or ([lead] if lead else sorted(cast.acting[f]))
        pts.append(np.concatenate([cast.boxes[e][f] for e in who]))
        extra = sorted((cast.context[f] | cast.acting[f]) - set(who))
        ctx.append(np.concatenate([cast.boxes[e][f] for e in extra]) if extra else pts[-1][:0])
    n = max(len(p) for p in pts)
    must = np.stack([np.concatenate([p, np.repeat(p[-1:], n - len(p), axis=0)]) for p in pts])
    lead_box = cast.boxes[lead][frames] if lead else must
    h = float(np.ptp(lead_box[0][:, 1])) if lead else 1.0
    far = framer.reach(h, need * 1.2)
    near = framer.reach(h, fill) if distance_hint is None else min(distance_hint, far)
    near = max(near, MIN_DISTANCE + 0.5 * h)
    lo, hi = must.min(axis=1), must.max(axis=1)
    centre = (lo + hi) / 2
    centre[:, 1] = lo[:, 1] + 0.5 * (hi[:, 1] - lo[:, 1])
    sig = SMOOTH * fps
    c = smooth(centre, sig, extrapolate=True)
    if cast.towards:  # who comes closer must be seen to come closer: no dolly along the view
        along = c @ framer.back
        c = c + np.outer(along.max() - along, framer.back)
    dist = framer.distance(must, c, fill=0.8)
    fits = bool(np.all(dist <= far + 1e-6))
    want = np.maximum(dist, near)
    if any(len(x) for x in ctx):  # what the action names, too, while the subject stays readable
        m = max(len(x) for x in ctx)
        cx = np.stack([np.concatenate([x, np.repeat(p[:1], m - len(x), axis=0)]) for x, p in zip(ctx, pts)])
        dctx = framer.distance(np.concatenate([must, cx], axis=1), c, fill=0.85)
        # a tree run round may leave the picture at the top: the lead stays a readable part of it
        cap = min(far, framer.reach(h, max(need, CONTEXT_FILL))) if lead else far
        want = np.maximum(want, np.minimum(dctx, max(cap, float(dist.min()))))
    # a dolly, not a zoom in and out at every step: the widest need within half a second either side, smoothed
    win = max(1, int(round(0.5 * fps)))
    held = np.array([want[max(0, i - win): i + win + 1].max() for i in range(len(want))])
    d = smooth(held, 0.2 * fps)
    # nearer than this the lead is cut: a camera is never pushed in so far to stand in front of something
    least = smooth(framer.distance(lead_box, c, fill=0.9), 0.2 * fps)
    if info is not None:
        info.update(centre=c, want=d.copy(), least=least)
    if cast.obstacles is not None and len(cast.obstacles):  # in front of a wall or a shop, never inside it
        clear = clearance(c, framer.back, cast.obstacles) - 0.5
        # what is too near to stand in front of (a trunk the subject runs past) hides it a moment instead
        clear = np.where(clear < least, np.inf, clear)
        far_win = max(1, int(round(2.0 * fps)))
        clear = np.array([clear[max(0, i - far_win): i + far_win + 1].min() for i in range(len(clear))])
        clear = smooth(np.minimum(clear, 1e4), 0.5 * fps)
        d = np.minimum(d, np.maximum(clear, least))
    return c + np.outer(d, framer.back), fits


def _clear_framer(cast: _Cast, framer: Framer, lead: str | None, need: float, fps: float, fill: float,
                  elevation: float | None = None, distance_hint: float | None = None) -> Framer:
    """``framer``, or one turned where the setting leaves a close camera more room (:func:`clear_direction`);
    a vantage the prompt asks for (``elevation``) is kept."""
    if cast.obstacles is None or not len(cast.obstacles):
        return framer
    info: dict = {}
    bare = _Cast(cast.times, cast.boxes, cast.acting, cast.context, cast.leaving, cast.towards, cast.passing, None)
    _follow(bare, framer, np.arange(len(cast.times)), lead, need, fps, distance_hint=distance_hint, fill=fill,
            info=info)
    back = clear_direction(framer.back, info["centre"], info["want"], info["least"], cast.obstacles, clearance,
                           most_elevation=FOLLOW_ELEVATION[1] if elevation is None else math.radians(elevation))
    if float(np.dot(back, framer.back)) > 1 - 1e-9:
        return framer
    return Framer(back, 2 * math.atan(framer.tan_v), framer.tan_h / framer.tan_v)


def _blend_weight(times: np.ndarray, t0: float, span: float) -> np.ndarray:
    """0 -> 1 (smoothstep) over ``span`` seconds from ``t0``."""
    u = np.clip((times - t0) / max(span, 1e-6), 0.0, 1.0)
    return u * u * (3 - 2 * u)


def _runs(labels: list, fps: float) -> list[tuple[int, int, frozenset]]:
    """[start, end) frame runs of equal labels: one shorter than MIN_SHOT goes to its longer neighbour (which
    keeps its label); neighbours with the same label join."""
    runs: list[list] = []
    for f, lab in enumerate(labels):
        if runs and runs[-1][2] == lab:
            runs[-1][1] = f + 1
        else:
            runs.append([f, f + 1, lab])
    short = int(round(MIN_SHOT * fps))
    while len(runs) > 1:
        i = min(range(len(runs)), key=lambda k: runs[k][1] - runs[k][0])
        if runs[i][1] - runs[i][0] >= short:
            break
        nb = [j for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        j = max(nb, key=lambda k: runs[k][1] - runs[k][0])
        a, b = sorted((i, j))
        runs[a] = [runs[a][0], runs[b][1], runs[j][2]]
        del runs[b]
        k = 0
        while k + 1 < len(runs):  # the same actors on both sides of a cut: no cut
            if runs[k][2] == runs[k + 1][2]:
                runs[k] = [runs[k][0], runs[k + 1][1], runs[k][2]]
                del runs[k + 1]
            else:
                k += 1
    return [(a, b, lab) for a, b, lab in runs]


def plan_coverage(spec, members, actors: dict, sizes: dict, spans: dict, eye: np.ndarray, target: np.ndarray,
                  end: float, fps: float, yfov: float, aspect: float, main: str | None,
                  named: list[str], rot: np.ndarray, obstacles: list | None = None, elevation: float | None = None,
                  fill: float | None = None) -> list[Shot] | None:
    """The shots that film the plan, or None when the establishing camera (``eye`` looking at ``target``, its
    rotation ``rot`` (4,) xyzw) alone films it well (see the module docstring).  ``named``: the ids of
    everything the prompt names; ``obstacles``: (lo, hi) world boxes of the setting's pieces (a follow camera
    stays in front of them); ``elevation`` (degrees) and ``fill`` (of the picture height): the vantage and
    shot size the prompt asks for."""
    if not actors or end <= 0:
        return None
    times = np.arange(int(math.floor(end * fps + 1e-9)) + 1, dtype=np.float64) / fps
    cast = _cast(spec, members, actors, sizes, spans, times, main, obstacles)
    framer = Framer(np.asarray(eye, float) - np.asarray(target, float), yfov, aspect)
    biggest = max((float(sizes[e][1]) for e in named if e in sizes), default=1.0)
    need = readable_fill(float(sizes[main][1]), biggest) if main is not None else 0.0
    eye = np.asarray(eye, dtype=np.float64)
    fill = fill or FOLLOW_FILL
    if _static_ok(cast, framer, eye, main, max(need, 0.8 * fill if fill > FOLLOW_FILL else 0.0)):
        return None
    framer = Framer(follow_direction(framer.back, elevation), yfov, aspect)  # closer in, lower down
    framer = _clear_framer(cast, framer, main, need, fps, fill, elevation)  # where there is room to stand
    every = np.arange(len(times))
    eyes, fits = _follow(cast, framer, every, main, need, fps, fill=fill)
    shots: list[tuple[int, int, np.ndarray, list[str]]] = []
    runs = [] if fits else _runs(list(cast.acting), fps)
    if len(runs) > 1:  # cut between the runs of frames where different actors act
        for a, b, label in runs:
            who = sorted(label)
            lead = main if main in label else (who[0] if who else main)
            sub_need = readable_fill(float(sizes[lead][1]), biggest) if lead else need
            e, ok = _follow(cast, framer, np.arange(a, b), lead, sub_need, fps, only=label, fill=fill)
            if not ok and lead:  # this run's actors are too far apart too: its lead first
                e, _ = _follow(cast, framer, np.arange(a, b), lead, sub_need, fps, only=frozenset([lead]), fill=fill)
            shots.append((a, b, e, who))
    else:
        if not fits:  # one framing cannot hold everyone: the main subject first, the others where they fit
            eyes, _ = _follow(cast, framer, every, main, need, fps, only=frozenset([main]) if main else None, fill=fill)
        shots.append((0, len(times), eyes, sorted({e for s in cast.acting for e in s})))
    near = look_rotation(-framer.back)
    # how the clip opens: pushing in from the establishing view where there is time for it, else straight on
    # the follow framing where that sees everything named, else the establishing view as a shot of its own
    push = max(math.sqrt(6.0 * float(np.linalg.norm(shots[0][2][0] - eye)) / PUSH_ACCEL), 0.5)
    first = float(times[shots[0][1] - 1])  # how long the first shot runs
    opening = "push" if push <= 0.4 * end and push <= 0.6 * first else "cut"
    if opening == "cut":
        seen = set()
        for a, b, e, _ in shots:
            for eid in named:
                if eid in cast.boxes and eid not in seen:
                    centre = cast.boxes[eid][a:b].mean(axis=1)[:, None, :]
                    if framer.inside(e, centre, margin=0.95).any():
                        seen.add(eid)
        opening = "none" if seen >= {e for e in named if e in cast.boxes} else "cut"
    out = []
    if opening == "cut":  # the establishing view first, then the follow shots from t_cut on
        cut_f = int(np.clip(round(0.25 * len(times)), round(0.8 * fps), round(2.0 * fps)))
        cut_f = min(cut_f, shots[0][1] - int(round(MIN_SHOT * fps)))
        if cut_f < round(0.5 * fps):  # no time for a shot of its own: a quicker push-in
            opening, push = "push", min(push, 0.6 * first)
    if opening == "cut":
        out.append(Shot(0.0, float(times[cut_f]), times[:1], eye[None], np.asarray(rot, np.float64)[None],
                        sorted(cast.acting[0])))
        a0, b0, e0, w0 = shots[0]
        shots[0] = (cut_f, b0, e0[cut_f - a0:], w0)
    for k, (a, b, e, who) in enumerate(shots):
        t = times[a:b]
        rots = np.repeat(near[None], len(t), axis=0)
        if k == 0 and opening == "push":
            w = _blend_weight(t, 0.0, push)
            e = eye[None] * (1 - w[:, None]) + e * w[:, None]
            q0 = np.asarray(rot, dtype=np.float64) * (1.0 if float(np.dot(rot, near)) >= 0 else -1.0)
            rots = q0[None] * (1 - w[:, None]) + near[None] * w[:, None]
            rots /= np.linalg.norm(rots, axis=1, keepdims=True)
        start, stop = float(times[a]), (float(times[b]) if b < len(times) else float(end))
        out.append(Shot(start, stop, t, e, rots, who))
    return out


def follow_shot(actor, size: np.ndarray, eye: np.ndarray, target: np.ndarray, start: float, end: float,
                fps: float, yfov: float, aspect: float, need: float = 0.15,
                obstacles: list | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """'The camera follows X': times (K,), eyes (K, 3) and the view direction (3,) from ``start`` to ``end``
    that keep ``actor`` framed, smoothly, from the heading the camera had (``eye`` towards ``target``;
    :func:`follow_direction`) and no farther than it was unless X would be too small."""
    framer = Framer(follow_direction(np.asarray(eye, float) - np.asarray(target, float)), yfov, aspect)
    times = np.arange(start, end + 1e-9, 1.0 / fps)
    if len(times) < 2:
        times = np.array([start, max(end, start + 1.0 / fps)])
    boxes = _boxes(actor, times, size)
    obs = [np.asarray(o, dtype=np.float64) for o in obstacles or []]
    cast = _Cast(times, {actor.id: boxes}, [frozenset([actor.id])] * len(times), [frozenset()] * len(times), {},
                 False, set(), np.array(obs).reshape(-1, 2, 3))
    hint = float(np.linalg.norm(np.asarray(eye, float) - np.asarray(target, float)))
    framer = _clear_framer(cast, framer, actor.id, need, fps, FOLLOW_FILL, distance_hint=hint)
    eyes, _ = _follow(cast, framer, np.arange(len(times)), actor.id, need, fps, distance_hint=hint)
    return times, eyes, -framer.back


def active_cameras(scene, times: np.ndarray) -> list[str]:
    """The live camera's id at each time (seconds): from ``scene.metadata["shots"]`` (each ``{"camera",
    "start", "end"}``), else the first camera throughout."""
    cams = [c.id for c in scene.cameras()]
    if not cams:
        return []
    shots = scene.metadata.get("shots") if isinstance(scene.metadata, dict) else None
    out = [cams[0]] * len(times)
    if not isinstance(shots, list) or not shots:
        return out
    valid = [s for s in shots if isinstance(s, dict) and s.get("camera") in cams]
    valid.sort(key=lambda s: float(s.get("start", 0.0)))
    for i, t in enumerate(np.asarray(times, dtype=np.float64)):
        for s in valid:
            if float(s.get("start", 0.0)) - 1e-6 <= t:
                out[i] = s["camera"]
    return out
