"""The second set of fidelity prompts (round two of issue #13): new phrasings, checked on the world state.

Written as a user would write them, before looking at how the rules director reads them:
word order turned round, synonyms, passive voice, "there is/are", numbers in digits and
words, relative clauses, pronouns, several sentences, time words (until, while, after N
seconds, before, at the same time, meanwhile, then ... back, again, N times) and
relations (among, across, through, along, into, out of, towards, away from, far from,
on top of, in the middle of), everyday and compound nouns.

``register(case)`` adds them to :mod:`fidelity`'s list; ``fidelity.py --set new`` runs only these.
"""
from __future__ import annotations

import numpy as np

INF = float("inf")


def _fill(w, word: str) -> np.ndarray:
    """(F,) share of the live camera's picture height the box of ``word`` spans (0 where out of the picture)."""
    from scenegraph.world.coverage import active_cameras
    from scenegraph.world.plausibility import subject_fill

    live = np.array(active_cameras(w.scene, w.tl.time))
    out = np.zeros(len(live))
    for cam in set(live.tolist()):
        out[live == cam] = subject_fill(w.scene, w.tl, w.one(word), cam)[live == cam]
    return out


def _whole(w, word: str) -> np.ndarray:
    """(F,) whether the whole box of ``word`` is in the live camera's picture."""
    from scenegraph.world.coverage import active_cameras
    from scenegraph.world.shots import entity_in_picture

    live = active_cameras(w.scene, w.tl.time)
    return np.array([entity_in_picture(w.scene, w.tl, w.one(word), f, live[f]) for f in range(len(live))])


def _zooms(w, word: str, grow: bool) -> bool:
    """The camera stays where it is and ``word`` grows (or shrinks) in the picture by a quarter or more."""
    f = _fill(w, word)
    still = float(np.ptp(w.camera(), axis=0).max()) < 1e-3
    return still and (f[-1] > 1.25 * f[0] if grow else f[-1] < 0.8 * f[0])


def _between_x(w, a: str, b: str, c: str) -> bool:
    xa, xb, xc = w.p(a)[0, 0], w.p(b)[0, 0], w.p(c)[0, 0]
    return min(xb, xc) < xa < max(xb, xc)


def _all_move(w, word: str, n: int | None = None, metres: float = 0.5) -> bool:
    ids = w.ids(word)
    return bool(ids) and (n is None or len(ids) == n) and all(w.moves(i, metres) for i in ids)


def _turns(w, mover: str, centre: str) -> float:
    """Turns (in revolutions) ``mover`` makes around ``centre`` over the clip."""
    d = (w.p(mover) - w.p(centre))[:, [0, 2]]
    ang = np.unwrap(np.arctan2(d[:, 0], d[:, 1]))
    return abs(float(ang[-1] - ang[0])) / (2 * np.pi)


def _rises(w, word: str) -> int:
    y = w.p(word)[:, 1] - w.p(word)[0, 1]
    return len(np.flatnonzero(np.diff((y > 0.05).astype(int)) == 1))


def _stops(w, word: str, metres: float = 0.02) -> float:
    """Time (s) after which ``word`` no longer moves."""
    p = w.p(word)
    step = np.linalg.norm(np.diff(p, axis=0), axis=1)
    k = np.flatnonzero(step > metres * (w.tl.time[1] - w.tl.time[0]) * 8)
    return float(w.tl.time[k[-1] + 1]) if len(k) else 0.0


