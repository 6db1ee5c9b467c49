"""Prompt fidelity of the rules director, checked on the world state; prints one JSON object.

Each prompt is built (rules director + world builder) and simulated; a check
then reads the world state — entity names and counts, positions relative to
each other, who moves and who stays, the order of motions in time, the camera's
path and what it sees — never pixels.  Categories: spatial, motion binding,
counting, sequences and returns, formations, camera, indoor, open vocabulary.
The prompts are written here (templates over word lists, plus whole sentences);
none is a rule in the director.

Also prints the speed figures of the issue: the median of direct + build for a
30-word prompt (target <= 20 ms) and the lexicon's lazy load in a fresh process
(target <= 50 ms).

The first round's prompts are here; the second round's, written in other phrasings, are in
benchmarks/fidelity_more.py.  "sets" in the output gives the pass rates of each set apart.

usage: python benchmarks/fidelity.py [--fps 8] [--show-failures] [--category NAME] [--set all|old|new|round3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one core, as the target says
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from scenegraph.director import direct  # noqa: E402
from scenegraph.world.builder import build_scene  # noqa: E402
from scenegraph.world.simulate import simulate  # noqa: E402

# ---------------------------------------------------------------------------
# the world-state view a check reads
# ---------------------------------------------------------------------------


class World:
    def __init__(self, prompt: str, fps: float):
        self.prompt = prompt
        self.spec, self.warnings = direct(prompt)
        self.scene = build_scene(self.spec, prompt=prompt)
        self.tl = simulate(self.scene, fps=fps)
        self.objects = [e for e in self.scene.entities("object") if e.id != "ground" and not e.id.startswith("road")]

    # -- entities --------------------------------------------------------------
    def ids(self, word: str) -> list[str]:
        """Entities named by ``word`` (their id is word_N), in order."""
        base = "".join(ch if ch.isalnum() else "_" for ch in word.lower())
        out = [e.id for e in self.objects if e.id.rsplit("_", 1)[0] == base]
        return sorted(out, key=lambda i: int(i.rsplit("_", 1)[1]))

    def one(self, word: str) -> str:
        if word in self.scene and word in self.tl.ids:
            return word  # already an entity id ('cup_1')
        ids = self.ids(word)
        if not ids:
            raise KeyError(f"no entity named {word!r} (have {[e.id for e in self.objects]})")
        return ids[0]

    def count(self, word: str) -> int:
        return len(self.ids(word))

    def any(self, *words: str) -> str:
        """The first of ``words`` that names an entity ('kitchen table' or else 'table'), for a compound noun."""
        for word in words:
            if self.ids(word):
                return self.ids(word)[0]
        return self.one(words[-1])

    def cls(self, word: str) -> str:
        return self.scene.entity(self.one(word)).cls

    # -- state over time ---------------------------------------------------------
    def p(self, word_or_id: str) -> np.ndarray:
        eid = word_or_id if word_or_id in self.tl.ids else self.one(word_or_id)
        return self.tl.world_position(eid).astype(np.float64)

    def box(self, word: str, f: int = 0) -> tuple[np.ndarray, np.ndarray]:
        eid = self.one(word)
        b = np.asarray(self.scene.entity(eid).bounds)
        c = self.p(eid)[f]
        return c + b[0], c + b[1]

    def moves(self, word: str, metres: float = 0.5) -> bool:
        p = self.p(word)
        return float(np.max(np.linalg.norm(p - p[0], axis=1))) > metres

    def still(self, word: str) -> bool:
        return not self.moves(word, 0.05)

    def start(self, word: str, metres: float = 0.05) -> float:
        """Time (s) the thing first has moved ``metres`` from where it was."""
        p = self.p(word)
        d = np.linalg.norm(p - p[0], axis=1)
        k = np.flatnonzero(d > metres)
        return float(self.tl.time[k[0]]) if len(k) else float("inf")

    def dist(self, word: str, target: str) -> np.ndarray:
        """(F,) horizontal distance from ``word``'s centre to ``target``'s box, frame by frame."""
        p = self.p(word)
        eid = self.one(target)
        b = np.asarray(self.scene.entity(eid).bounds)
        c = self.p(eid)
        q = np.clip(p, c + b[0], c + b[1])
        return np.linalg.norm((p - q)[:, [0, 2]], axis=1)

    def arrive(self, word: str, target: str, within: float = 2.5) -> float:
        """When ``word`` comes closest to ``target`` (if it gets within ``within`` m), else inf."""
        d = self.dist(word, target)
        if d.min() >= within:
            return float("inf")
        k = np.flatnonzero(d <= d.min() + 0.05)[0]
        return float(self.tl.time[k])

    def gap(self, a: str, b: str, f: int = -1) -> float:
        """Horizontal distance between the boxes of a and b at frame f."""
        la, ha = self.box(a, f)
        lb, hb = self.box(b, f)
        dx = max(lb[0] - ha[0], la[0] - hb[0], 0.0)
        dz = max(lb[2] - ha[2], la[2] - hb[2], 0.0)
        return float(np.hypot(dx, dz))

    def rel(self, a: str, r: str, b: str, f: int = 0) -> bool:
        pa, pb = self.p(a)[f], self.p(b)[f]
        la, ha = self.box(a, f)
        lb, hb = self.box(b, f)
        over = la[0] < hb[0] + 0.05 and ha[0] > lb[0] - 0.05 and la[2] < hb[2] + 0.05 and ha[2] > lb[2] - 0.05
        return {
            "left_of": pa[0] < pb[0], "right_of": pa[0] > pb[0],
            "in_front_of": pa[2] > pb[2], "behind": pa[2] < pb[2],
            "on": abs(la[1] - (lb[1] + self.surface(a, b))) < 0.05 and over,
            "under": ha[1] <= hb[1] + 1e-6 and la[1] < hb[1] and over,
            "above": la[1] >= hb[1] - 1e-6 and over,
            "inside": bool(np.all(la >= lb - 0.05) and np.all(ha <= hb + 0.05)),
            "near": self.gap(a, b, f) < 2.0,
            "far_from": self.gap(a, b, f) > 4.0,
        }[r]

    def surface(self, a: str, b: str) -> float:
        """Height above b's base where a rests when on b: a seat for a living thing on a chair or sofa."""
        from scenegraph.model import catalog
        from scenegraph.world.vertical import surface_height

        eb = self.scene.entity(self.one(b))
        size = np.ptp(np.asarray(eb.bounds), axis=0)
        return surface_height(catalog.lookup(eb.cls), size, catalog.lookup(self.scene.entity(self.one(a)).cls))

    def visible_throughout(self, word: str, share: float = 0.9) -> bool:
        vis = self.tl.visibility["camera_1"].in_frustum[:, self.tl.index(self.one(word))]
        return float(vis.mean()) >= share

    def camera(self) -> np.ndarray:
        return self.tl.world_position("camera_1").astype(np.float64)

    def camera_forward(self) -> np.ndarray:
        """(F, 3) viewing direction of the camera (-Z of its rotation)."""
        from scenegraph.model.rotations import quat_rotate

        q = self.tl.rotation[:, self.tl.index("camera_1")]
        return np.array([quat_rotate(qi, np.array([0.0, 0.0, -1.0])) for qi in q])


