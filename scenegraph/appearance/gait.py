"""Procedural motion cycles for rigged characters, computed from the Timeline alone.

``pose_track(scene, timeline, entity_id)`` is a pure function: it reads the
entity's root motion (what the world simulated and the artist edits) and the
scene's actions, and returns each joint's local rotation per frame and the
root joint's translation (the hips bob and drop when sitting).  Nothing is
stored in the Timeline.

How feet stay planted: the gait phase advances with the distance travelled
along the body's forward axis divided by the stride length (not with time), so
a step takes as long as the body needs to cover it; each foot touches down at
its nominal place in the body frame, and for the rest of its stance its world
position is held and reached by two-bone inverse kinematics.  Stride length,
stance fraction, arm swing and lean blend smoothly with speed: idle (standing,
breathing), walk, run (a flight phase); quadrupeds walk in a lateral sequence
and blend into a trot.  Actions of the scene's ``metadata["actions"]`` layer on
top with eased in/out weights: ``wave`` (right arm), ``sit`` (hips down,
thighs forward), ``jump`` (tuck); a rising or falling root also tucks the legs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.appearance.gait_math import _nlerp, _qx, _qy, _qz, _smoothstep, _weight
from scenegraph.appearance.rig import Rig, rig_for
from scenegraph.model.rotations import quat_multiply, trs_matrix

__all__ = ["Pose", "pose_track", "joint_world_positions", "character_rigs", "skin_matrices"]


@dataclass(frozen=True, eq=False)
class Pose:
    """Per frame: joint rotations (F, J, 4) xyzw float32 local to the parent joint (rest is identity),
    and the root joint's translation (F, 3) float32 in the entity frame."""

    rotations: np.ndarray
    root: np.ndarray







def _entity_matrices(timeline: Any, j: int) -> np.ndarray:
    """World matrices (F, 4, 4) of timeline column j."""
    if timeline.parents and timeline.parents[j] >= 0:
        return timeline.world_matrices()[:, j]
    return trs_matrix(timeline.position[:, j], timeline.rotation[:, j], timeline.scale[:, j])


def _unit(M: np.ndarray) -> np.ndarray:
    """The mean scale (F,) of affine matrices (F, 4, 4) whose 3x3 part is a rotation times a scale."""
    return np.cbrt(np.prod(np.linalg.norm(M[:, :3, :3], axis=1), axis=1))


def _inverse(M: np.ndarray) -> np.ndarray:
    """Inverses of TRS matrices (F, 4, 4) without LAPACK (whose threads crawl on a busy machine):
    (R S)^-1 = S^-2 (R S)^T."""
    A = M[:, :3, :3]
    s2 = np.maximum(np.einsum("fij,fij->fj", A, A), 1e-30)
    inv_a = np.swapaxes(A, 1, 2) / s2[:, :, None]
    out = np.zeros_like(M)
    out[:, :3, :3] = inv_a
    out[:, :3, 3] = -np.einsum("fij,fj->fi", inv_a, M[:, :3, 3])
    out[:, 3, 3] = 1.0
    return out