def register(case) -> None:  # noqa: C901 - a list of prompts
    # -- spatial ------------------------------------------------------------------
    S = "spatial"
    case(S, "There is a lamp on top of the desk.", lambda w: w.rel("lamp", "on", "desk"))
    case(S, "A cat is sleeping beneath the kitchen table.",
         lambda w: w.rel("cat", "under", w.any("kitchen table", "table")))
    case(S, "Behind the house stands a tall oak tree.", lambda w: w.rel(w.any("oak tree", "oak", "tree"), "behind", "house"))
    case(S, "The bicycle leans against the wall, to the right of the door.",
         lambda w: w.rel("bicycle", "right_of", "door"))
    case(S, "In the middle of the square there is a fountain with four benches around it.",
         lambda w: w.count("fountain") == 1 and w.count("bench") == 4)
    case(S, "Two cups are on the table and a teapot stands between them.",
         lambda w: w.count("cup") == 2 and w.count("teapot") == 1 and _between_x(w, "teapot", "cup_1", "cup_2"))
    case(S, "The laptop was placed on the desk by the window.", lambda w: w.rel("laptop", "on", "desk"))
    case(S, "A car is parked far away from the tree.", lambda w: w.rel("car", "far_from", "tree"))
    case(S, "To the left of the bed is a wooden chair.", lambda w: w.rel("chair", "left_of", "bed"))
    case(S, "On the shelf there are three books.",
         lambda w: w.count("book") == 3 and all(w.rel(b, "on", "shelf") for b in w.ids("book")))
    case(S, "A mouse hides inside the cupboard.", lambda w: w.rel("mouse", "inside", "cupboard"))
    case(S, "High above the house, a kite is flying.",
         lambda w: w.box("kite")[0][1] > w.box("house")[1][1])
    case(S, "The dog sits in front of the fireplace.", lambda w: w.rel("dog", "in_front_of", "fireplace"))
    case(S, "A plate with an apple on it is on the counter.",
         lambda w: w.rel("apple", "on", "plate") and w.rel("plate", "on", "counter"))
    case(S, "A red ball lies among the flowers.",
         lambda w: w.count("ball") == 1 and w.count("flower") >= 2 and min(w.gap("ball", f) for f in w.ids("flower")) < 2.0)
    case(S, "A motorbike is parked next to the van, and a helmet lies on the ground beside it.",
         lambda w: w.rel("motorbike", "near", "van") and w.count("helmet") == 1)
    case(S, "A little wooden hut stands by the lake.", lambda w: w.count("hut") == 1)
    case(S, "There's a pumpkin on the doorstep.", lambda w: w.count("pumpkin") == 1 and w.rel("pumpkin", "on", "doorstep"))

    # -- motion binding ---------------------------------------------------------------
    M = "motion binding"
    case(M, "A bus is driven slowly down the street.", lambda w: w.moves("bus"))
    case(M, "Past the old church walks a priest.", lambda w: w.moves("priest") and w.still("church"))
    case(M, "The horse that the girl is riding trots across the meadow.",
         lambda w: w.moves("horse") and w.moves("girl")
         and float(np.max(np.linalg.norm((w.p("girl") - w.p("horse"))[:, [0, 2]], axis=1))) < 0.6)
    case(M, "A boy kicks a ball towards the goal.", lambda w: w.moves("ball"))
    case(M, "A squirrel climbs up the tree.", lambda w: w.moves("squirrel") and w.p("squirrel")[-1, 1] > w.p("squirrel")[0, 1] + 0.5)
    case(M, "An old man pushes a shopping cart through the supermarket.",
         lambda w: w.moves(w.any("old man", "man")) and w.moves(w.any("shopping cart", "cart")))
    case(M, "A tractor pulls a trailer across the field.", lambda w: w.moves("tractor") and w.moves("trailer"))
    case(M, "A mother and her daughter walk along the beach with their dog.",
         lambda w: w.moves("mother") and w.moves("daughter") and w.moves("dog"))
    case(M, "Three cars drive past a parked truck.", lambda w: _all_move(w, "car", 3) and w.still("truck"))
    case(M, "A skier glides down the slope.", lambda w: w.moves("skier"))
    case(M, "A fox runs away from the hunter.",
         lambda w: w.moves("fox") and w.gap("fox", "hunter") > w.gap("fox", "hunter", 0) + 1.0 and w.still("hunter"))
    case(M, "A seagull flies over the boat while a fisherman stands still on the pier.",
         lambda w: w.moves("seagull") and w.still("fisherman"))
    case(M, "A girl on a scooter rolls past the bakery.",
         lambda w: w.moves("girl") and w.moves("scooter") and w.still("bakery"))
    case(M, "The truck is overtaken by a motorbike.", lambda w: w.moves("truck") and w.moves("motorbike"))
    case(M, "A cat sits on the wall and watches a bird that hops across the lawn.",
         lambda w: w.moves("bird") and not w.moves("cat", 0.3))

    # -- counting ----------------------------------------------------------------------
    C = "counting"
    case(C, "There are 14 candles on the cake.", lambda w: w.count("candle") == 14 and w.count("cake") == 1)
    case(C, "Nineteen balloons float above the playground.", lambda w: w.count("balloon") == 19)
    case(C, "Seventeen pigeons sit on the roof of the barn.", lambda w: w.count("pigeon") == 17)
    case(C, "A dozen eggs are in the basket.", lambda w: w.count("egg") == 12 and w.count("basket") == 1)
    case(C, "I can see 3 cats and 2 dogs in the garden.", lambda w: w.count("cat") == 3 and w.count("dog") == 2)
    case(C, "Five boats float on the lake; two of them are red.", lambda w: w.count("boat") == 5)
    case(C, "Eighteen sheep graze in the meadow.", lambda w: w.count("sheep") == 18)
    case(C, "There is only one car on the road.", lambda w: w.count("car") == 1)
    case(C, "Two tall giraffes and a baby elephant walk to the water hole.",
         lambda w: w.count("giraffe") == 2 and w.count("elephant") == 1)
    case(C, "Ten soldiers march past the palace.", lambda w: _all_move(w, "soldier", 10) and w.still("palace"))
    case(C, "The parking lot has 9 cars in it.", lambda w: w.count("car") == 9)
    case(C, "Sixteen chairs are arranged around a long table.", lambda w: w.count("chair") == 16 and w.count("table") == 1)
    case(C, "Both dogs bark at the mailman.", lambda w: w.count("dog") == 2 and w.count("mailman") == 1)
    case(C, "A flock of 11 birds sits on the power line.", lambda w: w.count("bird") == 11)
    case(C, "There are no people in the street, just four parked cars.",
         lambda w: w.count("car") == 4 and w.count("person") == 0)

    # -- sequences ------------------------------------------------------------------------
    Q = "sequences"
    case(Q, "The girl runs to the swing and then walks back to the bench.",
         lambda w: w.arrive("girl", "swing") < w.arrive("girl", "bench") < INF)
    case(Q, "After 3 seconds the car starts driving towards the garage.",
         lambda w: w.start("car") >= 2.9 and w.moves("car"))
    case(Q, "A man opens the door. Then he walks into the house.", lambda w: w.moves("man") and w.still("door"))
    case(Q, "The dog runs until it reaches the tree.",
         lambda w: w.moves("dog") and w.arrive("dog", "tree", 1.5) < INF and w.dist("dog", "tree")[-1] < 1.5)
    case(Q, "A man walks along the street until the car stops.",
         lambda w: w.moves("man") and w.moves("car") and abs(_stops(w, "man") - _stops(w, "car")) < 1.0)
    case(Q, "A cat walks to the bowl, eats, and walks back to the door.",
         lambda w: w.arrive("cat", "bowl") < w.arrive("cat", "door") < INF)
    case(Q, "The ball bounces three times.", lambda w: _rises(w, "ball") == 3)
    case(Q, "A bird lands on the fence, waits for a moment and flies away again.",
         lambda w: w.arrive("bird", "fence", 1.0) < INF and w.dist("bird", "fence")[-1] > 1.5)
    case(Q, "First the boy jumps, then the girl jumps.", lambda w: w.start("boy") + 0.3 < w.start("girl"))
    case(Q, "A car drives to the gas station and comes back.",
         lambda w: w.moves("car", 2.0) and float(np.linalg.norm(w.p("car")[-1] - w.p("car")[0])) < 1.0)
    case(Q, "The runner circles the fountain twice.", lambda w: _turns(w, "runner", "fountain") > 1.8)
    case(Q, "A woman walks into the kitchen. Meanwhile, a cat sleeps on the chair.",
         lambda w: w.moves("woman") and w.rel("cat", "on", "chair"))
    case(Q, "At the same time as the bus leaves, a man runs to the bus stop.",
         lambda w: w.moves("bus") and w.moves("man") and abs(w.start("man") - w.start("bus")) < 0.6)
    case(Q, "A horse walks to the barn, then trots back to the gate.",
         lambda w: w.arrive("horse", "barn") < w.arrive("horse", "gate") < INF)
    case(Q, "A duck swims across the pond and back again.",
         lambda w: w.moves("duck", 1.5) and float(np.linalg.norm(w.p("duck")[-1] - w.p("duck")[0])) < 1.0)
    case(Q, "While the kettle boils, the woman walks over to the fridge.",
         lambda w: w.arrive("woman", "fridge") < INF)
    case(Q, "The child waits by the door until the dog comes back.",
         lambda w: w.still("child") and w.moves("dog"))
    case(Q, "A drone takes off, hovers for two seconds and then lands.",
         lambda w: w.p("drone")[:, 1].max() > w.p("drone")[0, 1] + 1.0 and w.p("drone")[-1, 1] < w.p("drone")[:, 1].max() - 0.5)

    # -- formations --------------------------------------------------------------------------
    F = "formations"
    case(F, "Five soldiers march in a line.", lambda w: _all_move(w, "soldier", 5))
    case(F, "The children stand in a circle around the tree.",
         lambda w: w.count("child") >= 3 and float(np.ptp([np.linalg.norm((w.p(c)[0] - w.p("tree")[0])[[0, 2]])
                                                           for c in w.ids("child")])) < 0.5)
    case(F, "4 cars are parked in a row along the street.",
         lambda w: w.count("car") == 4 and float(np.ptp([w.p(i)[0, 2] for i in w.ids("car")])) < 0.1)
    case(F, "Two dogs run side by side across the field.",
         lambda w: _all_move(w, "dog", 2)
         and float(np.max(np.linalg.norm(w.p("dog_1") - w.p("dog_2"), axis=1))) < 3.0)
    case(F, "Ten ducks swim one behind the other.", lambda w: _all_move(w, "duck", 10))
    case(F, "Three cyclists ride in single file down the road.", lambda w: _all_move(w, "cyclist", 3))
    case(F, "Six dancers form a circle.",
         lambda w: w.count("dancer") == 6 and (lambda P: float(np.ptp(np.linalg.norm(P - P.mean(axis=0), axis=1))) < 0.1)(
             np.array([w.p(i)[0, [0, 2]] for i in w.ids("dancer")])))
    case(F, "The police car follows the truck along the highway.",
         lambda w: w.moves("police car") and w.moves("truck"))
    case(F, "A flock of geese flies in a V formation.", lambda w: w.count("goose") >= 3 and _all_move(w, "goose"))
    case(F, "Three horses walk in a row towards the camera.",
         lambda w: _all_move(w, "horse", 3) and float(np.ptp([w.p(i)[0, 0] for i in w.ids("horse")])) > 1.0)
    case(F, "Four people walk in pairs along the beach.", lambda w: _all_move(w, "person", 4))
    case(F, "A dog trails behind its owner as they walk home.", lambda w: w.moves("dog") and w.moves("owner"))
    case(F, "Seven penguins waddle in a line towards the sea.", lambda w: _all_move(w, "penguin", 7))
    case(F, "Two girls and a boy walk side by side to school.",
         lambda w: w.moves("girl_1") and w.moves("girl_2") and w.moves("boy"))

    # -- camera ---------------------------------------------------------------------------------
    K = "camera"
    case(K, "The camera slowly pans to the right over a row of houses.",
         lambda w: w.camera_forward()[-1, 0] - w.camera_forward()[0, 0] > 0.05)
    case(K, "We see a lighthouse; the camera zooms in on it.", lambda w: _zooms(w, "lighthouse", True))
    # a zoom is the lens (the camera stays put), a dolly moves the camera
    case(K, "The camera zooms in on the dog sitting in the park.", lambda w: _zooms(w, "dog", True) and _whole(w, "dog").all())
    case(K, "A red car is parked on the street and the camera zooms out.", lambda w: _zooms(w, "car", False))
    case(K, "The camera dollies in towards the fountain.",
         lambda w: float(np.linalg.norm(w.camera()[-1] - w.p("fountain")[-1]))
         < float(np.linalg.norm(w.camera()[0] - w.p("fountain")[0])) - 0.3)
    # follow shots keep the subject readable (15% of the picture height) the whole time, whole vehicles
    case(K, "A dog runs around the tree in the park.", lambda w: float(np.mean(_fill(w, "dog") >= 0.12)) >= 0.9)
    case(K, "The camera follows the dog through the park.",
         lambda w: w.moves("dog", 3.0) and float(np.mean(_fill(w, "dog") >= 0.15)) >= 0.9)
    case(K, "The camera follows a dog running through the park.",
         lambda w: w.moves("dog") and float(np.mean(_fill(w, "dog") >= 0.15)) >= 0.9)
    case(K, "A truck drives down the street at night.",
         lambda w: float(np.mean(_whole(w, "truck") & (_fill(w, "truck") >= 0.15))) >= 0.6)
    case(K, "A bus drives along the avenue in the evening.",
         lambda w: float(np.mean(_whole(w, "bus") & (_fill(w, "bus") >= 0.15))) >= 0.6)
    case(K, "The camera orbits the fountain in the square.",  # a key a frame: no polygon corners in any engine
         lambda w: float(np.diff(w.scene.trajectory_of("camera_1").times).max()) <= 1.01 / w.scene.fps
         and float(np.ptp(w.camera()[:, 0])) > 1.0 and w.visible_throughout("fountain", 0.9))
    case(K, "The camera tracks the runner as she sprints down the track.",
         lambda w: w.moves("runner") and w.visible_throughout("runner", 0.8))
    case(K, "The camera circles around a statue in the square.",
         lambda w: float(np.ptp(w.camera()[:, 0])) > 1.0 and w.visible_throughout("statue", 0.9))
    case(K, "A static shot of a cat sleeping on a windowsill.",
         lambda w: float(np.ptp(w.camera(), axis=0).max()) < 1e-3 and w.visible_throughout("cat"))
    case(K, "The camera tilts down from the sky to a boat on the sea.",
         lambda w: w.camera_forward()[-1, 1] - w.camera_forward()[0, 1] < -0.05)
    case(K, "The camera pulls back to reveal a huge castle.",
         lambda w: float(np.linalg.norm(w.camera()[-1] - w.p("castle")[-1]))
         > float(np.linalg.norm(w.camera()[0] - w.p("castle")[0])) + 0.3)
    case(K, "The camera follows a car driving along a coastal road.",
         lambda w: w.moves("car") and w.visible_throughout("car", 0.8))

    # -- indoor --------------------------------------------------------------------------------
    I = "indoor"
    case(I, "In the bathroom, a towel hangs next to the mirror.",
         lambda w: w.rel("towel", "near", "mirror") and (w.spec.environment.setting or "") == "bathroom")
    case(I, "A boy does his homework at the desk in his bedroom.",
         lambda w: w.count("boy") == 1 and w.count("desk") == 1 and w.gap("boy", "desk") < 1.5)
    case(I, "The cat knocks a glass off the kitchen counter.",
         lambda w: w.p("glass")[-1, 1] < w.p("glass")[0, 1] - 0.3)
    case(I, "Inside the garage, a bicycle leans against the car.", lambda w: w.rel("bicycle", "near", "car"))
    case(I, "A woman sits on the couch and watches TV.", lambda w: w.rel("woman", "on", "couch"))
    case(I, "There are two armchairs facing the fireplace in the living room.",
         lambda w: w.count("armchair") == 2 and w.count("fireplace") == 1)
    case(I, "A child walks from the door to the dining table.",
         lambda w: w.moves("child") and w.arrive("child", w.any("dining table", "table")) < INF)
    case(I, "The office has four desks and a printer.", lambda w: w.count("desk") == 4 and w.count("printer") == 1)
    case(I, "A waiter walks between the tables of the restaurant.",
         lambda w: w.moves("waiter") and w.count("table") >= 2)
    case(I, "A lamp hangs from the ceiling above the dining table.",
         lambda w: w.box("lamp")[0][1] > w.box(w.any("dining table", "table"))[1][1])
    case(I, "In the kitchen, the mother puts a pot on the stove.", lambda w: w.count("pot") == 1 and w.count("stove") == 1)

    # -- open vocabulary ---------------------------------------------------------------------
    O = "open vocabulary"
    case(O, "A lawnmower stands in the garden next to a watering can.",
         lambda w: w.count("lawnmower") == 1 and w.count("watering can") == 1)
    case(O, "A unicycle rolls past the ice cream truck.",
         lambda w: w.moves("unicycle") and w.count("ice cream truck") == 1)
    case(O, "An alpaca walks to the water trough.", lambda w: w.moves("alpaca") and w.count("water trough") == 1)
    case(O, "A vintage typewriter sits on the writing desk.",
         lambda w: w.rel("typewriter", "on", w.any("writing desk", "desk")))
    case(O, "A golden retriever chases a frisbee across the lawn.",
         lambda w: w.moves("golden retriever") and w.cls("golden retriever") == "dog")
    case(O, "A cement mixer drives past the skyscraper.", lambda w: w.moves("cement mixer") and w.still("skyscraper"))
    case(O, "A snowman stands next to a sled.", lambda w: w.count("snowman") == 1 and w.count("sled") == 1)
    case(O, "A hoverboard glides along the boardwalk.", lambda w: w.moves("hoverboard"))
    case(O, "A grizzly bear wades through the river.", lambda w: w.count("grizzly bear") == 1 and w.moves("grizzly bear"))
    case(O, "A toaster and a microwave sit on the counter.",
         lambda w: w.rel("toaster", "on", "counter") and w.rel("microwave", "on", "counter"))
    case(O, "The axolotl swims slowly around the aquarium.", lambda w: w.count("axolotl") == 1 and w.moves("axolotl"))
    case(O, "A flock of flamingos stands in the lagoon.", lambda w: w.count("flamingo") >= 2)
    case(O, "A street sweeper drives past a fire hydrant.",
         lambda w: w.moves("street sweeper") and w.still("fire hydrant"))