Check = Callable[[World], bool]
CASES: list[tuple[str, str, Check, str]] = []  # (category, prompt, check, set: 'old' | 'new')
_SET = "old"


def case(category: str, prompt: str, check: Check) -> None:
    CASES.append((category, prompt, check, _SET))


# ---------------------------------------------------------------------------
# spatial
# ---------------------------------------------------------------------------
_THINGS = ["car", "bench", "tree", "dog", "lamp post", "chair", "box", "bicycle", "horse", "vending machine",
           "fire hydrant", "mailbox", "statue", "tent", "barrel", "cow", "motorbike", "sofa", "fridge", "piano"]
_REL_WORDS = {"left_of": "to the left of", "right_of": "to the right of", "in_front_of": "in front of",
              "behind": "behind", "near": "next to"}
for k, (a, b) in enumerate(zip(_THINGS, _THINGS[1:] + _THINGS[:1])):
    for r, words in _REL_WORDS.items():
        if (k + len(r)) % 2 == 0 or r == "near":
            case("spatial", f"A {a} is {words} a {b}.", lambda w, a=a, r=r, b=b: w.rel(a, r, b))
for top, base in [("cup", "table"), ("cat", "sofa"), ("book", "desk"), ("vase", "shelf"), ("laptop", "table"),
                  ("teddy bear", "bed"), ("bird", "bench"), ("apple", "plate"), ("lamp", "nightstand"),
                  ("toy car", "rug")]:
    case("spatial", f"A {top} is on the {base}.", lambda w, t=top, b=base: w.rel(t, "on", b))
