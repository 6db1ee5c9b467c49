"""The class catalogue: real-world sizes, speeds and default looks of everyday things.

Every object entity is built from a :class:`ClassInfo`: its local bounds put the
origin at the bottom centre with the front facing +Z, i.e.
``[[-w/2, 0, -d/2], [w/2, h, d/2]]`` with ``size = (w, h, d)`` in metres
(x width, y height, z depth; a car is 4.5 m deep because its front is +Z).

>>> lookup("cars").name, lookup("Woman").name
('car', 'woman')
>>> lookup("mug").size
(0.09, 0.1, 0.09)
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from scenegraph.model.lexicon import load as _load_lexicon

__all__ = ["ClassInfo", "CATALOG", "ARCHETYPES", "lookup", "singular", "all_classes", "bounds_of", "SIZE_FACTORS",
           "vehicle_head"]

#: what decides an entity's geometry and motion (see /CONTRACT: one generator per archetype)
ARCHETYPES: tuple[str, ...] = (
    "biped", "quadruped", "bird", "fish", "insect", "snake",
    "car", "truck", "bus", "bicycle", "motorbike", "train", "boat", "aircraft", "robot",
    "furniture", "container", "plant", "tree", "rock", "building", "street_furniture", "ball", "prop",
)


@dataclass(frozen=True)
class ClassInfo:
    """A catalogue class.

    ``size`` (w, h, d) metres; ``kind`` one of person, animal, vehicle,
    furniture, plant, building, prop, street, flyer, ball; ``walk`` / ``run`` /
    ``drive`` are typical speeds in m/s (0 = cannot); ``material`` / ``color``
    are default appearance words; ``support`` marks things others stand on.
    ``archetype`` (one of :data:`ARCHETYPES`) decides geometry and motion;
    ``verbs`` are the SceneSpec verbs it does by default (first = usual locomotion).
    """

    name: str
    size: tuple[float, float, float]
    kind: str = "prop"
    walk: float = 0.0
    run: float = 0.0
    drive: float = 0.0
    material: str = "plastic"
    color: str = "grey"
    support: bool = False
    synonyms: tuple[str, ...] = field(default_factory=tuple)
    archetype: str = "prop"
    verbs: tuple[str, ...] = field(default_factory=tuple)
    spread: float = 0.15

    @property
    def mobile(self) -> bool:
        return max(self.walk, self.run, self.drive) > 0

    @property
    def cruise_speed(self) -> float:
        """The default speed of its usual locomotion (m/s); 1.0 for things that are carried or pushed."""
        return self.drive or self.walk or self.run or 1.0


def _c(name, size, kind="prop", walk=0.0, run=0.0, drive=0.0, material="plastic", color="grey", support=False, syn=()):
    return ClassInfo(name, tuple(float(s) for s in size), kind, walk, run, drive, material, color, support, tuple(syn))


_PERSON = dict(kind="person", walk=1.4, run=3.5, material="fabric", color="blue")
_CLASSES = [
    # people
    _c("person", (0.5, 1.75, 0.3), **_PERSON, syn=("pedestrian", "people", "human", "somebody", "someone", "figure", "jogger", "runner", "walker", "player", "athlete")),
    _c("man", (0.5, 1.78, 0.3), **_PERSON, syn=("men", "guy", "gentleman", "bloke", "dude", "sir")),
    _c("woman", (0.46, 1.65, 0.28), **_PERSON, syn=("women", "lady", "madam")),
    _c("child", (0.35, 1.2, 0.22), **{**_PERSON, "walk": 1.1, "run": 3.0}, syn=("children", "kid", "kids", "boy", "girl", "youngster")),
    # animals
    _c("dog", (0.3, 0.6, 0.9), "animal", 1.5, 5.0, material="fur", color="brown", syn=("puppy", "hound", "labrador", "retriever", "golden retriever",
                                                                                      "german shepherd", "husky", "dalmatian", "collie")),
    _c("cat", (0.2, 0.3, 0.5), "animal", 1.0, 4.0, material="fur", color="orange", syn=("kitten",)),
    _c("bird", (0.25, 0.2, 0.25), "flyer", 0.5, 1.0, 8.0, material="feather", color="grey", syn=("pigeon", "seagull", "sparrow", "crow")),
    _c("horse", (0.6, 1.6, 2.4), "animal", 1.8, 8.0, material="fur", color="brown", syn=("pony",)),
    _c("cow", (0.8, 1.5, 2.4), "animal", 1.0, 3.0, material="fur", color="white"),
    _c("sheep", (0.5, 0.9, 1.2), "animal", 1.0, 3.0, material="fur", color="white", syn=("lamb",)),
    _c("duck", (0.2, 0.35, 0.4), "animal", 0.6, 1.5, material="feather", color="white"),
    # vehicles
    _c("car", (1.8, 1.5, 4.5), "vehicle", drive=10.0, material="paint", color="silver", syn=("automobile", "sedan", "hatchback", "vehicle", "taxi", "cab", "suv", "jeep")),
    _c("truck", (2.5, 3.5, 8.0), "vehicle", drive=8.0, material="paint", color="white", syn=("lorry", "pickup")),
    _c("van", (2.0, 2.2, 5.0), "vehicle", drive=9.0, material="paint", color="white", syn=("minivan",)),
    _c("bus", (2.55, 3.2, 12.0), "vehicle", drive=8.0, material="paint", color="yellow", syn=("coach",)),
    _c("bicycle", (0.6, 1.1, 1.8), "vehicle", drive=5.0, material="metal", color="black", syn=("bike", "cycle")),
    _c("motorbike", (0.8, 1.2, 2.1), "vehicle", drive=12.0, material="paint", color="black", syn=("motorcycle", "scooter", "moped")),
    _c("tram", (2.65, 3.4, 20.0), "vehicle", drive=8.0, material="paint", color="red", syn=("streetcar",)),
    _c("train", (3.0, 4.0, 25.0), "vehicle", drive=15.0, material="paint", color="red", syn=("locomotive",)),
    _c("boat", (2.2, 1.5, 6.0), "vehicle", drive=5.0, material="paint", color="white", syn=("ship", "canoe", "kayak", "yacht", "sailboat")),
    _c("plane", (30.0, 10.0, 35.0), "flyer", drive=60.0, material="metal", color="white", syn=("airplane", "aeroplane", "aircraft", "jet")),
    _c("helicopter", (3.0, 3.5, 12.0), "flyer", drive=30.0, material="paint", color="red"),
    _c("drone", (0.4, 0.15, 0.4), "flyer", drive=6.0, material="plastic", color="black", syn=("quadcopter",)),
    _c("skateboard", (0.22, 0.12, 0.8), "vehicle", drive=4.0, material="wood", color="black"),
    _c("cart", (0.6, 1.0, 1.0), "vehicle", drive=1.2, material="metal", color="silver", syn=("trolley", "stroller", "pram", "wheelbarrow")),
    # balls and small props
    _c("ball", (0.22, 0.22, 0.22), "ball", material="rubber", color="red", syn=("football", "soccer ball", "basketball", "beachball")),
    _c("tennis ball", (0.067, 0.067, 0.067), "ball", material="fabric", color="yellow"),
    _c("cup", (0.08, 0.1, 0.08), material="ceramic", color="white", syn=("teacup",)),
    _c("mug", (0.09, 0.1, 0.09), material="ceramic", color="white"),
    _c("glass", (0.07, 0.14, 0.07), material="glass", color="white", syn=("tumbler",)),
    _c("bottle", (0.08, 0.3, 0.08), material="glass", color="green", syn=("flask",)),
    _c("plate", (0.26, 0.02, 0.26), material="ceramic", color="white", syn=("dish",)),
    _c("bowl", (0.18, 0.08, 0.18), material="ceramic", color="white"),
    _c("vase", (0.15, 0.3, 0.15), material="ceramic", color="blue"),
    _c("book", (0.16, 0.03, 0.24), material="paper", color="red", support=True, syn=("novel",)),
    _c("laptop", (0.34, 0.02, 0.24), material="metal", color="silver", syn=("computer", "notebook")),
    _c("phone", (0.075, 0.01, 0.15), material="glass", color="black", syn=("smartphone", "cellphone")),
    _c("apple", (0.08, 0.08, 0.08), material="skin", color="red"),
    _c("banana", (0.2, 0.04, 0.04), material="skin", color="yellow"),
    _c("orange", (0.08, 0.08, 0.08), material="skin", color="orange"),
    _c("candle", (0.05, 0.15, 0.05), material="wax", color="white"),
    _c("teapot", (0.25, 0.18, 0.16), material="ceramic", color="white", syn=("kettle",)),
    _c("box", (0.5, 0.4, 0.5), material="cardboard", color="brown", support=True, syn=("crate", "package", "parcel", "cardboard box")),
    _c("cube", (0.3, 0.3, 0.3), material="plastic", color="red", support=True, syn=("block",)),
    _c("toy", (0.2, 0.2, 0.2), material="plastic", color="red", syn=("teddy", "teddy bear")),
    _c("backpack", (0.3, 0.45, 0.2), material="fabric", color="black", syn=("bag", "rucksack", "suitcase")),
    _c("umbrella", (1.0, 1.9, 1.0), material="fabric", color="black"),
    _c("cone", (0.35, 0.7, 0.35), "street", material="plastic", color="orange", syn=("traffic cone",)),
    # furniture
    _c("table", (1.6, 0.75, 0.9), "furniture", material="wood", color="brown", support=True, syn=("desk", "dining table", "coffee table")),
    _c("chair", (0.5, 0.9, 0.5), "furniture", material="wood", color="brown", support=True, syn=("stool", "armchair")),
    _c("sofa", (2.0, 0.85, 0.9), "furniture", material="fabric", color="grey", support=True, syn=("couch", "settee")),
    _c("bed", (1.6, 0.55, 2.1), "furniture", material="fabric", color="white", support=True),
    _c("lamp", (0.35, 0.5, 0.35), "furniture", material="metal", color="white", syn=("desk lamp", "floor lamp")),
    _c("shelf", (1.0, 1.8, 0.35), "furniture", material="wood", color="brown", support=True, syn=("bookshelf", "bookcase", "cabinet", "cupboard", "dresser")),
    _c("tv", (1.2, 0.7, 0.08), "furniture", material="plastic", color="black", syn=("television", "monitor", "screen")),
    _c("rug", (2.0, 0.01, 1.4), "furniture", material="fabric", color="red", support=True, syn=("carpet", "mat")),
    _c("fridge", (0.7, 1.8, 0.7), "furniture", material="metal", color="white", syn=("refrigerator",)),
    _c("door", (0.9, 2.1, 0.05), "building", material="wood", color="brown"),
    _c("window", (1.2, 1.2, 0.05), "building", material="glass", color="white"),
    _c("plant", (0.4, 0.8, 0.4), "plant", material="leaf", color="green", syn=("potted plant", "houseplant", "flower", "flowers")),
    # outdoor and street
    _c("tree", (4.0, 7.0, 4.0), "plant", material="leaf", color="green", syn=("oak", "pine", "palm")),
    _c("bush", (1.5, 1.2, 1.5), "plant", material="leaf", color="green", syn=("shrub", "hedge")),
    _c("rock", (1.0, 0.7, 0.9), "plant", material="stone", color="grey", support=True, syn=("stone", "boulder")),
    _c("bench", (1.8, 0.85, 0.6), "street", material="wood", color="brown", support=True, syn=("park bench",)),
    _c("house", (10.0, 7.0, 9.0), "building", material="stone", color="white", syn=("home", "cottage", "cabin", "hut")),
    _c("building", (20.0, 24.0, 15.0), "building", material="concrete", color="grey", syn=("tower", "skyscraper", "office block", "shop", "store", "church")),
    _c("wall", (6.0, 2.5, 0.3), "building", material="stone", color="white", syn=("fence",)),
    _c("lamp post", (0.3, 5.0, 0.3), "street", material="metal", color="black", syn=("lamppost", "street light", "streetlight", "lamp-post", "street lamp")),
    _c("traffic light", (0.4, 3.5, 0.4), "street", material="metal", color="black", syn=("traffic lights", "stoplight", "traffic signal")),
    _c("sign", (0.6, 2.5, 0.1), "street", material="metal", color="white", syn=("road sign", "stop sign", "signpost")),
    _c("bin", (0.6, 1.0, 0.6), "street", material="plastic", color="green", syn=("trash can", "dustbin", "garbage can", "bin bag")),
    _c("hydrant", (0.4, 0.8, 0.4), "street", material="metal", color="red", syn=("fire hydrant",)),
    _c("mailbox", (0.5, 1.2, 0.5), "street", material="metal", color="red", syn=("postbox", "letterbox")),
    _c("bus stop", (3.0, 2.6, 1.5), "street", material="glass", color="grey", syn=("shelter",)),
    _c("goal", (7.3, 2.44, 2.0), "street", material="metal", color="white", syn=("goalpost", "net")),
    _c("hoop", (1.8, 3.05, 1.2), "street", material="metal", color="orange", syn=("basketball hoop",)),
    _c("tent", (2.5, 1.5, 2.5), "building", material="fabric", color="green"),
    _c("snowman", (0.8, 1.6, 0.8), "prop", material="snow", color="white"),
    _c("statue", (1.0, 2.5, 1.0), "prop", material="stone", color="grey", syn=("sculpture", "monument")),
    _c("fountain", (3.0, 1.5, 3.0), "prop", material="stone", color="grey"),
    _c("robot", (0.6, 1.5, 0.5), "person", 1.0, 2.0, material="metal", color="silver", syn=("android",)),
]

_ARCHETYPE = {
    **dict.fromkeys(("person", "man", "woman", "child"), "biped"), "robot": "robot",
    **dict.fromkeys(("dog", "cat", "horse", "cow", "sheep"), "quadruped"), **dict.fromkeys(("bird", "duck"), "bird"),
    **dict.fromkeys(("car", "van", "cart", "skateboard"), "car"), "truck": "truck", "bus": "bus",
    "bicycle": "bicycle", "motorbike": "motorbike", **dict.fromkeys(("tram", "train"), "train"), "boat": "boat",
    **dict.fromkeys(("plane", "helicopter", "drone"), "aircraft"),
    **dict.fromkeys(("ball", "tennis ball"), "ball"),
    **dict.fromkeys(("table", "chair", "sofa", "bed", "lamp", "shelf", "tv", "rug", "fridge"), "furniture"),
    **dict.fromkeys(("cup", "mug", "glass", "bottle", "bowl", "vase", "box", "backpack", "bin", "teapot"), "container"),
    **dict.fromkeys(("plant", "bush"), "plant"), "tree": "tree", "rock": "rock",
    **dict.fromkeys(("house", "building", "wall", "door", "window", "tent", "bus stop"), "building"),
    **dict.fromkeys(("lamp post", "traffic light", "sign", "hydrant", "mailbox", "bench", "cone", "goal", "hoop",
                     "fountain"), "street_furniture"),
}
_VERBS_OF = {"biped": ("walk", "run", "jump", "sit", "stand", "wave"), "robot": ("walk", "move", "turn"),
             "quadruped": ("walk", "run", "jump", "lie", "sit"), "bird": ("fly", "walk", "land", "take_off"),
             "car": ("drive", "turn"), "truck": ("drive", "turn"), "bus": ("drive", "turn"),
             "bicycle": ("drive", "turn"), "motorbike": ("drive", "turn"), "train": ("drive",),
             "boat": ("drive", "turn"), "aircraft": ("fly", "take_off", "land"), "ball": ("roll", "fall"),
             "fish": ("swim",), "insect": ("fly", "walk"), "snake": ("move",)}
_CLASSES = [replace(c, archetype=_ARCHETYPE.get(c.name, "prop"),
                    verbs=_VERBS_OF.get(_ARCHETYPE.get(c.name, "prop"), ()) if c.mobile or c.kind == "ball" else ())
            for c in _CLASSES]

CATALOG: dict[str, ClassInfo] = {c.name: c for c in _CLASSES}

#: multiplicative size changes for size words (applied to w, h, d)
SIZE_FACTORS: dict[str, tuple[float, float, float]] = {
    "tiny": (0.4, 0.4, 0.4),
    "small": (0.7, 0.7, 0.7),
    "medium": (1.0, 1.0, 1.0),
    "big": (1.4, 1.4, 1.4),
    "huge": (2.2, 2.2, 2.2),
    "tall": (1.0, 1.25, 1.0),
    "short": (1.0, 0.8, 1.0),
    "long": (1.0, 1.0, 1.4),
    "wide": (1.4, 1.0, 1.0),
}

_IRREGULAR = {"people": "person", "men": "man", "women": "woman", "children": "child", "mice": "mouse",
              "geese": "goose", "feet": "foot", "teeth": "tooth", "sheep": "sheep", "fish": "fish",
              "benches": "bench", "boxes": "box", "buses": "bus", "glasses": "glass", "dishes": "dish",
              "bushes": "bush", "couches": "couch", "lorries": "lorry", "ponies": "pony", "puppies": "puppy",
              "taxis": "taxi", "trolleys": "trolley", "shelves": "shelf", "knives": "knife", "leaves": "leaf",
              "ladies": "lady", "bodies": "body", "tomatoes": "tomato", "potatoes": "potato", "hoops": "hoop"}

_INDEX: dict[str, str] = {}
for _info in _CLASSES:
    _INDEX[_info.name] = _info.name
    for _s in _info.synonyms:
        _INDEX.setdefault(_s, _info.name)


def singular(word: str) -> str:
    """The singular of an English noun (lower case): the lexicon's own forms, else lemminflect's lemma."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    lex = _lexicon()
    if w in _INDEX:  # a synonym that is the plural of another name of its class ('flowers') is a plural
        one = lex.forms.get(w)
        return one if one is not None and _INDEX.get(one) == _INDEX[w] else w
    if w in lex.forms:
        return lex.forms[w]
    if w in lex.index:
        return w
    head, _, last = w.rpartition(" ")
    if head:
        return f"{head} {singular(last)}"
    return lex.lemma(w)