def _windows(scene: Any, entity: Any) -> dict[str, list[tuple[float, float]]]:
    """The entity's action spans by verb, from ``scene.metadata["actions"]`` (actor = its spec ref)."""
    ref = entity.attributes.get("spec_ref")
    out: dict[str, list[tuple[float, float]]] = {}
    for a in (scene.metadata or {}).get("actions") or []:
        if not isinstance(a, dict) or a.get("actor") not in (ref, entity.id):
            continue
        try:
            out.setdefault(str(a.get("verb")), []).append((float(a["start"]), float(a["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    for p in (scene.metadata or {}).get("phases") or []:  # the world's phases (scenegraph.world.phases)
        if isinstance(p, dict) and p.get("entity") == entity.id and p.get("phase") in ("sit", "ride") and p.get("on"):
            out.setdefault("sit_on", []).append((float(p["start"]), float(p["end"])))  # the root is on the seat
        if isinstance(p, dict) and p.get("entity") == entity.id and p.get("phase") in ("climb", "climb_down", "airborne"):
            out.setdefault("vertical", []).append((float(p["start"]), float(p["end"])))  # feet go with the body
        if isinstance(p, dict) and p.get("entity") == entity.id and p.get("phase") in ("climb", "climb_down"):
            hands = out.setdefault("climb_on", [])  # the world says when the climb is: hands only then
            if p.get("mode") in ("face", "pole", None):  # a ladder, wall, tree or pole; stairs and slopes are walked
                hands.append((float(p["start"]), float(p["end"])))
    return out



def _support_below(scene: Any, entity_id: str, pos: np.ndarray) -> np.ndarray:
    """(F,) the height of the highest top under each of ``pos`` (F, 3) that is not above it (the ground is 0):
    the still things' boxes in their rest place, for telling a bird perched on a bench from one in flight."""
    top = np.zeros(len(pos))
    corners = np.array([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], np.float64)
    for e in scene.entities("object"):
        if e.id == entity_id or e.bounds is None or is_sky_class(e.cls):
            continue
        b = np.asarray(e.bounds, np.float64)
        pts = (b[0] + corners * (b[1] - b[0])) @ scene.world_matrix(e.id)[:3, :3].T + scene.world_matrix(e.id)[:3, 3]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        under = (pos[:, 0] >= lo[0]) & (pos[:, 0] <= hi[0]) & (pos[:, 2] >= lo[2]) & (pos[:, 2] <= hi[2]) & (hi[1] <= pos[:, 1] + 0.05)
        top = np.where(under, np.maximum(top, hi[1]), top)
    return top


def is_sky_class(cls: Any) -> bool:
    return str(cls or "").lower() in ("sky", "sun", "moon", "sky_dome", "skydome")


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1 or x.size < 3:
        return x
    k = np.ones(n) / n
    pad = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(pad, k, mode="valid")


def _two_bone(target: np.ndarray, a: float, b: float, knee: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(roll about Z, pitch about X of the upper bone, bend about X of the lower one) (F,) reaching
    ``target`` (F, 3) relative to the upper joint, bones of lengths a, b hanging down at rest."""
    x, y, z = target[:, 0], -target[:, 1], target[:, 2]
    roll = np.arctan2(x, np.maximum(y, 1e-6))
    yy = np.sqrt(x * x + y * y)
    d = np.clip(np.sqrt(yy * yy + z * z), abs(a - b) + 1e-6, (a + b) * 0.9999)
    phi = np.arctan2(z, yy)
    psi = np.arccos(np.clip((a * a + d * d - b * b) / (2 * a * d), -1.0, 1.0))
    inner = np.arccos(np.clip((a * a + b * b - d * d) / (2 * a * b), -1.0, 1.0))
    return roll, -(phi + knee * psi), knee * (math.pi - inner)


def pose_track(scene: Any, timeline: Any, entity_id: str, rig: Rig | None = None) -> Pose | None:
    """The pose of a rigged entity over the Timeline's frames (None when its class has no skeleton)."""
    ent = scene.entity(entity_id)
    rig = rig or rig_for(ent, int(getattr(scene, "seed", 0)))
    if rig is None:
        return None
    j = timeline.index(entity_id)
    t = np.asarray(timeline.time, np.float64)
    F, J = t.size, len(rig.names)
    M = _entity_matrices(timeline, j)
    Minv = _inverse(M)
    unit = _unit(M)  # the entity's scale: strides scale with it
    fwd = M[:, :3, 2] / np.maximum(np.linalg.norm(M[:, :3, 2], axis=1, keepdims=True), 1e-12)
    step = np.diff(M[:, :3, 3], axis=0)
    ds = np.concatenate([[0.0], np.einsum("fi,fi->f", step, fwd[1:]) / unit[1:]])  # body-frame metres forward
    dt = np.diff(t, prepend=t[0] - (t[1] - t[0] if F > 1 else 1.0))
    dt = np.where(dt > 0, dt, 1.0)
    fps = 1.0 / float(np.median(dt)) if F > 1 else 24.0
    v = _smooth(np.abs(ds) / dt, max(1, int(round(0.25 * fps))))
    vy = _smooth(np.gradient(M[:, 1, 3], t) if F > 1 else np.zeros(F), max(1, int(round(0.15 * fps))))

    if rig.kind in ("fish", "snake", "insect"):
        from scenegraph.appearance.gait_creatures import creature_pose

        rot_c, root_c = creature_pose(rig, t, M, ds, v, vy, _windows(scene, ent), str(ent.cls).lower())
        return Pose(rot_c, root_c)
    bind = rig.bind_world()
    legs = rig.legs
    a = float(np.linalg.norm(rig.offsets[legs[0].lower]))
    b = float(np.linalg.norm(rig.offsets[legs[0].foot]))
    L = a + b
    human = rig.kind == "human"
    v_run = 0.75 * math.sqrt(9.81 * L)  # the walk-run (walk-trot) switch near Froude number 0.5
    r = _smoothstep(0.85 * v_run, 1.15 * v_run, v)  # walk -> run / trot
    beta = 0.6 - 0.22 * r if human else 0.65 - 0.2 * r
    d = (0.36 + 0.09 * r) * L  # the foot's reach fore and aft of the hip at full stride
    v_walk = (0.55 if human else 0.45) * math.sqrt(9.81 * L)
    stride_full = 2 * d / beta
    stride = stride_full * np.clip(0.35 + 0.65 * v / np.maximum(v_walk + r * (v_run - v_walk), 1e-6), 0.35, 1.0)
    half = beta * stride / 2  # stance covers beta of a stride: the foot moves back exactly as the body moves on
    phase = np.cumsum(ds / stride)
    w_move = _smoothstep(0.05, 0.45, v)
    clear = (0.1 + 0.08 * r) * L * w_move

    acts = _windows(scene, ent)
    w_seat = _weight(t, acts.get("sit_on", []), 0.4)  # on a seat: the hips come down to the root, legs hang
    w_sit = np.maximum(_weight(t, acts.get("sit", []), 0.4), w_seat)
    w_jump = np.maximum(_weight(t, acts.get("jump", []), 0.15), _smoothstep(0.6, 1.2, np.abs(vy)))
    w_wave = _weight(t, acts.get("wave", []), 0.3)
    w_lie = _weight(t, acts.get("lie", []) + acts.get("sleep", []), 0.5) if rig.kind != "bird" else np.zeros(F)
    w_vert = _weight(t, acts.get("vertical", []), 0.1)  # climbing or airborne: no foot stays planted on the floor

    rot = np.zeros((F, J, 4))
    rot[..., 3] = 1.0
    root = np.repeat(rig.offsets[0][None], F, axis=0)
    # feet: nominal targets in the body frame, held in the world during stance
    targets = []
    after_vert = np.concatenate([[False], (w_vert[:-1] >= 0.5) & (w_vert[1:] < 0.5)])
    for leg in legs:
        off = leg.phase + (0.25 * r if (not human and leg.knee > 0) else 0.0)  # front legs drift into a trot
        u = np.mod(phase + off, 1.0)
        hip = bind[leg.upper]
        rest_foot = bind[leg.foot]
        stance = u < beta
        # each stance run plants the foot in the world at its first frame; swings go from one plant to the next
        first = stance & (np.concatenate([[True], ~stance[:-1]]) | after_vert)  # a climb's end plants anew, up there
        starts = np.flatnonzero(first)
        nominal = np.repeat(np.append(rest_foot, 1.0)[None], F, axis=0)
        nominal[:, 2] += half * (1.0 - 2.0 * u / beta) * w_move
        plants = np.einsum("fij,fj->fi", M[starts], nominal[starts])  # (R, 4)
        run = np.cumsum(first) - 1  # the stance run a frame is in, or the one before its swing (-1: none yet)
        end_land = M[-1] @ np.append(rest_foot + (0.0, 0.0, half[-1] * w_move[-1]), 1.0)  # where the last swing lands
        before = np.vstack([(M[0] @ np.append(rest_foot, 1.0))[None], plants])  # index run + 1
        after = np.vstack([plants, end_land[None]])  # index run + 1: the next plant, or the end
        s_sw = np.clip((u - beta) / (1.0 - beta), 0.0, 1.0)
        e = np.minimum(s_sw / 0.8, 1.0)
        e = e * e * (3.0 - 2.0 * e)  # over the landing spot before it comes down: no slide at touch-down
        lift_w, land_w = before[run + 1], after[np.minimum(run + 1, len(after) - 1)]
        world = np.where(stance[:, None], lift_w, lift_w + (land_w - lift_w) * e[:, None])
        world += (np.einsum("fij,fj->fi", M, nominal) - world) * w_vert[:, None]
        tgt = np.einsum("fij,fj->fi", Minv, world)[:, :3]
        tgt[:, 1] += np.where(stance, 0.0, clear * np.sin(math.pi * s_sw))
        targets.append((leg, hip, tgt, stance))
    # the hips drop so that the planted feet stay within reach
    drop = np.zeros(F)
    for leg, hip, tgt, stance in targets:
        rel = tgt - hip
        need = np.sqrt(np.maximum((0.985 * L) ** 2 - rel[:, 0] ** 2 - rel[:, 2] ** 2, 0.0))
        drop = np.maximum(drop, np.where(stance, np.maximum(-rel[:, 1] - need, 0.0), 0.0))
    drop = np.maximum(_smooth(_smooth(drop, 5), 3), drop)  # smooth, yet never short of reach
    sit_drop = max(bind[0][1] - (bind[legs[0].lower][1] + 0.02 * rig.height), 0.0) if human else 0.4 * bind[0][1]
    seat_drop = max(bind[0][1] - sit_drop - 0.06 * rig.height, 0.0) * w_seat  # on a seat: the hips on the root
    root[:, 1] -= drop * (1 - w_sit) + sit_drop * w_sit + seat_drop
    # lying down: a person on its back, an animal on its belly with its legs folded (the root drops to the ground)
    lie_drop = bind[0][1] - (0.1 * rig.height if human else 0.38 * bind[0][1])
    root[:, 1] -= np.maximum(lie_drop - (drop * (1 - w_sit) + sit_drop * w_sit + seat_drop), 0.0) * w_lie
    for leg, hip, tgt, _ in targets:
        rel = tgt - (hip - (0.0, 0.0, 0.0)) + np.stack([np.zeros(F), drop, np.zeros(F)], axis=1)
        roll, pitch, bend = _two_bone(rel, a, b, leg.knee)
        up = quat_multiply(_qz(roll), _qx(pitch))
        rot[:, leg.upper] = up
        rot[:, leg.lower] = _qx(bend)
        rot[:, leg.foot] = quat_multiply(_qx(-(pitch + bend)), _qz(-roll))
        # sitting: thighs forward, shins down; jumping: a tuck
        k = leg.knee
        sit_up, sit_lo = (_qx(-1.5), _qx(1.5)) if human else (_qx(-0.6 * k), _qx(1.0 * k))
        rot[:, leg.upper] = _nlerp(rot[:, leg.upper], np.broadcast_to(sit_up, (F, 4)), w_sit)
        rot[:, leg.lower] = _nlerp(rot[:, leg.lower], np.broadcast_to(sit_lo, (F, 4)), w_sit)
        rot[:, leg.foot] = _nlerp(rot[:, leg.foot], np.broadcast_to([0, 0, 0, 1.0], (F, 4)), w_sit)
        rot[:, leg.upper] = _nlerp(rot[:, leg.upper], np.broadcast_to(_qx(-0.8 * k), (F, 4)), w_jump)
        rot[:, leg.lower] = _nlerp(rot[:, leg.lower], np.broadcast_to(_qx(1.3 * k), (F, 4)), w_jump)
        lie_up, lie_lo = (_qx(0.0), _qx(0.0)) if human else ((_qx(-1.35), _qx(0.2)) if k > 0 else (_qx(-1.1), _qx(2.3)))
        rot[:, leg.upper] = _nlerp(rot[:, leg.upper], np.broadcast_to(lie_up, (F, 4)), w_lie)
        rot[:, leg.lower] = _nlerp(rot[:, leg.lower], np.broadcast_to(lie_lo, (F, 4)), w_lie)
        rot[:, leg.foot] = _nlerp(rot[:, leg.foot], np.broadcast_to([0, 0, 0, 1.0], (F, 4)), w_lie)
    cyc = 2 * math.pi * phase
    breath = np.sin(2 * math.pi * t / 3.5)
    n = rig.names.index
    if human:
        swing = (0.3 + 0.25 * r) * w_move
        bend_el = 0.15 + 0.1 * w_move + 1.1 * r
        for side, sgn in (("L", 1.0), ("R", -1.0)):
            fwd_angle = -sgn * swing * np.cos(cyc)  # the arm swings with the opposite leg
            rot[:, n(f"upper_arm_{side}")] = quat_multiply(_qz(sgn * 0.08), _qx(-fwd_angle))
            rot[:, n(f"lower_arm_{side}")] = _qx(-bend_el)
        rot[:, n("spine")] = _qx((0.04 + 0.14 * r) * w_move + 0.015 * breath * (1 - w_move))
        rot[:, n("chest")] = quat_multiply(_qy(0.12 * w_move * np.cos(cyc)), _qx(0.02 * breath))
        rot[:, n("neck")] = _qx(-(0.03 + 0.1 * r) * w_move)
        # wave with the right arm: raised out to the side, the forearm rocking
        ua, la = n("upper_arm_R"), n("lower_arm_R")
        raised = np.broadcast_to(quat_multiply(_qz(-2.5), _qx(-0.2)), (F, 4))
        rot[:, ua] = _nlerp(rot[:, ua], raised, w_wave)
        rot[:, la] = _nlerp(rot[:, la], _qz(-0.35 + 0.45 * np.sin(2 * math.pi * 1.6 * t)), w_wave)
        for side in ("L", "R"):
            if side == "R":
                keep = 1.0 - w_wave
                rot[:, n(f"upper_arm_{side}")] = _nlerp(rot[:, n(f"upper_arm_{side}")], np.broadcast_to(_qx(-0.35), (F, 4)), w_sit * keep)
            else:
                rot[:, n(f"upper_arm_{side}")] = _nlerp(rot[:, n(f"upper_arm_{side}")], np.broadcast_to(_qx(-0.35), (F, 4)), w_sit)
            rot[:, n(f"upper_arm_{side}")] = _nlerp(rot[:, n(f"upper_arm_{side}")], np.broadcast_to(_qx(-2.4), (F, 4)), w_jump)
        root[:, 1] += _human_actions(rot, rig, t, M, acts)
        rot[:, 0] = _nlerp(rot[:, 0], np.broadcast_to(_qx(-1.5), (F, 4)), w_lie)  # on its back
    elif rig.kind == "bird":
        # wings: folded along the body on the ground, flapping (tips lagging) in the air
        y = M[:, 1, 3] - _support_below(scene, ent.id, M[:, :3, 3])  # above what it stands on (a bench, a roof)
        w_fly = np.maximum.reduce([_smoothstep(0.3, 0.8, y), _smoothstep(1.5, 3.0, v), _smoothstep(0.3, 0.8, np.abs(vy)),
                                   _weight(t, acts.get("fly", []) + acts.get("take_off", []) + acts.get("land", []), 0.3)])
        span = float(np.linalg.norm(rig.offsets[n("wing_tip_L")]))
        freq = 3.5 / math.sqrt(max(2.0 * span, 0.05))
        beat = 2 * math.pi * freq * t
        for side, sgn in (("L", 1.0), ("R", -1.0)):
            folded = np.broadcast_to(quat_multiply(_qy(sgn * 1.45), _qz(-sgn * 0.15)), (F, 4))
            flap = _qz(sgn * (0.15 + 0.75 * np.sin(beat)))
            rot[:, n(f"wing_{side}")] = _nlerp(folded, flap, w_fly)
            rot[:, n(f"wing_tip_{side}")] = _nlerp(np.broadcast_to(_qy(-sgn * 0.3), (F, 4)), _qz(sgn * 0.4 * np.sin(beat - 0.8)), w_fly)
        for leg in legs:  # legs tucked back in flight
            rot[:, leg.upper] = _nlerp(rot[:, leg.upper], np.broadcast_to(_qx(0.9), (F, 4)), w_fly)
            rot[:, leg.lower] = _nlerp(rot[:, leg.lower], np.broadcast_to(_qx(-1.2), (F, 4)), w_fly)
        rot[:, n("neck")] = _qx(0.15 * w_move * (1 - w_fly) * np.sin(2 * cyc))  # the pigeon's head bob
    else:
        rot[:, n("tail")] = quat_multiply(_qy(0.35 * np.sin(2 * math.pi * 1.5 * t)), _qx(-0.2 * r))
        rot[:, n("neck")] = _qx(0.06 * w_move * np.sin(2 * cyc) + 0.03 * breath + 0.45 * w_lie)  # the head rests
        for k, name in enumerate(("tail_2", "tail_3"), 1):  # the tail's wave runs out to its tip
            if name in rig.names:
                rot[:, n(name)] = _qy(0.3 * (1 - 0.7 * w_lie) * np.sin(2 * math.pi * 1.5 * t - 0.9 * k))
        if acts.get("climb_on"):
            _animal_climb(rot, rig, t, M, _weight(t, _clinging(t, M, acts["climb_on"]), 0.25))
    return Pose(rot.astype(np.float32), root.astype(np.float32))


def _clinging(t: np.ndarray, M: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The climb spans, each held on for as long as the climber stays up where it ended (a cat up a tree
    clings there until it comes down)."""
    y = M[:, 1, 3]
    out = []
    for s, e in spans:
        k = min(int(np.searchsorted(t, e)), len(t) - 1)
        if y[k] < 0.3:  # down on the ground: nothing to hold on to
            out.append((s, e))
            continue
        away = np.flatnonzero((t > e) & (np.abs(y - y[k]) > 0.1))
        out.append((s, float(t[away[0]]) if away.size else float(t[-1]) + 1.0))
    return out


def _animal_climb(rot: np.ndarray, rig: Rig, t: np.ndarray, M: np.ndarray, w: np.ndarray) -> None:
    """An animal up (or down) a trunk, pole or wall, in the world's climb phases: the body pitched nose up
    about its hips (the world turns it to face what it climbs, so its belly and feet come to the bark), the
    legs reaching in turn (fore and hind of one side opposite), one reach per 0.3 body heights risen."""
    length = max(float(rig.height), 0.05)
    rise = np.cumsum(np.abs(np.diff(M[:, 1, 3], prepend=M[0, 1, 3])))
    phase = rise / (0.3 * length)
    rot[:, 0] = _nlerp(rot[:, 0], np.broadcast_to(_qx(-1.45), rot[:, 0].shape), w)
    for leg in rig.legs:
        c = np.sin(2 * math.pi * (phase + leg.phase))
        front = leg.knee > 0
        reach = _qx(-(0.9 + 0.5 * c) if front else -(0.2 + 0.45 * c))
        rot[:, leg.upper] = _nlerp(rot[:, leg.upper], reach, w)
        rot[:, leg.lower] = _nlerp(rot[:, leg.lower], _qx(leg.knee * (0.5 + 0.4 * np.maximum(-c, 0.0))), w)


def _human_actions(rot: np.ndarray, rig: Rig, t: np.ndarray, M: np.ndarray, acts: dict) -> np.ndarray:
    """Layer carry, push, climb, swim and fall onto a person's pose (in place); returns the hips' extra lift (F,).

    carry: both forearms bent up in front of the chest, as if holding a box; push: arms reaching forward;
    climb: hand over hand above the head and knees lifted in turn, one reach per 0.35 m risen or
    lowered (the world's vertical speed drives it; a slow timed cycle where the root does not rise), during
    the world's climb phases on a ladder, wall, tree or pole (stairs are walked); swim: the body level in the water, arms circling in turn (front
    crawl) and a flutter kick; fall: arms flung up and out, legs apart."""
    n = rig.names.index
    F = t.size
    w_carry = _weight(t, acts.get("carry", []), 0.3)
    w_push = _weight(t, acts.get("push", []), 0.3)
    climbs = acts["climb_on"] if "climb_on" in acts else acts.get("climb", []) + acts.get("descend", [])
    w_climb = _weight(t, climbs, 0.25)  # the world's climb phases (not the walk to the ladder), else the verb's span
    w_swim = _weight(t, acts.get("swim", []), 0.4)
    w_fall = _weight(t, acts.get("fall", []), 0.1)
    lift = np.zeros(F)
    if not (w_carry.any() or w_push.any() or w_climb.any() or w_swim.any() or w_fall.any()):
        return lift
    rise = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(M[:, 1, 3])))])
    still = float(np.max(rise, initial=0.0)) < 0.2  # a climb in place (the world did not lift the root): by time
    climb = rise / 0.7 + (0.6 * t if still else 0.0)  # driven by the vertical speed: a cycle (both hands) per 0.7 m
    stroke = 0.8 * t  # front-crawl strokes per second, each arm
    for side, sgn, off in (("L", 1.0, 0.0), ("R", -1.0, 0.5)):
        ua, la = n(f"upper_arm_{side}"), n(f"lower_arm_{side}")
        ul, ll = n(f"upper_leg_{side}"), n(f"lower_leg_{side}")
        one = lambda q: np.broadcast_to(q, (F, 4))  # noqa: E731
        rot[:, ua] = _nlerp(rot[:, ua], one(quat_multiply(_qz(sgn * 0.15), _qx(-0.75))), w_carry)
        rot[:, la] = _nlerp(rot[:, la], one(_qx(-1.35)), w_carry)
        rot[:, ua] = _nlerp(rot[:, ua], one(quat_multiply(_qz(sgn * 0.1), _qx(-1.35))), w_push)
        rot[:, la] = _nlerp(rot[:, la], one(_qx(-0.3)), w_push)
        c = np.sin(2 * math.pi * (climb + off))
        rot[:, ua] = _nlerp(rot[:, ua], quat_multiply(_qz(sgn * 0.25), _qx(-2.55 - 0.35 * c)), w_climb)
        rot[:, la] = _nlerp(rot[:, la], _qx(-0.35 - 0.45 * np.maximum(-c, 0.0)), w_climb)
        rot[:, ul] = _nlerp(rot[:, ul], _qx(-0.2 - 0.7 * np.maximum(c, 0.0)), w_climb)
        rot[:, ll] = _nlerp(rot[:, ll], _qx(0.3 + 1.0 * np.maximum(c, 0.0)), w_climb)
        a = 2 * math.pi * (stroke + off)
        rot[:, ua] = _nlerp(rot[:, ua], quat_multiply(_qz(sgn * 0.2), _qx(-a)), w_swim)  # the arm wheels over
        rot[:, la] = _nlerp(rot[:, la], _qx(-0.25 - 0.25 * np.maximum(np.sin(a), 0.0)), w_swim)
        rot[:, ul] = _nlerp(rot[:, ul], _qx(0.25 * np.sin(2 * math.pi * 2.0 * t + math.pi * 2 * off)), w_swim)
        rot[:, ll] = _nlerp(rot[:, ll], one(_qx(0.15)), w_swim)
        rot[:, ua] = _nlerp(rot[:, ua], _qz(sgn * (2.3 + 0.3 * np.sin(2 * math.pi * 3.0 * t + 3 * off))), w_fall)
        rot[:, ul] = _nlerp(rot[:, ul], one(_qz(sgn * 0.35)), w_fall)
    hips = n("hips")
    rot[:, hips] = _nlerp(rot[:, hips], np.broadcast_to(_qx(1.35), (F, 4)), w_swim)  # lying along the water, face down
    rot[:, n("spine")] = _nlerp(rot[:, n("spine")], np.broadcast_to(_qx(0.25), (F, 4)), w_push)
    rot[:, n("neck")] = _nlerp(rot[:, n("neck")], np.broadcast_to(_qx(-0.6), (F, 4)), w_swim)  # looks ahead
    return lift


def character_rigs(scene: Any) -> dict[str, Rig]:
    """Every entity with a skeleton, by id (scene order)."""
    seed = int(getattr(scene, "seed", 0))
    out = {}
    for e in scene.entities():
        rig = rig_for(e, seed)
        if rig is not None:
            out[e.id] = rig
    return out


def _local_matrices(rig: Rig, pose: Pose) -> np.ndarray:
    F = pose.rotations.shape[0]
    offs = np.repeat(rig.offsets[None], F, axis=0)
    offs[:, 0] = pose.root
    return trs_matrix(offs, pose.rotations.astype(np.float64), np.ones((F, len(rig.names), 3)))


def skin_matrices(rig: Rig, pose: Pose) -> np.ndarray:
    """Each joint's transform (F, J, 4, 4) in the entity frame at every frame."""
    local = _local_matrices(rig, pose)
    world = np.empty_like(local)
    for jj, p in enumerate(rig.parents):
        world[:, jj] = local[:, jj] if p < 0 else world[:, p] @ local[:, jj]
    return world


def joint_world_positions(rig: Rig, pose: Pose, entity_matrices: np.ndarray) -> np.ndarray:
    """Each joint's world position (F, J, 3), given the entity's world matrices (F, 4, 4)."""
    m = entity_matrices[:, None] @ skin_matrices(rig, pose)
    return m[..., :3, 3]