for under, over in [("cat", "table"), ("dog", "bench"), ("ball", "chair"), ("box", "desk"), ("shoe", "bed")]:
    case("spatial", f"A {under} sleeps under the {over}.", lambda w, u=under, o=over: w.rel(u, "under", o))
for a, b in [("drone", "car"), ("balloon", "house"), ("lamp", "table")]:
    case("spatial", f"A {a} hovers above the {b}.", lambda w, a=a, b=b: w.rel(a, "above", b))
for a, b, c in [("box", "chair", "table"), ("dog", "tree", "bench"), ("ball", "car", "van")]:
    case("spatial", f"A {a} sits between a {b} and a {c}.",
         lambda w, a=a, b=b, c=c: min(w.p(b)[0, 0], w.p(c)[0, 0]) < w.p(a)[0, 0] < max(w.p(b)[0, 0], w.p(c)[0, 0]))
case("spatial", "A small robot is inside a box under a table between two chairs.",
     lambda w: w.rel("robot", "inside", "box") and w.rel("box", "under", "table")
     and min(w.p("chair_1")[0, 0], w.p("chair_2")[0, 0]) < w.p("box")[0, 0] < max(w.p("chair_1")[0, 0], w.p("chair_2")[0, 0]))
case("spatial", "A mug is on a book on the table.", lambda w: w.rel("mug", "on", "book") and w.rel("book", "on", "table"))
case("spatial", "A tree stands far from the house.", lambda w: w.rel("tree", "far_from", "house"))
case("spatial", "A bench on the left, a tree in the middle and a lamp post on the right.",
     lambda w: w.p("bench")[0, 0] < w.p("tree")[0, 0] < w.p("lamp post")[0, 0])
case("spatial", "A red car is parked in front of a house and a bicycle leans behind it.",
     lambda w: w.rel("car", "in_front_of", "house"))
case("spatial", "A dog runs to the left of a car.",
     lambda w: w.moves("dog", 2.0) and bool(np.all(w.p("dog")[:, 0] < w.p("car")[:, 0])))
case("spatial", "A man walks behind the bus.",
     lambda w: w.moves("man", 2.0) and bool(np.all(w.p("man")[:, 2] < w.p("bus")[:, 2])))
case("spatial", "A cyclist rides in front of the building.",
     lambda w: w.moves("cyclist", 2.0) and bool(np.all(w.p("cyclist")[:, 2] > w.p("building")[:, 2])))

# ---------------------------------------------------------------------------
# motion binding: which entity moves
# ---------------------------------------------------------------------------
_MOVERS = [("dog", "runs"), ("man", "walks"), ("car", "drives"), ("horse", "gallops"), ("woman", "jogs"),
           ("cat", "walks"), ("bus", "drives"), ("cyclist", "rides"), ("child", "runs"), ("truck", "drives"),
           ("robot", "rolls"), ("duck", "waddles"), ("goat", "trots"), ("nurse", "walks"), ("tractor", "drives")]
_STILLS = ["bench", "tree", "house", "lamp post", "fountain", "statue", "table", "bus stop", "tent", "rock"]
for k, (m, v) in enumerate(_MOVERS):
    s = _STILLS[k % len(_STILLS)]
    case("motion binding", f"A {m} {v} past the {s}.", lambda w, m=m, s=s: w.moves(m) and w.still(s))
    s2 = _STILLS[(k + 3) % len(_STILLS)]
    case("motion binding", f"Next to a {s2}, a {m} {v} from left to right.",
         lambda w, m=m, s=s2: w.moves(m) and w.still(s) and w.p(m)[-1, 0] > w.p(m)[0, 0] + 1.0)
for rider, ridden in [("man", "bicycle"), ("woman", "horse"), ("boy", "skateboard"), ("girl", "scooter"),
                      ("jockey", "horse")]:
    case("motion binding", f"A {rider} riding a {ridden} goes down the road.",
         lambda w, r=rider, d=ridden: w.moves(r) and w.moves(d)
         and float(np.max(np.linalg.norm((w.p(r) - w.p(d))[:, [0, 2]], axis=1))) < 0.5)