def lookup(word: str) -> ClassInfo | None:
    """The class a noun (singular or plural, or a synonym; may be several words) names, or None.

    The ~85 core classes come first, then the open-vocabulary lexicon (data/lexicon.txt).
    """
    w = " ".join(word.lower().replace("_", " ").split())
    name = _INDEX.get(w)
    if name == w:
        return CATALOG[name]
    lex = _lexicon()
    one: str | None = w
    if name is None and w not in lex.index:
        one = lex.forms.get(w) or _IRREGULAR.get(w)
        if one is None and " " in w:
            head, _, last = w.rpartition(" ")
            one = f"{head} {lex.forms.get(last) or _IRREGULAR.get(last, last)}"
        if one is None:
            return None
    if one in lex.refined:
        return lex.refined[one]
    name = _INDEX.get(one)
    if name is not None:
        return CATALOG[name]
    hit = lex.index.get(one)
    return lex.classes[hit] if hit is not None else None


def vehicle_head(word: str) -> ClassInfo | None:
    """The vehicle class an unknown compound noun ends in, or None: its last word ('milk float truck' -> truck),
    else for one word the longest known ending of 3+ letters after 3+ letters ('dumptruck' -> truck, 'sportscar'
    -> car).  Only vehicles: a stand-in named so is sized and moved as one ('a hovervan drives ...')."""
    w = " ".join(word.lower().replace("_", " ").split())
    if not w or lookup(w) is not None:
        return None
    head, _, last = w.rpartition(" ")
    tails = [last] if head else [w[k:] for k in range(3, len(w) - 2)]
    for tail in tails:
        info = lookup(tail)
        if info is not None and info.kind == "vehicle":
            return info
    return None


def all_classes() -> dict[str, ClassInfo]:
    """Every class by name: the core catalogue and the lexicon (loaded on first use)."""
    return _lexicon().classes


def _lexicon():
    return _load_lexicon(CATALOG, _INDEX, ClassInfo)


def bounds_of(size: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """Local bounds (2, 3) of a box of ``size`` (w, h, d): origin at the bottom centre."""
    w, h, d = (float(s) for s in size)
    return np.array([[-w / 2, 0.0, -d / 2], [w / 2, h, d / 2]])
