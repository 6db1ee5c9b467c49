"""Motion cycles for fish, snakes and insects (see :mod:`scenegraph.appearance.gait` for the others).

All are pure functions of the entity's root motion and the scene's actions, like the rest of the gait:

- **fish**: a travelling wave down the spine (yaw, growing towards the tail; pitch for whales and
  dolphins), one tail beat per 0.7 body lengths swum, a slow beat when hovering; pectoral fins paddle.
- **snake**: lateral undulation (a serpenoid curve): each joint bends by the wave's curvature at its
  place on the body, and the wave's phase is the distance travelled over the wavelength, so the bends
  travel back along the body exactly as fast as it moves on (an approximation of the body sliding
  along its own track; joints are rigid segments); a slow sway at rest.
- **insect**: a tripod gait: legs 1 and 3 of one side with leg 2 of the other swing forward together
  (an eight-legged spider alternates in fours); the phase follows distance, so the feet sweep back as
  fast as the body moves on.  In the air (off the ground, fast, or a fly action) the legs tuck and the
  wings beat (slowly for a butterfly).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["creature_pose"]


def creature_pose(rig: Any, t: np.ndarray, M: np.ndarray, ds: np.ndarray, v: np.ndarray, vy: np.ndarray, acts: dict,
                  cls: str) -> tuple[np.ndarray, np.ndarray]:
    """Joint rotations (F, J, 4) and root translations (F, 3) of a fish, snake or insect rig."""
    from scenegraph.appearance.gait_math import _nlerp, _qx, _qy, _qz, _smoothstep, _weight
    from scenegraph.appearance.rig_animals import CETACEANS
    from scenegraph.model.rotations import quat_multiply

    F, J = t.size, len(rig.names)
    rot = np.zeros((F, J, 4))
    rot[..., 3] = 1.0
    root = np.repeat(rig.offsets[0][None], F, axis=0)
    n = rig.names.index
    bind = rig.bind_world()
    length = float(np.ptp(np.concatenate([m.positions[:, 2] for _, m, _ in rig.parts]))) or 1.0
    dist = np.cumsum(ds)
    w_move = _smoothstep(0.02 * length, 0.3 * length, v)
    if rig.kind == "fish":
        phase = dist / (0.7 * length) + 0.4 * t * (1.0 - w_move)  # tail beats per body length, a slow beat hovering
        amp = 0.12 + 0.18 * w_move
        whale = cls in CETACEANS
        for k, name in enumerate(("spine_1", "spine_2", "spine_3", "tail_fin")):
            a = amp * (0.25 + 0.3 * k) * np.sin(2 * math.pi * phase - 0.9 * k)
            rot[:, n(name)] = _qx(a) if whale else _qy(a)
        rot[:, n("head")] = (_qx if whale else _qy)(-0.08 * amp * np.sin(2 * math.pi * phase))
        for side, s in (("L", 1.0), ("R", -1.0)):
            rot[:, n(f"fin_{side}")] = _qz(s * (0.2 + 0.25 * np.sin(2 * math.pi * 1.5 * t)))
        return rot.astype(np.float32), root.astype(np.float32)
    if rig.kind == "snake":
        joints = [j for j in range(J)]
        seg = float(np.mean([np.linalg.norm(rig.offsets[j]) for j in joints[1:]])) if J > 1 else 0.1
        lam = 0.45 * length  # the wave: about two bends along the body
        kappa = 2 * math.pi / lam * 0.9  # peak curvature (rad per metre): bends of about 50 degrees
        phase = dist / lam + 0.05 * t
        swing = 0.35 + 0.65 * w_move
        for j in joints[1:]:
            s_j = float(np.linalg.norm(bind[j] - bind[0]))  # arc length from the head
            rot[:, j] = _qy(swing * kappa * seg * np.sin(2 * math.pi * (s_j / lam - phase)))  # the wave runs tailwards
        # the head keeps looking along the path: undo the wave's mean turn at the neck
        rot[:, 0] = _qy(0.5 * swing * kappa * seg * np.sin(2 * math.pi * phase))
        return rot.astype(np.float32), root.astype(np.float32)
    # insects
    legs = rig.legs
    stride = 0.55 * length
    phase = dist / stride
    y = M[:, 1, 3]
    has_wings = "wing_L" in rig.names
    w_fly = np.maximum.reduce([_smoothstep(0.05, 0.3, y) if has_wings else np.zeros(F),
                               _smoothstep(0.6, 1.5, np.abs(vy)) if has_wings else np.zeros(F),
                               _weight(t, acts.get("fly", []) + acts.get("take_off", []), 0.2) if has_wings else np.zeros(F)])
    for leg in legs:
        u = np.mod(phase + leg.phase, 1.0)
        side = 1.0 if bind[leg.foot][0] > bind[leg.upper][0] else -1.0
        stance = u < 0.5
        s = np.where(stance, 1.0 - 4.0 * u, -1.0 + 4.0 * (u - 0.5))  # +1 forward .. -1 back over the stance, back again in the air
        sweep = 0.35 * w_move * s  # radians about +Y, forward is towards +Z
        lift = np.where(stance, 0.0, 0.35 * w_move * np.sin(2 * math.pi * (u - 0.5)))
        walk = quat_multiply(_qy(-side * sweep), _qz(side * lift))
        tuck = np.broadcast_to(quat_multiply(_qz(side * 0.9), _qy(-side * 0.3)), (F, 4))
        rot[:, leg.upper] = _nlerp(walk, tuck, w_fly)
        flex = _qz(-side * (0.6 * lift + 0.08 * w_move * s))  # the shin folds in as the leg lifts
        rot[:, leg.lower] = _nlerp(flex, np.broadcast_to(_qz(-side * 0.9), (F, 4)), w_fly)
    if has_wings:
        big = cls in ("butterfly", "moth")
        freq = 5.0 if big else 11.0  # a butterfly's slow beat; a bee's real 200 Hz would alias at any frame rate
        beat = np.sin(2 * math.pi * freq * t)
        for side, s in (("L", 1.0), ("R", -1.0)):
            rest = np.broadcast_to([0.0, 0.0, 0.0, 1.0] if big else _qy(s * 0.15), (F, 4))
            flap = _qz(s * (0.9 * beat if big else 0.3 + 0.7 * beat))
            if not big:  # spread out of the folded pose first
                flap = quat_multiply(flap, _qy(s * 1.2))
            rot[:, n(f"wing_{side}")] = _nlerp(rest, flap, w_fly)
    rot[:, n("abdomen")] = _qx(0.04 * np.sin(2 * math.pi * 0.5 * t))
    return rot.astype(np.float32), root.astype(np.float32)