case("motion binding", "A woman jogs along the road with a bus driving past in the background.",
     lambda w: w.moves("woman") and w.moves("bus") and w.p("bus")[0, 2] < w.p("woman")[0, 2])
case("motion binding", "The camera follows a man riding a bicycle down a road, then tilts up to the sky.",
     lambda w: w.moves("man") and w.moves("bicycle"))
case("motion binding", "A nurse pushes a wheelchair past a vending machine.",
     lambda w: w.moves("nurse") and w.moves("wheelchair") and w.still("vending machine"))
case("motion binding", "A man carries a box to the truck.",
     lambda w: w.moves("man") and w.moves("box") and w.still("truck"))
case("motion binding", "A dog chases a cat around the yard.", lambda w: w.moves("dog") and w.moves("cat"))
case("motion binding", "A red car overtakes a blue truck.",
     lambda w: w.moves("car") and w.moves("truck"))
case("motion binding", "A man with a dog walks to the bench.", lambda w: w.moves("man") and w.moves("dog") and w.still("bench"))
case("motion binding", "A cat watches a mouse that runs across the floor.",
     lambda w: w.moves("mouse") and not w.moves("cat", 0.3))
case("motion binding", "A girl throws a ball to a boy.", lambda w: w.moves("ball") and not w.moves("boy", 0.3))
case("motion binding", "A boy plays with a toy car next to a flower bed.",
     lambda w: w.count("boy") == 1 and w.count("toy car") == 1 and w.count("flower bed") == 1 and w.count("man") == 0)
case("motion binding", "An otter swims past a canoe.", lambda w: w.moves("otter") and w.count("canoe") == 1)
case("motion binding", "Two men box in the ring while a referee watches.",
     lambda w: w.count("man") == 2 and w.count("box") == 0)
case("motion binding", "A helicopter flies over the lake while a boat stays still.",
     lambda w: w.moves("helicopter") and w.still("boat"))

# ---------------------------------------------------------------------------
# counting
# ---------------------------------------------------------------------------
_NUMS = [("two", 2), ("three", 3), ("4", 4), ("five", 5), ("six", 6), ("7", 7), ("eight", 8), ("nine", 9),
         ("ten", 10), ("twelve", 12), ("15", 15), ("twenty", 20), ("a dozen", 12), ("a couple of", 2),
         ("eleven", 11), ("thirteen", 13), ("twenty-one", 21), ("sixteen", 16)]
_PLURALS = [("cars", "car"), ("dogs", "dog"), ("people", "person"), ("chairs", "chair"), ("trees", "tree"),
            ("geese", "goose"), ("mice", "mouse"), ("children", "child"), ("boxes", "box"), ("buses", "bus"),
            ("sheep", "sheep"), ("cones", "cone"), ("bottles", "bottle"), ("fire trucks", "fire truck"),
            ("traffic cones", "traffic cone"), ("apples", "apple"), ("ducks", "duck"), ("bicycles", "bicycle")]
for k, (nw, n) in enumerate(_NUMS):
    pl, one = _PLURALS[k % len(_PLURALS)]
    case("counting", f"{nw.capitalize()} {pl} are in the park.", lambda w, n=n, o=one: w.count(o) == n)
    pl2, one2 = _PLURALS[(k + 5) % len(_PLURALS)]
    case("counting", f"There are {nw} {pl2} and one bench.",
         lambda w, n=n, o=one2: w.count(o) == n and w.count("bench") == 1)
case("counting", "No cars are on the street, only a cyclist.", lambda w: w.count("car") == 0 and w.count("cyclist") == 1)
case("counting", "A dog and two cats sit on the sofa.", lambda w: w.count("dog") == 1 and w.count("cat") == 2)
case("counting", "Three red balls and two blue cubes lie on the floor.",
     lambda w: w.count("ball") == 3 and w.count("cube") == 2)
case("counting", "Four people walk to the bus stop.", lambda w: w.count("person") == 4 and all(
     w.moves(i) for i in w.ids("person")))
case("counting", "A pair of shoes is next to the door.", lambda w: w.count("shoe") == 2)

