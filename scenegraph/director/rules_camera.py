"""Camera words the verb reader does not cover: truck and crane moves, "then ... back", and pace.

Mixed into the rules parser (:mod:`scenegraph.director.rules`) as one more reader, tried before the
verbs, and only while the camera is the subject of the clause:

- ``trucks left`` / ``tracks sideways`` / ``cranes up`` / ``booms down`` / ``pedestals up``: a camera move
  (``truck`` moves sideways, ``crane`` up or down); "truck" and "crane" stay nouns after a determiner
  ("the camera follows the truck");
- ``back`` / ``returns`` after a move ("pans left, then back", "tilts up to the sky, then back down",
  "pans left and then pans back", "dollies in, then comes back"): the same move reversed, same angle,
  distance and pace;
- ``slowly`` / ``quickly`` after the move ("pans right slowly"): its pace (before the verb,
  "slowly pans", the shot takes the clause's pace when it is made);
- vantage and shot size anywhere in the prompt ("seen from above", "a low angle shot", "at eye level",
  "close-up", "a wide shot", "from far away"): ``elevation`` / ``framing`` of the first shot, or of a
  ``static`` shot that only says how the camera looks (:meth:`CameraReader.camera_shots`).
"""
from __future__ import annotations

from typing import Any

from scenegraph.director import rules_lexicon as lex
from scenegraph.model import catalog
from scenegraph.director.rules_nouns import DETERMINERS

__all__ = ["CameraReader", "CAMERA_MOVES", "VIEWS", "reverse_shot"]

#: vantage / shot-size tokens (from the lexicon's phrases) -> ShotSpec fields
VIEWS = {"above": {"elevation": 75.0}, "high": {"elevation": 40.0}, "eye": {"elevation": 5.0},
         "below": {"elevation": -25.0}, "close": {"framing": "close"}, "wide": {"framing": "wide"}}

#: camera verbs that are also nouns (read as verbs only right after the camera, not after a determiner)
CAMERA_MOVES = {**dict.fromkeys(("truck", "trucks", "trucking"), "truck"),
                **dict.fromkeys(("crane", "cranes", "craning", "boom", "booms", "booming", "pedestal",
                                 "pedestals", "pedestaling", "pedestalling", "rise", "rises", "rising", "lift",
                                 "lifts", "lifting", "sink", "sinks", "sinking", "descend", "descends",
                                 "descending", "lower", "lowers", "lowering"), "crane")}
_DOWNWARD = {"sink", "sinks", "sinking", "descend", "descends", "descending", "lower", "lowers", "lowering"}
_BACK = ("back", "returns", "return", "returning")
_OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up", "in": "out", "out": "in"}
_DEFAULT_WAY = {"pan": "left", "tilt": "up", "dolly": "in", "zoom": "in", "orbit": "left", "truck": "left", "crane": "up"}


def reverse_shot(shot: dict[str, Any]) -> dict[str, Any] | None:
    """The move that undoes ``shot`` (same type, opposite direction, same angle/distance/duration/pace/target);
    None for a shot that has no way back (static, track, look away and back)."""
    kind = shot.get("type")
    if kind not in _DEFAULT_WAY:
        return None
    out = {"type": kind, "direction": _OPPOSITE[shot.get("direction") or _DEFAULT_WAY[kind]]}
    for key in ("angle", "distance", "duration", "pace", "target"):
        if shot.get(key) is not None:
            out[key] = shot[key]
    return out


class CameraReader:
    """The reader (see the module docstring); uses the parser's ``shots`` and ``add_shot``."""

    def camera_shots(self) -> list[dict[str, Any]]:
        """The shots, with the prompt's vantage and shot size on the first (a still shot if none moves)."""
        view = self.__dict__.get("camera_view") or {}
        if not view:
            return self.shots
        if not self.shots:
            return [{"type": "static", **view}]
        return [{**self.shots[0], **{k: v for k, v in view.items() if k not in self.shots[0]}}, *self.shots[1:]]

    def followed_move(self) -> None:
        """'The camera follows the dog through the park': a thing a follow shot films that does nothing itself
        goes its usual way (walks, drives, flies ...) while the shot runs; a camera cannot follow a thing standing
        still.  Up / down / in / out mean nothing to a follow shot ('follows the car down the street')."""
        for shot in self.shots:
            if shot.get("type") not in ("track", "follow") or not shot.get("target"):
                continue
            if shot.get("direction") in ("up", "down", "in", "out"):
                del shot["direction"]
            other = shot["target"]
            ent = self._ent(other)
            if ent is None or any(b.actor == other for b in self.acts):
                continue
            info = catalog.lookup(ent.cls)
            if info is None or not info.mobile:
                continue
            usual = next((v for v in info.verbs if v in ("walk", "run", "drive", "fly", "swim", "move")), None)
            self.add_action([other], usual or ("drive" if info.drive and not info.walk else "walk"), {})

    def _camera_words(self, c: Any, toks: list[str], i: int) -> int | None:
        t = toks[i]
        if t.startswith("§view:"):
            self.__dict__.setdefault("camera_view", {}).update(VIEWS.get(t.split(":", 1)[1], {}))
            return i + 1
        if c.subject != ["camera"] or c.cur:
            return None
        prev = toks[i - 1] if i else ""
        if t in CAMERA_MOVES and prev not in DETERMINERS and lex.number_value(prev) is None:
            c.shot = self.add_shot(CAMERA_MOVES[t], c.timing, "down" if t in _DOWNWARD else None)
            c.timing = {}
            return i + 1
        if t in lex.PACE_WORDS and c.shot is not None:  # 'pans right slowly'
            c.shot["pace"] = lex.PACE_WORDS[t]
            return i + 1
        if t in _BACK and self.shots:
            fresh = c.shot is not None and c.shot is self.shots[-1] and set(c.shot) <= {"type", "direction", "start", "after", "pace"}
            if fresh and len(self.shots) > 1 and prev not in ("left", "right", "up", "down"):
                back = reverse_shot(self.shots[-2])  # 'then pans back', 'then comes back': the move before, undone
                if back is not None:
                    keep = {k: c.shot[k] for k in ("start", "after", "pace") if k in c.shot}
                    c.shot.clear()
                    c.shot.update({**back, **keep})
                return i + 1
            if c.shot is None:  # 'pans left, then back'
                back = reverse_shot(self.shots[-1])
                if back is not None:
                    c.shot = self.add_shot(back["type"], c.timing, back.get("direction"))
                    c.shot.update({k: v for k, v in back.items() if k not in c.shot})
                    c.timing = {}
                return i + 1
        return None