# -- round three: the lead's new-user gaps, each as a family of phrasings ----------------------------------


def _rise(w, word: str) -> float:
    """Height (m) ``word`` ends above (negative: below) where it starts."""
    y = w.p(word)[:, 1]
    return float(y[-1] - y[0])


def _up_along(w, word: str, thing: str, metres: float = 0.8) -> bool:
    """Goes up by ``metres`` and stays by ``thing`` while it rises (a climb up it, not beside something else)."""
    return _rise(w, word) > metres and w.gap(word, thing, -1) < 1.0


def _down_along(w, word: str, thing: str, metres: float = 0.8) -> bool:
    """Starts up on or against ``thing`` and ends at least ``metres`` lower, on the ground."""
    return -_rise(w, word) > metres and w.gap(word, thing, 0) < 1.0 and w.p(word)[-1, 1] < 0.15


def _facing(w, word: str, target: str, f: int = -1) -> bool:
    """``word`` faces ``target`` at frame ``f`` (its +Z within ~45 degrees of the line to it)."""
    from scenegraph.model.rotations import quat_rotate

    q = w.tl.rotation[f, w.tl.index(w.one(word))]
    fwd = quat_rotate(q, np.array([0.0, 0.0, 1.0]))[[0, 2]]
    to = (w.p(target)[f] - w.p(word)[f])[[0, 2]]
    return float(fwd @ to) > 0.7 * float(np.linalg.norm(fwd) * np.linalg.norm(to))