# ---------------------------------------------------------------------------
# sequences and returns
# ---------------------------------------------------------------------------
_PLACES3 = [("door", "sofa"), ("tree", "bench"), ("car", "house"), ("fountain", "statue"), ("table", "window")]
for a, b in _PLACES3:
    case("sequences", f"A man walks to the {a}, then runs to the {b}.",
         lambda w, a=a, b=b: w.arrive("man", a) < w.arrive("man", b) < float("inf"))
    case("sequences", f"A woman walks to the {a} and comes back.",
         lambda w, a=a: w.moves("woman", 1.0) and float(np.linalg.norm(w.p("woman")[-1] - w.p("woman")[0])) < 0.3)
    case("sequences", f"A dog runs to the {b}, waits for two seconds, then returns.",
         lambda w, b=b: w.arrive("dog", b) < float("inf") and float(np.linalg.norm(w.p("dog")[-1] - w.p("dog")[0])) < 0.3)
for n_word, n in [("twice", 2), ("three times", 3), ("4 times", 4)]:
    case("sequences", f"A kangaroo jumps {n_word}.",
         lambda w, n=n: len(np.flatnonzero(np.diff((w.p("kangaroo")[:, 1] > 0.05).astype(int)) == 1)) == n)
    case("sequences", f"A horse gallops around the tree {n_word}.",
         lambda w, n=n: abs(np.unwrap(np.arctan2(*(w.p("horse") - w.p("tree"))[:, [0, 2]].T))[-1]
                            - np.unwrap(np.arctan2(*(w.p("horse") - w.p("tree"))[:, [0, 2]].T))[0]) > (n - 0.2) * 2 * np.pi)
case("sequences", "After the ball stops, the child runs to it.",
     lambda w: w.moves("ball") and w.start("child") >= w.start("ball") and w.arrive("child", "ball") < float("inf"))
case("sequences", "The child runs to the ball after it stops rolling.",
     lambda w: w.start("child") > w.start("ball"))
case("sequences", "A car drives from left to right, then a bus drives from right to left.",
     lambda w: w.start("bus") >= w.start("car") + 0.5)
case("sequences", "A man waves, then walks to the car.", lambda w: w.start("man", 0.3) > 1.0 and w.moves("man"))
case("sequences", "A cat sits for three seconds, then walks to the bowl.", lambda w: 2.5 < w.start("cat") < 4.0)
case("sequences", "A dog walks back and forth twice.",
     lambda w: len(np.flatnonzero(np.diff(np.sign(np.round(np.diff(w.p("dog")[:, 0]) + np.diff(w.p("dog")[:, 2]), 4))) != 0)) >= 2
     or w.moves("dog"))
case("sequences", "After 2 seconds, a bird flies to the roof of the house.", lambda w: w.start("bird") >= 1.9)
case("sequences", "While a man crosses the street, a car waits at the crossing.",
     lambda w: w.moves("man") and w.still("car"))
case("sequences", "A truck drives past. When it leaves, a man crosses the road.",
     lambda w: w.start("man") >= w.start("truck") + 0.5)
case("sequences", "Before the bus arrives, a woman walks to the bus stop.",
     lambda w: w.start("woman") <= w.start("bus") + 1e-6 and w.moves("woman"))
case("sequences", "A ball rolls to the wall and rolls back.",
     lambda w: w.moves("ball") and float(np.linalg.norm(w.p("ball")[-1] - w.p("ball")[0])) < 0.5)
case("sequences", "A boy runs to the tree, touches it and runs back.",
     lambda w: w.arrive("boy", "tree") < float("inf") and float(np.linalg.norm(w.p("boy")[-1] - w.p("boy")[0])) < 0.5)
case("sequences", "A cat jumps onto the table, then jumps again.",
     lambda w: w.p("cat")[-1, 1] > 0.5)
case("sequences", "A man walks to the door, then opens it, then sits on the sofa.",
     lambda w: w.arrive("man", "door") < w.arrive("man", "sofa") < float("inf") and not w.rel("door", "on", "sofa"))
case("sequences", "A dog runs to the fence for three seconds.", lambda w: w.moves("dog"))
case("sequences", "A runner sprints to the finish line, then walks back slowly.",
     lambda w: w.moves("runner") and float(np.linalg.norm(w.p("runner")[-1] - w.p("runner")[0])) < 0.5)

# ---------------------------------------------------------------------------
# formations and relative actions
# ---------------------------------------------------------------------------
_GROUPS = [("cones", "cone"), ("chairs", "chair"), ("people", "person"), ("barrels", "barrel"), ("trees", "tree"),
           ("cars", "car"), ("ducks", "duck"), ("soldiers", "soldier")]
for k, (pl, one) in enumerate(_GROUPS):
    n = 3 + k % 4
    case("formations", f"{n} {pl} stand in a row.",
         lambda w, o=one: bool(np.all(np.diff(sorted(w.p(i)[0, 0] for i in w.ids(o))) > 0.2))
         and float(np.ptp([w.p(i)[0, 2] for i in w.ids(o)])) < 0.05)
    case("formations", f"{n} {pl} stand in a line, one behind the other.",
         lambda w, o=one: float(np.ptp([w.p(i)[0, 0] for i in w.ids(o)])) < 0.05
         and float(np.ptp([w.p(i)[0, 2] for i in w.ids(o)])) > 0.5)
    case("formations", f"{n + 2} {pl} stand in a circle.",
         lambda w, o=one: (lambda P: float(np.ptp(np.linalg.norm(P - P.mean(axis=0), axis=1))) < 0.05)(
             np.array([w.p(i)[0, [0, 2]] for i in w.ids(o)])))
case("formations", "Six orange cones stand in a row and a motorbike weaves between them from left to right.",
     lambda w: w.moves("motorbike") and w.p("motorbike")[-1, 0] > max(w.p(i)[0, 0] for i in w.ids("cone")))
case("formations", "Four children walk in pairs to the school bus.", lambda w: w.count("child") == 4 and all(
     w.moves(i) for i in w.ids("child")))
case("formations", "Two horses gallop side by side.",
     lambda w: w.moves("horse_1") and w.moves("horse_2") and float(np.max(np.linalg.norm(w.p("horse_1") - w.p("horse_2"), axis=1))) < 3.0)
case("formations", "Three ducks walk in a line to the pond.",
     lambda w: all(w.moves(i) for i in w.ids("duck")))
case("formations", "A man and a woman walk side by side.",
     lambda w: w.moves("man") and w.moves("woman") and float(np.max(np.linalg.norm(w.p("man") - w.p("woman"), axis=1))) < 2.5)
case("formations", "A police car chases a red car down the street.",
     lambda w: w.moves("police car") and w.moves("car"))
case("formations", "A dog follows a man to the park.", lambda w: w.moves("dog") and w.moves("man"))
case("formations", "A cyclist overtakes a jogger.",
     lambda w: w.moves("cyclist") and w.moves("jogger"))
case("formations", "A man and a woman meet in the middle of the square.",
     lambda w: w.gap("man", "woman") < 1.2 and w.gap("man", "woman", 0) > 1.5)
case("formations", "A boy approaches the dog.", lambda w: w.gap("boy", "dog") < w.gap("boy", "dog", 0) and w.gap("boy", "dog") < 1.5)
case("formations", "A guide leads a group of tourists to the museum.", lambda w: w.moves("guide"))
case("formations", "A sheepdog circles the sheep.", lambda w: w.moves("sheepdog"))
case("formations", "Five cars are parked side by side.",
     lambda w: float(np.ptp([w.p(i)[0, 2] for i in w.ids("car")])) < 0.05)
case("formations", "Eight chairs stand in pairs.", lambda w: w.count("chair") == 8)

# ---------------------------------------------------------------------------
# camera
# ---------------------------------------------------------------------------
_SUBJ = ["car", "horse", "man", "dog", "bus", "cyclist", "woman", "robot"]
for k, s in enumerate(_SUBJ):
    case("camera", f"The camera follows a {s} moving from left to right.",
         lambda w, s=s: w.moves(s) and w.visible_throughout(s, 0.8))
    case("camera", f"A {s} stands still while the camera orbits around it.",
         lambda w, s=s: w.still(s) and float(np.ptp(w.camera()[:, 0])) > 1.0 and w.visible_throughout(s, 0.9))
    case("camera", f"The camera dollies in on a {s}.",
         lambda w, s=s: float(np.linalg.norm(w.camera()[-1] - w.p(s)[-1])) < float(np.linalg.norm(w.camera()[0] - w.p(s)[0])) - 0.3)
for d, sign in (("left", -1), ("right", 1)):
    case("camera", f"The camera pans {d} across a park with a fountain.",
         lambda w, sign=sign: sign * (w.camera_forward()[-1, 0] - w.camera_forward()[0, 0]) > 0.05)
for d, sign in (("up", 1), ("down", -1)):
    case("camera", f"A tall tower stands in the city and the camera tilts {d}.",
         lambda w, sign=sign: sign * (w.camera_forward()[-1, 1] - w.camera_forward()[0, 1]) > 0.05)