def _away(w, word: str, other: str, metres: float = 2.0) -> bool:
    """Ends ``metres`` farther from ``other`` than it starts, farther at the end than half-way, still going."""
    d = np.linalg.norm((w.p(word) - w.p(other))[:, [0, 2]], axis=1)
    h = len(d) // 2
    return d[-1] > d[0] + metres and d[-1] > d[h] and w.moves(word) and \
        float(np.linalg.norm(w.p(word)[-1] - w.p(word)[-3])) > 0.1


def _back(w, word: str, metres: float = 2.0) -> bool:
    """Goes ``metres`` out and comes back to within a metre of where it started."""
    p = w.p(word)
    return w.moves(word, metres) and float(np.linalg.norm(p[-1] - p[0])) < 1.0


def _same_way(w, word: str, n: int, metres: float = 1.0) -> bool:
    """All ``n`` members move ``metres`` or more, each within ~45 degrees of the first member's way."""
    ids = w.ids(word)
    if len(ids) != n:
        return False
    lead = (w.p(ids[0])[-1] - w.p(ids[0])[0])[[0, 2]]
    for i in ids:
        d = (w.p(i)[-1] - w.p(i)[0])[[0, 2]]
        if float(np.linalg.norm(d)) < metres or float(d @ lead) < 0.7 * float(np.linalg.norm(d) * np.linalg.norm(lead)):
            return False
    return True