case("camera", "A horse gallops around the field twice while the camera dollies in.",
     lambda w: w.moves("horse") and float(np.linalg.norm(np.diff(w.camera(), axis=0), axis=1).sum()) > 0.3)
case("camera", "A static camera watches a car drive past.", lambda w: w.moves("car") and float(np.ptp(w.camera(), axis=0).max()) < 1e-3)

# ---------------------------------------------------------------------------
# indoor
# ---------------------------------------------------------------------------
_ROOMS = ["kitchen", "living room", "office", "bedroom", "classroom", "restaurant"]
_INDOOR = [("cup", "table"), ("cat", "sofa"), ("laptop", "desk"), ("pillow", "bed"), ("book", "shelf"),
           ("plate", "counter")]
for k, room in enumerate(_ROOMS):
    a, b = _INDOOR[k]
    case("indoor", f"In the {room}, a {a} is on the {b}.",
         lambda w, a=a, b=b, r=room: w.rel(a, "on", b) and (w.spec.environment.setting or "").replace("-", " ") == r)
    case("indoor", f"In the {room}, a man walks to the {b} and sits down.",
         lambda w, b=b: w.arrive("man", b) < float("inf"))
    case("indoor", f"A lamp stands next to the {b} in the {room}.", lambda w, b=b: w.rel("lamp", "near", b))
    case("indoor", f"A dog lies under the {b} in the {room}.", lambda w, b=b: w.count("dog") == 1 and w.count(b) == 1)
case("indoor", "In the kitchen, a kettle is on the stove and a cat sits on the counter.",
     lambda w: w.rel("kettle", "on", "stove") and w.rel("cat", "on", "counter"))
case("indoor", "A grand piano stands in the corner of the living room next to a window.",
     lambda w: w.count("grand piano") == 1 and w.count("window") == 1)
case("indoor", "A robot vacuum moves across the bedroom floor.", lambda w: w.moves("robot vacuum"))
case("indoor", "Two children sit at the dining table while their mother walks to the fridge.",
     lambda w: w.count("child") == 2 and w.moves("mother") and w.arrive("mother", "fridge") < float("inf"))
case("indoor", "A toddler crawls to the toy box in the nursery.", lambda w: w.moves("toddler"))
case("indoor", "A waiter carries a tray to the table in the restaurant.", lambda w: w.moves("waiter") and w.moves("tray"))

# ---------------------------------------------------------------------------
# open vocabulary
# ---------------------------------------------------------------------------
_OPEN = [("otter", "quadruped"), ("fire truck", "truck"), ("hot air balloon", "aircraft"), ("grand piano", "furniture"),
         ("vending machine", "furniture"), ("traffic light", "street_furniture"), ("flamingo", "bird"),
         ("wheelbarrow", "car"), ("lighthouse", "building"), ("cactus", "plant"), ("skateboarder", "biped"),
         ("penguin", "biped"), ("submarine", "boat"), ("tractor", "truck"), ("giraffe", "quadruped"),
         ("hedgehog", "quadruped"), ("ferris wheel", "street_furniture"), ("jellyfish", "fish"),
         ("snowmobile", "car"), ("double-decker bus", "bus"), ("pelican", "bird"), ("scarecrow", "biped"),
         ("forklift", "truck"), ("ambulance", "car"), ("kayak", "boat"), ("pumpkin", "plant"),
         ("espresso machine", "prop"), ("rocking chair", "furniture"), ("windmill", "building"), ("tuba", "prop")]
for k, (noun, arch) in enumerate(_OPEN):
    art = "An" if noun[0] in "aeiou" else "A"
    case("open vocabulary", f"{art} {noun} stands next to a tree.",
         lambda w, n=noun, a=arch: w.count(n) == 1 and __import__("scenegraph.model.catalog", fromlist=["x"]).lookup(
             w.cls(n)).archetype in (a, "biped") if a == "biped" else w.count(n) == 1)
_OPEN_MOVERS = [("otter", "swims"), ("fire truck", "drives"), ("flamingo", "walks"), ("penguin", "waddles"),
                ("giraffe", "walks"), ("ambulance", "drives"), ("kayak", "glides"), ("snowmobile", "drives"),
                ("hedgehog", "scurries"), ("forklift", "moves")]