def register_round3(case) -> None:  # noqa: C901 - a list of prompts
    M, Q, F, S, I, O = "motion binding", "sequences", "formations", "spatial", "indoor", "open vocabulary"
    # up and down along what is climbed, slid or walked
    for prompt, who, thing in [("A boy climbs down the ladder.", "boy", "ladder"),
                               ("The girl slides down the slide.", "girl", "slide"),
                               ("A cat climbs down the tree.", "cat", "tree"),
                               ("A man goes down the stairs.", "man", "stairs"),
                               ("The old woman walks down the staircase.", "old woman", "staircase"),
                               ("A kid runs down the hill.", "kid", "hill"),
                               ("A firefighter comes down the ladder.", "firefighter", "ladder")]:
        case(M, prompt, lambda w, a=who, b=thing: _down_along(w, a, w.any(b, "stairs")))
    for prompt, who, thing in [("The child climbs up the tree.", "child", "tree"),
                               ("A woman walks up the stairs.", "woman", "stairs"),
                               ("A firefighter climbs up the ladder.", "firefighter", "ladder"),
                               ("A squirrel runs up the tree.", "squirrel", "tree"),
                               ("The little girl goes up the ladder.", "girl", "ladder"),
                               ("A hiker walks up the hill.", "hiker", "hill")]:
        case(M, prompt, lambda w, a=who, b=thing: _up_along(w, a, b))
    # a verb with a pronoun for something named before
    case(M, "A man walks to the bench and sits on it.",
         lambda w: w.moves("man") and w.rel("man", "on", "bench", -1))
    case(M, "A dog runs to the sofa and lies on it.", lambda w: w.moves("dog") and w.rel("dog", "on", "sofa", -1))
    case(M, "The cat walks to the armchair and sits down.",
         lambda w: w.moves("cat") and w.rel("cat", "on", "armchair", -1))
    case(M, "A woman walks over to the bed and lies down on it.", lambda w: w.rel("woman", "on", "bed", -1))
    case(M, "A girl walks to the ball and picks it up.",
         lambda w: w.moves("girl") and w.p("ball")[-1, 1] > w.p("ball")[0, 1] + 0.2 and w.gap("ball", "girl", -1) < 0.5)
    case(M, "The boy picks up the box and carries it to the car.",
         lambda w: w.moves("box", 1.0) and w.gap("box", "car", -1) < 2.0)
    case(M, "A dog runs to the log and jumps over it.",
         lambda w: w.p("dog")[:, 1].max() > 0.2 and w.moves("dog", 2.0))
    case(M, "A boy walks to the tree and walks around it.", lambda w: _turns(w, "boy", "tree") > 0.8)
    case(M, "The ball rolls off the table and the cat watches it.",
         lambda w: w.rel("ball", "on", "table") and w.p("ball")[-1, 1] < 0.1 and _facing(w, "cat", "ball"))
    case(M, "A car drives past the tree and the boy watches it.",
         lambda w: w.moves("car") and w.still("tree") and _facing(w, "boy", "car", len(w.tl.time) // 2))
    case(M, "A bird flies over the house and a girl looks at it.",
         lambda w: w.moves("bird") and _facing(w, "girl", "bird", len(w.tl.time) // 2))
    # away, and on
    case(M, "The dog barks at the cat and the cat runs away.", lambda w: _away(w, "cat", "dog"))
    case(M, "The cat sees the dog and runs away.", lambda w: _away(w, "cat", "dog"))
    case(M, "A dog walks away from the house.", lambda w: _away(w, "dog", "house"))
    case(M, "A girl runs away from the big dog.", lambda w: _away(w, "girl", "dog") and w.still("dog"))
    case(M, "A car drives to the house, then drives away.",
         lambda w: w.arrive("car", "house", 4.0) < INF and w.dist("car", "house")[-1] > w.dist("car", "house").min() + 3.0)
    case(M, "A man walks away from the camera.",
         lambda w: float(np.linalg.norm(w.p("man")[-1] - w.camera()[-1])) > float(np.linalg.norm(w.p("man")[0] - w.camera()[0])) + 2.0)
    case(M, "The deer runs away from the hunter.", lambda w: _away(w, "deer", "hunter"))
    # there and back again
    case(Q, "A truck drives to the house and comes back.", lambda w: _back(w, "truck"))
    case(Q, "A bus drives to the bus stop and then returns.", lambda w: _back(w, "bus"))
    case(Q, "A van drives to the warehouse and drives back.", lambda w: _back(w, "van"))
    case(Q, "A girl runs to the fountain and comes back.", lambda w: _back(w, "girl", 1.0))
    case(Q, "The tractor drives to the barn, waits there, and comes back.", lambda w: _back(w, "tractor"))
    # a thing the prompt names once is one of the setting's own; a number it gives is exact
    case(S, "A cat climbs the tree in the park.",
         lambda w: w.count("tree") >= 3 and _up_along(w, "cat", "tree_1"))
    case(S, "The dog sleeps under the tree in the park.",
         lambda w: w.count("tree") >= 3 and w.gap("dog", "tree_1") < 1.5)
    case(S, "A man sits on the bench in the park.", lambda w: w.count("bench") >= 2 and w.rel("man", "on", "bench_1"))
    case(S, "There is only one tree in the park.", lambda w: w.count("tree") == 1)
    case(S, "Two benches stand in the park.", lambda w: w.count("bench") == 2)
    case(S, "Three trees grow in the park and a boy climbs one of them.", lambda w: w.count("tree") == 3)
    case(I, "A woman walks to the fridge in the kitchen.", lambda w: w.count("fridge") == 1 and w.moves("woman"))
    # a group in formation goes one way
    for prompt, word, n in [("Five soldiers march in a line.", "soldier", 5),
                            ("Four ducks walk one behind the other.", "duck", 4),
                            ("Six children walk in a line to the school.", "child", 6),
                            ("Three cows walk in single file across the field.", "cow", 3),
                            ("Four geese waddle in a row.", "goose", 4),
                            ("Two horses trot side by side.", "horse", 2)]:
        case(F, prompt, lambda w, word=word, n=n: _same_way(w, word, n))
    # slopes and sledges, fetching back, driving off, riding on
    for prompt, who, thing in [("A skier skis down the slope.", "skier", "slope"),
                               ("The snowboarder slides down the ski slope.", "snowboarder", "ski slope"),
                               ("A boy sleds down the hill.", "boy", "hill"),
                               ("The children toboggan down the slope.", "child", "slope")]:
        case(M, prompt, lambda w, a=who, b=thing: _down_along(w, a, b))
    case(Q, "A dog runs to the ball and brings it back.",
         lambda w: _back(w, "dog") and w.p("ball")[-1, 1] > 0.1 and w.gap("ball", "dog", -1) < 0.5)
    case(Q, "The boy walks to the box, picks it up and carries it back.",
         lambda w: _back(w, "boy", 1.0) and w.gap("box", "boy", -1) < 0.5)
    for prompt, word in [("A car drives off.", "car"), ("The horse runs off.", "horse"), ("A taxi drives away.", "taxi"),
                         ("The dog runs off, then the cat walks away.", "cat")]:
        case(M, prompt, lambda w, word=word: w.moves(word, 2.0) and float(np.linalg.norm(w.p(word)[-1] - w.p(word)[-3])) > 0.1)
    case(M, "The boy rides to the shop on his bike.",
         lambda w: w.moves("boy") and w.moves("bike") and w.gap("boy", "bike", -1) < 0.3 and w.arrive("bike", "shop") < INF)
    # up, then back down the same thing
    for prompt, who in [("A monkey climbs up the palm tree and then climbs down again.", "monkey"),
                        ("A bear climbs up the tree, then climbs back down.", "bear"),
                        ("The man walks up the stairs, then walks down the stairs.", "man"),
                        ("The kid climbs up the ladder and then comes down.", "kid")]:
        case(M, prompt, lambda w, a=who: w.p(a)[:, 1].max() > w.p(a)[0, 1] + 1.0 and w.p(a)[-1, 1] < 0.15)
    # a verb the director has no meaning for still moves its subject the way the clause says
    for prompt, word, sign in [("A tractor plows the field slowly from left to right.", "tractor", 1),
                               ("A lawnmower mows the lawn from right to left.", "lawnmower", -1),
                               ("A farmer herds the sheep from left to right.", "farmer", 1),
                               ("A snowplow clears the road from left to right.", "snowplow", 1)]:
        case(M, prompt, lambda w, word=word, s=sign: s * float(w.p(word)[-1, 0] - w.p(word)[0, 0]) > 3.0)
    # a person drives a vehicle: it moves with them in it; put / place / set: the object goes there
    for prompt, who, car in [("A woman drives a car.", "woman", "car"), ("The man drives the truck away.", "man", "truck"),
                             ("A woman walks to the taxi and drives away.", "woman", "taxi"),
                             ("The old man drives his van down the street.", "old man", "van")]:
        case(M, prompt, lambda w, a=who, b=car: w.moves(b, 5.0) and w.gap(a, b, -1) < 1.0)
    for prompt, thing, place in [("The waiter puts a cup on the table.", "cup", "table"),
                                 ("A woman places a vase on the shelf.", "vase", "shelf"),
                                 ("The boy sets his backpack on the chair.", "backpack", "chair")]:
        case(S, prompt, lambda w, a=thing, b=place: w.rel(a, "on", b))
    case(Q, "A girl throws a frisbee and her dog catches it.",
         lambda w: w.moves("dog", 3.0) and float(np.linalg.norm((w.p("dog")[-1] - w.p("frisbee")[-1])[[0, 2]]))
         < float(np.linalg.norm((w.p("dog")[0] - w.p("frisbee")[-1])[[0, 2]])) - 3.0)
    # clothes dress the person who wears them; 'him' / 'her' name a man / a woman; a vehicle pulls away
    for prompt, who, colour in [("A woman in a red coat walks to the car.", "woman", "red"),
                                ("A man wearing a green jacket waits at the bus stop.", "man", "green"),
                                ("A girl in a yellow dress runs across the park.", "girl", "yellow")]:
        case(O, prompt, lambda w, a=who, c=colour: c in (w.scene.material_of(w.one(a)).name or "")
             and not any(e.id.split("_")[0] in ("coat", "jacket", "dress") for e in w.objects))
    case(M, "A woman pushes a stroller while her husband walks behind her.",
         lambda w: w.moves("husband", 1.0) and w.gap("husband", "woman", -1) < 3.0)
    for prompt, word in [("The bus pulls away from the bus stop.", "bus"), ("A taxi pulls off.", "taxi")]:
        case(M, prompt, lambda w, word=word: w.moves(word, 3.0))
    # a person works at a counter or desk (what they handle is on it) and sits on a seat
    case(S, "A chef cuts vegetables on the counter in the kitchen.",
         lambda w: w.rel(w.ids("vegetable")[0], "on", "counter") and w.p("chef")[0, 1] < 0.1)
    case(S, "A man writes a letter on the desk.", lambda w: w.rel("letter", "on", "desk") and w.p("man")[0, 1] < 0.1)
    # group words: a couple, a family
    case(F, "A couple walks hand in hand along the beach.", lambda w: w.count("person") == 2 and _all_move(w, "person", 2))
    case(O, "The family eats dinner in the dining room.", lambda w: w.count("person") == 4 and w.count("dinner") == 1)


def _with(w, who: str, thing: str, metres: float = 0.5) -> bool:
    """Whether ``who`` stays with ``thing`` (its rider, its driver) at the end."""
    return w.gap(who, thing, -1) < metres


def _arrives_in_view(w, word: str) -> bool:
    """Whether ``word`` comes into the picture from outside it (arriving at the place the picture shows)."""
    whole = _whole(w, word)
    return not bool(whole[0]) and bool(whole[-1]) and w.moves(word, 3.0)


def _at_water(w, word: str, metres: float = 1.5) -> bool:
    """Whether ``word`` ends at the edge of the setting's water (lake_1 / sea_1), having gone there."""
    water = next(e.id for e in w.objects if e.id in ("lake_1", "sea_1"))
    return w.moves(word, 3.0) and w.dist(word, water)[-1] < metres and w.dist(word, water)[0] > metres + 2.0


def _walked_ahead(w, walker: str, pet: str, share: float = 0.8) -> bool:
    """Whether ``pet`` goes the way ``walker`` walks, at most 2.5 m from them, ahead of them (along their way)
    in ``share`` of the frames in which the walker moves."""
    a, b = w.p(walker), w.p(pet)
    v = np.gradient(a, axis=0)
    moving = np.linalg.norm(v[:, [0, 2]], axis=1) > 1e-3
    if moving.sum() < 4 or not w.moves(pet, 2.0):
        return False
    ahead = np.einsum("ij,ij->i", (b - a)[:, [0, 2]], v[:, [0, 2]]) > 0.0
    near = np.linalg.norm((b - a)[:, [0, 2]], axis=1) < 2.5
    return float(ahead[moving].mean()) >= share and bool(near.all())


def _pulled(w, puller: str, load: str) -> bool:
    """Whether ``load`` stays just behind ``puller`` (along its way) in the frames in which the puller moves."""
    a, b = w.p(puller), w.p(load)
    v = np.gradient(a, axis=0)[:, [0, 2]]
    moving = np.linalg.norm(v, axis=1) > 1e-3
    behind = np.einsum("ij,ij->i", (b - a)[:, [0, 2]], v) < 0.0
    reach = 0.5 * (_length(w, puller) + _length(w, load)) + 2.0
    return moving.sum() >= 4 and float(behind[moving].mean()) > 0.9 and \
        bool((np.linalg.norm((b - a)[:, [0, 2]], axis=1)[moving] < reach).all())


def _still_last(w, word: str, share: float) -> bool:
    """Whether ``word`` stands still over the last ``share`` of the frames."""
    p = w.p(word)[int(len(w.tl.time) * (1 - share)):]
    return float(np.abs(p - p[-1]).max()) < 1e-3


def _length(w, word: str) -> float:
    lo, hi = w.box(word)
    return float(max(hi[0] - lo[0], hi[2] - lo[2]))


def register_round4(case) -> None:  # noqa: C901 - a list of prompts
    M, Q, O = "motion binding", "sequences", "open vocabulary"
    # a destination after a ride or a drive: a thing is arrived at; the setting itself is arrived in (comes into
    # the picture); a lake, river or sea is gone to its shore
    for prompt, who, ride, place in [("A man drives his truck to the gas station.", "man", "truck", "gas station"),
                                     ("A girl rides a horse to the barn.", "girl", "horse", "barn"),
                                     ("A boy cycles to the school.", "boy", "bicycle", "school"),
                                     ("The woman drives to the supermarket.", "woman", "car", "supermarket")]:
        case(M, prompt, lambda w, a=who, b=ride, c=place: w.moves(b, 3.0) and _with(w, a, b, 1.0)
             and w.dist(b, w.any(c, c.split()[-1]))[-1] < 0.5 * _length(w, b) + 2.0)
    for prompt, who, ride in [("A boy rides his bike to the park.", "boy", "bike"),
                              ("The old man drives his car to the city.", "old man", "car"),
                              ("A girl rides to the beach.", "girl", "bicycle"),
                              ("A woman rides her scooter to the square.", "woman", "scooter")]:
        case(M, prompt, lambda w, a=who, b=ride: _arrives_in_view(w, b) and _with(w, a, b, 1.0))
    for prompt, who in [("A dog runs to the lake.", "dog"), ("The fisherman walks to the river.", "fisherman"),
                        ("A girl runs towards the sea.", "girl")]:
        case(M, prompt, lambda w, a=who: _at_water(w, a))
    # a way and a destination together: along the way, then on to the destination
    case(Q, "A woman walks down the hill to the lake.",
         lambda w: w.p("woman")[0, 1] > 2.0 and w.p("woman")[-1, 1] < 0.1 and _at_water(w, "woman"))
    case(Q, "The boy runs down the hill to the river.",
         lambda w: w.p("boy")[0, 1] > 2.0 and _at_water(w, "boy"))
    for prompt, who, way, goal in [("A man runs up the stairs to the door.", "man", "stairs", "door"),
                                   ("The girl slides down the slide to the sandbox.", "girl", "slide", "sandbox"),
                                   ("A woman walks down the stairs to the car.", "woman", "stairs", "car"),
                                   ("A boy climbs up the ladder and then walks to the tree.", "boy", "ladder", "tree")]:
        case(Q, prompt, lambda w, a=who, b=way, c=goal: abs(float(np.ptp(w.p(a)[:, 1]))) > 1.0
             and w.gap(a, c, -1) < 1.5 and w.dist(a, b).min() < 0.5)
    case(Q, "A boy swims across the river to the boat.", lambda w: w.moves("boy", 2.0) and w.gap("boy", "boat", -1) < 1.5)
    # walking an animal: both go, the animal just ahead of its walker
    for prompt, who, pet in [("A man walks his dog along the river.", "man", "dog"),
                             ("A girl walks her dog in the park.", "girl", "dog"),
                             ("The boy walks his puppy down the street.", "boy", "puppy"),
                             ("An old woman is walking her poodle.", "old woman", "poodle")]:
        case(M, prompt, lambda w, a=who, b=pet: w.moves(a, 2.0) and _walked_ahead(w, a, b))
    case(M, "A woman is walking two dogs.",
         lambda w: w.count("dog") == 2 and _walked_ahead(w, "woman", "dog_1") and _walked_ahead(w, "woman", "dog_2"))
    case(M, "An old man walks his dog to the bench.",
         lambda w: w.gap("old man", "bench", -1) < 1.0 and w.gap("dog", "old man", -1) < 1.5 and w.moves("dog", 2.0))
    # machines at work, and vehicles the lexicon knows only by their last part
    for prompt, word in [("A snowplow clears the road.", "snowplow"), ("A street sweeper cleans the street.", "street sweeper"),
                         ("The tractor plows the field.", "tractor"), ("A gritter salts the road.", "gritter")]:
        case(M, prompt, lambda w, word=word: abs(float(w.p(word)[-1, 0] - w.p(word)[0, 0])) > 5.0 and _length(w, word) > 4.0)
    for prompt, word, longer in [("A dumptruck drives to the house.", "dumptruck", 6.0),
                                 ("A hovervan drives along the road.", "hovervan", 4.0),
                                 ("The snowplough drives down the street.", "snowplough", 6.0),
                                 ("A wheel loader drives past the barn.", "wheel loader", 5.0)]:
        case(O, prompt, lambda w, word=word, n=longer: w.moves(word, 3.0) and _length(w, word) > n)
    # taken for a walk; pulled along behind; the subject's own verb after its '-ing' phrase
    for prompt, who, pet in [("A woman takes her dog for a walk in the park.", "woman", "dog"),
                             ("An old man is taking his dog out for a stroll.", "old man", "dog")]:
        case(M, prompt, lambda w, a=who, b=pet: w.moves(a, 2.0) and _walked_ahead(w, a, b))
    for prompt, puller, load in [("A tow truck tows a car down the street.", "tow truck", "car"),
                                 ("A horse pulls a cart across the field.", "horse", "cart"),
                                 ("The tractor pulls a trailer along the road.", "tractor", "trailer")]:
        case(M, prompt, lambda w, a=puller, b=load: w.moves(b, 3.0) and _pulled(w, a, b))
    case(M, "A woman carrying a box walks to the car.",
         lambda w: w.gap("woman", "car", -1) < 1.5 and w.gap("box", "woman", -1) < 0.5 and w.still("car"))
    case(M, "A man riding a bicycle passes the cafe.",
         lambda w: w.moves("bicycle", 3.0) and w.dist("bicycle", "cafe").min() < 4.0 and w.gap("man", "bicycle", -1) < 0.3)
    # a rider gets off and goes on foot: what it rode stays where the ride ended
    for prompt, who, ride, goal in [("A man drives his car to the shop, then walks to the bench.", "man", "car", "bench"),
                                    ("A boy rides his horse to the barn and then walks to the fence.", "boy", "horse", "fence"),
                                    ("The woman cycles to the cafe, then walks to the tree.", "woman", "bicycle", "tree")]:
        case(Q, prompt, lambda w, a=who, b=ride, c=goal: w.moves(b, 1.0) and w.gap(a, c, -1) < w.gap(a, c, 0) - 3.0
             and w.gap(a, b, -1) > 2.0 and _still_last(w, b, 0.3))