for noun, verb in _OPEN_MOVERS:
    art = "An" if noun[0] in "aeiou" else "A"
    case("open vocabulary", f"{art} {noun} {verb} from left to right.",
         lambda w, n=noun: w.moves(n) and w.p(n)[-1, 0] > w.p(n)[0, 0])
case("open vocabulary", "A kitten plays next to a grandfather clock.",
     lambda w: w.count("kitten") == 1 and w.cls("kitten") == "cat" and w.count("grandfather clock") == 1)
case("open vocabulary", "A blorptastic gizmo sits on the table.",
     lambda w: w.count("gizmo") == 1 and w.rel("gizmo", "on", "table"))
case("open vocabulary", "A wug walks to the fountain.", lambda w: w.count("wug") == 1 and w.moves("wug"))
case("open vocabulary", "Three zorbles stand near the barn.", lambda w: w.count("zorble") == 3)
case("open vocabulary", "A quokka hops past a eucalyptus tree.", lambda w: w.count("quokka") == 1 and w.moves("quokka"))


# the second round's prompts (benchmarks/fidelity_more.py)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fidelity_more  # noqa: E402

_SET = "new"
fidelity_more.register(case)
_SET = "round3"  # the third round's (benchmarks/fidelity_more.py, register_round3)
fidelity_more.register_round3(case)
_SET = "round4"  # the fourth round's (benchmarks/fidelity_more.py, register_round4)
fidelity_more.register_round4(case)

# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------


def _rates(per: dict[str, list[bool]]) -> dict:
    return {cat: {"prompts": len(v), "passed": sum(v), "pass_rate": round(sum(v) / len(v), 3)} for cat, v in per.items()}


def run_cases(fps: float, only: str | None, show: bool, which: str = "all") -> tuple[dict, dict]:
    """(per category, per set and category) pass counts."""
    per: dict[str, list[bool]] = defaultdict(list)
    per_set: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    failures: list[tuple[str, str, str]] = []
    for cat, prompt, check, group in CASES:
        if (only and cat != only) or (which != "all" and group != which):
            continue
        try:
            ok = bool(check(World(prompt, fps)))
            why = "check failed"
        except Exception as exc:  # a build error or a missing entity is a failure of the prompt
            ok, why = False, f"{type(exc).__name__}: {exc}"[:160]
        per[cat].append(ok)
        per_set[group][cat].append(ok)
        if not ok:
            failures.append((cat, prompt, why))
    if show:
        for cat, prompt, why in failures:
            print(f"FAIL [{cat}] {prompt} -- {why}", file=sys.stderr)
    return _rates(per), {g: {"prompts": sum(len(v) for v in d.values()), "passed": sum(sum(v) for v in d.values()),
                             "categories": _rates(d)} for g, d in per_set.items()}


THIRTY = ("A red car drives from left to right while a man walks his dog to the bench, "
          "then the camera pans left as a cyclist rides past the old stone fountain.")


def speed(repeat: int = 30) -> dict:
    def once():
        spec, _ = direct(THIRTY)
        build_scene(spec, prompt=THIRTY)

    once()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1000)
    code = ("import time, scenegraph.model.catalog as c\n"
            "t = time.perf_counter(); c._lexicon(); print((time.perf_counter() - t) * 1000)")
    loads = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
             for _ in range(3)]
    direct_ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        direct(THIRTY)
        direct_ms.append((time.perf_counter() - t0) * 1000)
    return {"words": len(THIRTY.split()), "median_direct_build_ms": round(statistics.median(times), 2),
            "median_direct_ms": round(statistics.median(direct_ms), 2),
            "lexicon_load_ms": round(min(loads), 2), "lexicon_load_ms_runs": [round(v, 1) for v in loads]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--category")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--set", choices=("all", "old", "new", "round3", "round4"), default="all",
                    help="old: the first round's prompts; new, round3, round4: benchmarks/fidelity_more.py")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cats, sets = run_cases(args.fps, args.category, args.show_failures, args.set)
    total = sum(c["prompts"] for c in cats.values())
    passed = sum(c["passed"] for c in cats.values())
    out = {"prompts": total, "passed": passed, "pass_rate": round(passed / max(total, 1), 3), "categories": cats,
           "sets": sets, "seconds": round(time.perf_counter() - t0, 1)}
    if not args.no_speed:
        out["speed"] = speed()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
