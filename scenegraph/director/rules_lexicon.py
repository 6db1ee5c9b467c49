"""The word lists of the rules director: verbs, phrases, numbers, settings, stop words.

Multi-word phrases are rewritten to single marker tokens (``§dir:left_to_right``)
before parsing, longest phrase first.
"""
from __future__ import annotations

import functools
import re

__all__ = ["VERB_FORMS", "STATIC_VERBS", "PHRASES", "NUMBERS", "STOP_WORDS", "SETTINGS", "TIME_WORDS",
           "SKY_WORDS", "PRONOUNS", "CONNECTORS", "TIME_UNITS", "DIST_UNITS",
           "CAMERA_VERBS", "PACE_WORDS", "phrase_pattern", "number_value"]

#: verb stems -> SceneSpec verb; their inflected forms come from data/verb_forms.tsv (made with lemminflect)
_VERBS = {
    **dict.fromkeys(("walk", "stroll", "wander", "march", "step", "stride", "limp", "hike", "pace", "trot", "amble", "wade",
                     "tiptoe", "shuffle", "saunter", "strut", "waddle", "stagger", "plod", "trudge", "crawl", "creep",
                     "sneak", "patrol", "roam", "prowl", "skip", "promenade"), "walk"),
    **dict.fromkeys(("run", "jog", "sprint", "race", "dash", "rush", "hurry", "gallop", "bolt", "scurry", "scamper",
                     "charge", "flee", "escape", "canter", "stampede"), "run"),
    **dict.fromkeys(("drive", "cycle", "pedal", "speed", "zoom", "cruise", "sail", "motor", "steer", "skate",
                     "skateboard", "ski", "surf", "row", "paddle", "accelerate", "reverse", "taxi"), "drive"),
    **dict.fromkeys(("fly", "soar", "glide", "flutter", "swoop", "float", "drift", "flap"), "fly"),
    **dict.fromkeys(("swim", "dive"), "swim"),
    **dict.fromkeys(("jump", "hop", "leap", "vault", "bounce"), "jump"),
    **dict.fromkeys(("climb", "scale", "ascend", "clamber", "scramble"), "climb"),
    **dict.fromkeys(("descend",), "descend"),
    **dict.fromkeys(("fall", "tumble", "topple", "collapse", "slip", "trip", "plummet", "plunge"), "fall"),
    **dict.fromkeys(("land", "alight", "touch"), "land"),
    **dict.fromkeys(("takeoff", "liftoff"), "take_off"),
    **dict.fromkeys(("sit", "kneel", "squat", "crouch", "perch"), "sit"),
    **dict.fromkeys(("stand", "rise"), "stand"),
    **dict.fromkeys(("lie", "sleep", "nap", "recline", "sunbathe", "lay"), "lie"),
    **dict.fromkeys(("ride", "mount"), "ride"),
    **dict.fromkeys(("push", "shove", "wheel", "pull", "drag", "tow", "haul", "roll_along"), "push"),
    **dict.fromkeys(("carry", "bring", "fetch", "deliver", "hold", "transport", "lug"), "carry"),
    **dict.fromkeys(PICK_UP := ("pick", "lift", "grab", "collect", "scoop", "snatch", "hoist"), "carry"),
    **dict.fromkeys(("chase", "pursue", "hunt", "catch", "fetch"), "chase"),
    **dict.fromkeys(("follow", "trail", "tail", "shadow"), "follow"),
    **dict.fromkeys(("overtake", "outrun", "outpace", "overhaul"), "overtake"),
    **dict.fromkeys(("meet", "greet", "join", "hug", "embrace"), "meet"),
    **dict.fromkeys(("approach", "reach", "arrive", "near"), "approach"),
    **dict.fromkeys(("lead", "guide", "escort"), "lead"),
    **dict.fromkeys(("pass", "bypass"), "pass"),
    **dict.fromkeys(("return",), "return"),
    **dict.fromkeys(("weave", "zigzag", "slalom", "meander"), "weave"),
    **dict.fromkeys(("circle", "loop", "encircle"), "circle"),
    **dict.fromkeys(("wave", "nod", "bow", "clap", "cheer", "dance", "box", "fight", "wrestle", "juggle", "celebrate",
                     "shake", "wiggle", "stretch", "exercise", "play", "bark", "meow", "purr", "growl", "howl", "roar",
                     "chirp", "tweet", "quack", "moo", "neigh", "bleat", "honk", "hoot", "laugh", "cry", "smile",
                     "yawn", "sneeze", "graze", "peck", "boil", "bubble", "burn", "glow", "flicker", "blink",
                     "buzz", "beep", "whistle", "ring", "chime", "sound"), "wave"),
    **dict.fromkeys(("open", "close", "shut", "take", "eat", "drink", "read", "write", "type", "do",
                     "study", "work",
                     "paint", "cook", "wash", "clean", "fix", "repair", "build", "use", "touch", "feed", "pet",
                     "kiss", "talk", "speak", "call", "shout", "sing", "point", "photograph", "film", "sniff",
                     "smell", "inspect", "check", "examine", "water", "hit", "knock", "unlock",
                     "lock", "sweep", "mop", "chop", "cut", "bite", "chew", "lick", "scratch", "hand", "give",
                     "show", "buy", "sell", "order", "serve", "pour", "fill", "empty", "load", "unload", "pack",
                     "unpack", "wear", "put", "place", "set", "hang", "plant"), "look_at"),
    "move": "move", "go": "move", "travel": "move", "come": "move", "head": "move", "slide": "move",
    "enter": "move", "leave": "move", "exit": "move", "migrate": "move", "advance": "move", "retreat": "move",
    "back": "move", "slither": "move", "wriggle": "move", "scuttle": "move", "sled": "move", "sledge": "move",
    "toboggan": "move", "snowboard": "move",
    "roll": "roll", "cross": "cross", "traverse": "cross",
    **dict.fromkeys(("pause", "stop", "halt", "freeze", "brake"), "pause"),
    **dict.fromkeys(("wait", "linger", "idle", "rest", "hover", "stay", "loiter"), "wait"),
    **dict.fromkeys(("turn", "swerve", "rotate", "spin", "veer"), "turn"),
    **dict.fromkeys(("throw", "toss", "kick", "launch", "pitch", "lob", "hurl", "fling", "shoot", "bowl"), "throw"),
    **dict.fromkeys(("drop", "release", "spill"), "drop"),
    **dict.fromkeys(("orbit",), "orbit"),
    **dict.fromkeys(("look", "watch", "stare", "glance", "gaze", "observe", "face", "regard", "eye", "see", "notice",
                     "spot", "hear"), "look_at"),
    **dict.fromkeys(("continue", "resume", "proceed", "keep"), "continue"),
}
#: words in the names of things one goes up or down along ('climbs down the ladder', 'slides down the slide',
#: 'walks up the stairs'); trees too (their archetype)
CLIMBABLE = ("ladder", "stair", "steps", "slide", "hill", "ramp", "escalator", "slope", "mountain", "dune", "pole",
             "lamp post", "mast", "rope", "trunk", "cliff", "rock wall", "climbing wall", "tower", "palm")


def climbable(info) -> bool:
    """Whether the catalogue class ``info`` is a thing one climbs up or goes down along (:data:`CLIMBABLE`)."""
    if info is None:
        return False
    return info.archetype == "tree" or any(w in info.name for w in CLIMBABLE)


#: stems of carry that take a thing up where it is ('picks it up'): a step, then it is held; 'up' is a particle
PICK_UP_STEMS = frozenset(PICK_UP)

#: stems of look_at whose 'at' names what is seen ('looks at the car'); for the others 'at' is a place
#: verbs that put their object somewhere: 'puts a cup on the table' -> the cup is on the table (every form)
PLACING = frozenset(w for stem, forms in (("put", "puts putting"), ("place", "places placed placing"),
                                          ("set", "sets setting"), ("hang", "hangs hung hanging"),
                                          ("stack", "stacks stacked stacking"), ("leave", "leaves left leaving"),
                                          ("position", "positions positioned positioning"))
                    for w in (stem, *forms.split()))
SEEING = frozenset(("look", "watch", "stare", "glance", "gaze", "observe", "face", "regard", "eye", "see", "notice",
                    "spot", "hear", "point", "shout",
                    "wave", "nod", "smile", "bark", "growl", "laugh"))
#: verbs that are a posture or a state when nothing moved before ('a woman sits on the bench')
POSTURES = {"sit": "on", "stand": "near", "lie": "on"}
#: stems whose forms are static when they describe the picture: 'is', 'stands', 'parked' ...
_STATIC_STEMS = ("be", "have", "stay", "remain", "appear", "sit", "stand", "lie", "rest", "park", "hang", "grow",
                 "place", "locate", "position", "perch", "lean", "stack", "seat", "line", "scatter", "surround",
                 "float", "sleep", "idle", "wait")


def verb_stems() -> list[str]:
    """Every verb stem the director knows (inflected by scenegraph.director.make_data)."""
    return sorted(set(_VERBS) | set(_STATIC_STEMS))


def _verb_table() -> dict[str, str]:
    from scenegraph.model.lexicon import DATA

    table = {}
    for row in (DATA / "verb_forms.tsv").read_text(encoding="utf-8").splitlines():
        form, _, stem = row.partition("\t")
        if form and stem:
            table[form] = stem
    for stem in verb_stems():
        table.setdefault(stem, stem)
    return table


#: inflected form -> stem ('rode' -> 'ride')
VERB_STEMS: dict[str, str] = {f: s for f, s in _verb_table().items() if s in _VERBS}
#: inflected form -> SceneSpec verb (or 'continue')
VERB_FORMS: dict[str, str] = {f: _VERBS[s] for f, s in VERB_STEMS.items()}
for _f in ("left", "park", "parked", "parks", "face", "back", "backs", "backed", "set", "sets", "near", "nears",
           "land", "lands", "pass", "ring", "rings", "show", "shows", "showing", "bow", "bows", "box", "boxes",
           "order", "place", "places", "plant", "plants", "rest", "rests", "hand", "hands", "eye", "eyes",
           "water", "bowl", "bowls", "skip", "skips", "head", "heads", "lay", "lays", "fly", "lie", "lies", "lying",
           "sit", "sits", "sitting", "stand", "stands", "standing", "sat", "stood", "lain", "hang", "hangs",
           "hanging", "hung", "lock", "locks", "call", "calls", "sleep", "sleeps",
           "sleeping", "float", "floats", "floating", "perch", "perches", "perched", "perching", "stay", "stays",
           "play", "plays", "touch", "match", "point", "points", "see", "sees", "saw", "seeing", "seen", "spot",
           "spots", "spotted", "notice", "notices", "hear", "hears", "heard", "sled", "sleds", "sledge", "sledges",
           "toboggan", "toboggans", "snowboard", "snowboards"):
    VERB_FORMS.pop(_f, None)  # a direction, a noun first, or a posture decided in context (see rules)
#: forms that are verbs only in context (verb position): nouns or postures elsewhere
CONTEXT_VERBS: dict[str, str] = {f: _VERBS[s] for f, s in VERB_STEMS.items()
                                 if f not in VERB_FORMS and f not in ("left", "seen", "heard")}
STATIC_VERBS = {f for f, s in _verb_table().items() if s in _STATIC_STEMS} | {
    "there", "seen", "visible", "located", "positioned", "standing_still", "waiting_static"}
#: every verb form, context ones included
ANY_VERB = set(VERB_FORMS) | set(CONTEXT_VERBS)
#: -ing forms (participles: 'a man riding a bicycle')
PARTICIPLES = {f for f, s in VERB_STEMS.items() if f.endswith("ing")}

#: multi-word phrases -> marker tokens (regex, marker); applied in order, longest first
PHRASES: list[tuple[str, str]] = [
    (r"(?:i|we|you|one) (?:can |could |will |may )?(?:see|spot|notice|watch|hear)", "§viewer"),  # the viewer, not an actor
    (r"back and forth|to and fro|backwards and forwards|forwards and backwards|there and back|up and down", "§bf"),
    (r"side by side|abreast|shoulder to shoulder|hand in hand|arm in arm|next to each other|beside each other|alongside each other", "§form:side_by_side"),
    (r"one behind the other|one after the other|in (?:a )?single file|nose to tail|in (?:a )?columns?|in (?:a )?(?:straight )?line|in a queue|lined up", "§form:line"),
    (r"in (?:a )?(?:straight )?rows?", "§form:row"),
    (r"in (?:a )?(?:circle|ring)|(?:forms?|formed|forming|makes?|made|making) (?:a )?(?:circle|ring)", "§form:circle"),
    (r"(?:forms?|formed|forming|makes?|made|making) (?:a )?(?:straight )?(?:line|queue|column)|in (?:a )?v(?:-| )?(?:formation|shape)|in formation", "§form:line"),
    (r"(?:forms?|formed|forming|makes?|made|making) (?:a )?(?:straight )?row", "§form:row"),
    (r"in pairs|two by two|in twos", "§form:pairs"),
    (r"as soon as|right after|just after|shortly after|immediately after", "once"),
    (r"(?:out )?for an? (?:walk|stroll|walkies)\b", "§forwalk"),  # 'takes her dog for a walk': walks it
    (r"(?:pulls?|pulled|pulling) (?=away from\b)", "§verb:drive "),  # 'the bus pulls away from the stop'
    (r"(?:pulls?|pulled|pulling) (?:away|out|off)\b", "§verb:drive away"),  # 'the train pulls out'
    (r"(?:takes?|took|taking|lifts?|lifted|lifting) off", "§verb:take_off"),
    (r"(?:sits?|sat|sitting) down", "§verb:sit"),
    (r"(?:stands?|stood|standing|gets?|got|getting) up", "§verb:stand"),
    (r"(?:lies|lay|lying|lays) down", "§verb:lie"),
    (r"(?:carry|carries|carried|carrying) on", "continue"),
    (r"(?:gets?|got|getting|climbs?|climbed|climbing|hops?|hopped|hopping) (?:on|onto|on to|into|in|aboard)(?= (?:the|a|an|his|her|its|their|it|them)\b)", "§verb:move to"),
    (r"(?:gets?|got|getting) (?:off|out of)(?= (?:the|a|an|his|her|its|their|it|them)\b)", "§verb:move §outof"),
    (r"(?:gets?|got|getting) to", "§verb:move to"),
    # camera vantage and shot size (scenegraph.director.rules_camera)
    (r"(?:(?:seen|viewed|filmed|shot|looking down) )?from (?:high )?above|from overhead|(?:an? )?(?:overhead|top[- ]down|bird'?s[- ]eye|aerial) (?:view|shot|angle)|bird'?s[- ]eye|from the air", "§view:above"),
    (r"(?:(?:seen|viewed|filmed|shot) )?from (?:a )?low angle|(?:an? )?low[- ]angle(?: view| shot)?|(?:seen|viewed|filmed|shot|looking up) from below|worm'?s[- ]eye(?: view)?|from ground level", "§view:below"),
    (r"(?:(?:seen|viewed|filmed|shot) )?from (?:a )?high angle|(?:an? )?high[- ]angle(?: view| shot)?", "§view:high"),
    (r"(?:at|from) eye[- ]level|(?:an? )?eye[- ]level (?:view|shot)", "§view:eye"),
    (r"(?:an? |in )?(?:extreme )?close[- ]?ups?(?: shot| view)?|(?:seen |filmed )?up close", "§view:close"),
    (r"(?:an? |in )?(?:wide|long|establishing)[- ](?:shot|angle|view)|(?:(?:seen|viewed|filmed|shot) )?from (?:far away|a distance|afar)", "§view:wide"),
    (r"(?:far away|a long way|far) from", "§rel:far_from"),
    (r"out of(?= (?:the|a|an|his|her|its|their) (?!scene|view|frame|shot|picture|image|sight))", "§outof"),
    (r"away from(?! (?:the )?(?:camera|viewer|us|lens))", "§awayfrom"),
    (r"onto|on to", "§onto"),
    (r"living room|sitting room|lounge room", "living-room"),
    (r"dining room", "dining-room"),
    (r"(?:a |the )?(?:static|still|fixed|locked[- ]off|stationary) (?:shot|camera|view)(?: (?:of|on))?", "§shot:static"),
    (r"bed ?room", "bedroom"),
    (r"bath ?room", "bathroom"),
    (r"class ?room", "classroom"),
    (r"parking lot|car park|parking garage", "parking-lot"),
    (r"(?:race ?track|running track|athletics track)", "racetrack"),
    (r"outer space", "space"),
    (r"(?:all the way )?from (?:the )?left(?: side)?(?: of the (?:scene|screen|frame|image|picture))? to (?:the )?right(?: side)?", "§dir:left_to_right"),
    (r"(?:all the way )?from (?:the )?right(?: side)?(?: of the (?:scene|screen|frame|image|picture))? to (?:the )?left(?: side)?", "§dir:right_to_left"),
    (r"left to right", "§dir:left_to_right"),
    (r"right to left", "§dir:right_to_left"),
    (r"(?:towards?|at|to) (?:the )?(?:camera|viewer|us|lens)", "§dir:towards_camera"),
    (r"away from (?:the )?(?:camera|viewer|us|lens)", "§dir:away_from_camera"),
    (r"(?:into|in to) (?:the )?(?:scene|view|frame|shot|picture|image)|onto the screen|on screen|on to the screen", "§dir:into_scene"),
    (r"out of (?:the )?(?:scene|view|frame|shot|picture|image|sight)|off ?screen|off (?:the )?(?:screen|frame)", "§dir:out_of_scene"),
    (r"in circles|round and round|in a loop|in loops", "§dir:around"),
    (r"(?:to the |on the |at the )?left(?: side| edge| half)? of (?:the )?(?:picture|image|frame|screen|scene|shot|view)", "§at:left"),
    (r"(?:to the |on the |at the )?right(?: side| edge| half)? of (?:the )?(?:picture|image|frame|screen|scene|shot|view)", "§at:right"),
    (r"(?:to the |on the )?left of|to the left side of|on the left side of", "§rel:left_of"),
    (r"(?:to the |on the )?right of|to the right side of|on the right side of", "§rel:right_of"),
    (r"(?:to|towards|toward) the left|leftwards?|to its left|to his left|to her left", "§dir:left"),
    (r"(?:to|towards|toward) the right|rightwards?|to its right|to his right|to her right", "§dir:right"),
    (r"from the left(?: side)?", "§from:left"),
    (r"from the right(?: side)?", "§from:right"),
    (r"(?:straight )?ahead|forwards?", "§dir:forward"),
    (r"backwards?|in reverse", "§dir:backward"),
    (r"upwards?|into the (?:air|sky)", "§dir:up"),
    (r"downwards?", "§dir:down"),
    (r"(?:the )?(?:kerb|curb)(?:side|stone)?", "§place:kerb"),
    (r"the other side(?: of the (?:street|road))?", "§place:far_kerb"),
    (r"in front of", "§rel:in_front_of"),
    (r"behind|in back of|at the back of", "§rel:behind"),
    (r"on the left(?: side)?|at the left|on the left-hand side", "§at:left"),
    (r"on the right(?: side)?|at the right|on the right-hand side", "§at:right"),
    (r"(?:in|at) the (?:very )?(?:middle|centre|center) of(?= (?:the|a|an|this|that|his|her|its|their) )", "§rel:middle"),
    (r"in the (?:middle|centre|center)", "§at:center"),
    (r"in the (?:background|distance)|at the back|far away", "§at:back"),
    (r"in the foreground|at the front|up front", "§at:front"),
    (r"next to|beside|besides|near|nearby|close to|by|alongside|(?:leaning |leans |leant )?against|among|amongst|amid|amidst", "§rel:near"),
    (r"under|underneath|beneath|below", "§rel:under"),
    (r"above|over the top of|high above", "§rel:above"),
    (r"on top of|on|upon|atop", "§rel:on"),
    (r"inside|inside of|within", "§rel:inside"),
    (r"facing", "§rel:facing"),
    (r"looks? away and (?:then )?(?:comes? |looks? |turns? |pans? )?back|looking away and back", "§shot:look_away_and_back"),
    (r"(?:dolly|dollies|dollying|dollys) in|push(?:es)? in", "§shot:dolly_in"),
    (r"(?:dolly|dollies|dollying|dollys) out|pull(?:s)? (?:back|out)", "§shot:dolly_out"),
    (r"zoom(?:s|ed|ing)? (?:in|closer)", "§shot:zoom_in"),
    (r"zoom(?:s|ed|ing)? (?:out|back|wide)", "§shot:zoom_out"),
    (r"and then|, then|then|afterwards|after that|after this|next|finally|later|eventually|subsequently", "§then"),
    (r"while|whilst|as|meanwhile|at the same time|simultaneously", "§while"),
    (r"a pair of|a couple of", "2"),
    (r"a (?:small )?(?:group|bunch|handful|gang|band|party) of", "4"),
    (r"a (?:large |big )?crowd of|lots of|many|dozens of|a lot of", "8"),
    (r"a (?:herd|flock|pack|fleet|team|school|swarm|troop|pride|litter|convoy|line|queue|row|stack|pile) of", "5"),
    (r"(?:a|the|one) (?:young |old |happy )?couple(?! of)", "2 people"),  # 'a couple walks along the beach'
    (r"(?:a|the|his|her|their|our|my) (?:young |whole |big )?family(?! of)", "4 people"),  # 'the family eats dinner'
    (r"a few|several|some", "3"),
    (r"a dozen|dozen", "12"),
    (r"half a second", "0.5"),
    (r"a (?:second|moment|bit)", "1 second"),
    (r"km ?/ ?h|kph|kilometres per hour|kilometers per hour", "kmh"),
    (r"m ?/ ?s|metres per second|meters per second", "mps"),
    (r"miles per hour", "mph"),
    (r"table ?-? ?top|tabletop", "table"),
    (r"across", "§dir:across"),
    (r"around|round|about", "§dir:around"),
]


def phrase_pattern() -> re.Pattern:
    """One regex that matches any phrase (word-bounded), for a single left-to-right rewrite pass."""
    parts = [f"(?P<p{i}>{rx})" for i, (rx, _) in enumerate(PHRASES)]
    return re.compile(r"(?<![\w§])(?:" + "|".join(parts) + r")(?![\w])")


NUMBERS = {"zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
           "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
           "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
           "hundred": 100, "half": 0.5, "single": 1, "both": 2}


def number_value(word: str) -> float | None:
    """The value of a numeral or number word ('twenty-five' too), or None."""
    if word in NUMBERS:
        return float(NUMBERS[word])
    if "-" in word:
        parts = [NUMBERS.get(p) for p in word.split("-")]
        if len(parts) == 2 and None not in parts and parts[0] >= 20 and parts[1] < 10:
            return float(parts[0] + parts[1])
        return None
    try:
        v = float(word)
    except ValueError:
        return None
    return v if v == v and abs(v) < 1e6 else None


#: setting words -> the setting recorded on the scene (a kit word, or the word itself)
SETTINGS = {
    **dict.fromkeys(("street", "road", "crossing", "crosswalk", "intersection", "avenue", "sidewalk", "pavement",
                     "junction", "lane", "boulevard", "alley", "roundabout"), "street"),
    **{w: w for w in ("highway", "motorway", "freeway", "city", "town", "village", "downtown", "square", "plaza",
                      "parking-lot", "park", "playground", "garden", "yard", "backyard", "lawn", "field", "meadow",
                      "pitch", "court", "stadium", "racetrack", "runway", "beach", "shore", "coast", "desert",
                      "forest", "woods", "jungle", "savannah", "savanna", "lake", "river", "sea", "ocean",
                      "harbour", "harbor", "port", "marina", "island", "mountains", "countryside", "farmland",
                      "moon", "mars", "space", "arctic", "tundra", "canyon", "valley", "swamp", "marsh", "snowfield",
                      "underwater", "riverbank", "room", "kitchen", "office", "living-room", "dining-room", "bedroom",
                      "bathroom", "classroom", "hallway", "corridor", "attic", "basement", "garage", "warehouse",
                      "gym", "studio", "lobby", "library", "restaurant", "cafe", "supermarket", "mall", "shop",
                      "station", "airport", "hospital", "school", "church", "museum", "farm", "campsite",
                      "construction-site", "factory", "theater", "theatre", "cinema", "arena", "rink", "nursery",
                      "ring", "boxing-ring", "hall", "kitchenette", "patio", "courtyard", "cellar", "loft")},
    "track": "racetrack", "indoors": "room", "outdoors": "park", "outside": "park", "inside_room": "room", "lot": "parking-lot",
    "savanna": "savannah", "seaside": "beach", "waterfront": "harbour", "bay": "harbour",
}
GROUND_WORDS = {"grass": "grass", "grassy": "grass", "sand": "sand", "sandy": "sand", "snow": "snow", "snowy": "snow",
                "mud": "dirt", "muddy": "dirt", "dirt": "dirt", "gravel": "stone", "concrete": "concrete",
                "asphalt": "asphalt", "tiles": "tile", "tiled": "tile", "floor": None, "ground": None, "water": "water"}
TIME_WORDS = {"dawn": "dawn", "sunrise": "dawn", "morning": "morning", "noon": "noon", "midday": "noon",
              "afternoon": "afternoon", "evening": "evening", "dusk": "dusk", "twilight": "dusk", "night": "night",
              "nighttime": "night", "midnight": "night", "sunset": "dusk"}
SKY_WORDS = {"sunny": "clear", "clear": "clear", "cloudy": "cloudy", "overcast": "overcast", "grey": None,
             "sunset": "sunset", "starry": "night", "dark": None, "rainy": "overcast", "foggy": "overcast"}
PRONOUNS = {"it", "he", "she", "they", "him", "her", "them", "its", "his", "their", "itself", "himself", "herself"}
CONNECTORS = {"§then", "§while"}

STOP_WORDS = {
    "a", "an", "the", "and", "or", "of", "to", "in", "at", "with", "from", "for", "into", "its", "his", "her",
    "their", "this", "that", "these", "those", "there", "here", "is", "are", "was", "were", "be", "been", "being",
    "it", "he", "she", "they", "them", "him", "up", "down", "out", "off", "over", "just", "very", "slightly",
    "also", "too", "again", "still", "then", "now", "some", "any", "each", "every", "all", "both", "which", "who",
    "whom", "whose", "what", "where", "when", "scene", "frame", "shot", "view", "image", "picture", "video",
    "clip", "camera", "way", "side", "along", "onto", "s", "one", "another", "other", "same", "by", "itself",
    "himself", "herself", "seconds", "second", "sec", "secs", "s", "metres", "meters", "metre", "meter", "m",
    "minutes", "minute", "moment", "while", "until", "till", "slowly", "quickly", "fast", "rapidly", "gently",
    "steadily", "briskly", "lazily", "carefully", "suddenly", "calmly", "casually", "happily", "through", "past",
    "via", "toward", "towards", "back", "begins", "starts", "start", "begin", "starting", "beginning", "on",
    "later", "does", "do", "so", "where", "together", "side-by-side", "abreast", "across", "around", "beside",
    "shows", "show", "showing", "we", "see", "sees", "you", "our", "your", "my", "i", "me", "has", "have",
    "having", "like", "stopping", "long", "time", "distance", "again", "ready", "closer", "nearer", "further",
    "farther", "sky", "air", "horizon", "heavens", "midair", "first", "just", "only", "even", "can", "could",
    "will", "would", "may", "might", "must", "should", "shall", "i", "am",
}

TIME_UNITS = {"second", "seconds", "sec", "secs", "s"}
DIST_UNITS = {"metre", "metres", "meter", "meters", "m"}
#: what the camera does, by verb form
CAMERA_VERBS = {"pan": "pan", "pans": "pan", "panning": "pan", "tilt": "tilt", "tilts": "tilt", "tilting": "tilt",
                "track": "track", "tracks": "track", "tracking": "track", "follow": "track", "follows": "track",
                "following": "track", "orbit": "orbit", "orbits": "orbit", "orbiting": "orbit", "circle": "orbit",
                "circles": "orbit", "circling": "orbit", "static": "static", "still": "static", "fixed": "static",
                "stationary": "static", "holds": "static", "stays": "static", "look": "static", "looks": "static",
                "dolly": "dolly", "dollies": "dolly", "zoom": "zoom", "zooms": "zoom", "zooming": "zoom"}
#: adverbs of pace
PACE_WORDS = {**dict.fromkeys(("slowly", "gently", "lazily", "calmly", "carefully", "leisurely"), "slow"),
              **dict.fromkeys(("quickly", "fast", "rapidly", "swiftly", "briskly", "hurriedly"), "fast")}

#: words that are never the name of a thing (function words the tables above leave out)
NOT_NOUNS = {"very", "quite", "really", "rather", "almost", "nearly", "not", "never", "always", "sometimes", "often",
             "but", "yet", "because", "if", "than", "as", "like", "unlike", "without", "within", "instead",
             "else", "ever", "only", "even", "much", "many", "more", "most", "less", "least", "few", "other",
             "such", "own", "whole", "entire", "various", "different", "same", "next", "last", "first", "second",
             "third", "fourth", "fifth", "final", "once", "twice", "thrice", "times", "time", "until", "till",
             "before", "since", "during", "whenever", "wherever", "how", "why", "which", "whose", "what",
             "something", "anything", "everything", "nothing", "someone", "anyone", "everyone", "nobody"}


#: words that name a woman or a man (for 'her' / 'him'; any other living thing may be either)
_HER = frozenset("""woman women girl girls lady ladies mother mom mum grandmother grandma daughter sister wife queen
princess nun bride actress waitress policewoman businesswoman aunt niece girlfriend mare hen cow ewe""".split())
_HIM = frozenset("""man men boy boys gentleman father dad grandfather grandpa son brother husband king prince monk
groom actor waiter policeman businessman fisherman uncle nephew boyfriend stallion rooster bull ram""".split())


#: furniture a person sits, lies or stands on (any other furniture a person is 'on' is worked at: a counter)
PERSON_SEATS = frozenset("""chair bench sofa armchair couch stool bed bunk bed ottoman beanbag bean bag hammock swing
seat mattress futon rug carpet mat rocking chair office chair deck chair recliner sun lounger lounger cot crib
high chair bar stool footstool pouf sofa bed daybed loveseat throne wheelchair""".split()) | {"bunk bed", "rocking chair",
    "office chair", "deck chair", "sun lounger", "high chair", "bar stool", "sofa bed", "bean bag"}
#: garments: 'a woman in a red coat' dresses her (rules_order.wear), no coat is built
CLOTHES = frozenset("""shirt t-shirt tshirt dress skirt jacket coat sweater jumper hoodie jeans trousers pants shorts
suit uniform costume apron raincoat gown robe vest overalls tracksuit blouse cardigan tuxedo kimono""".split())
#: verb forms that put clothes on ('wearing', 'dressed in')
WEARING = frozenset("wear wears wearing wore worn dressed dress dresses sport sports sporting".split())


def sex_of(key: str) -> str | None:
    """'her' for a word naming a woman ('old_woman', 'her mother'), 'him' for a man, else None."""
    words = key.replace("_", " ").split()
    last = words[-1] if words else ""
    return "her" if last in _HER else "him" if last in _HIM else None


def verb_lemma(word: str) -> str | None:
    """The lemma of ``word`` when lemminflect's English dictionary knows it as a verb form ('plows' -> 'plow'),
    else None: a verb the director has no meaning for, which it can still place in the sentence.

    Numbers, punctuation and the closed-class words of :data:`NEVER_VERBS` are no verb form in that dictionary
    either: they are answered without loading it (a quarter of a second, the first time)."""
    if word in NEVER_VERBS or not any(c.isalpha() for c in word):
        return None
    return _verb_lemma(word)


#: articles, conjunctions and prepositions, none of them a verb form in lemminflect's dictionary (a test holds
#: them to it), which a clause puts where a verb could stand: 'a market square with 25 people, 25 benches ...'
NEVER_VERBS = frozenset("""a an the and or but nor of with without at for from into onto to in on by than as
per via its his her their this that these those""".split())


@functools.lru_cache(maxsize=8192)
def _verb_lemma(word: str) -> str | None:
    try:
        from lemminflect import getAllLemmas
    except ImportError:  # pragma: no cover
        return None
    lemmas = getAllLemmas(word).get("VERB")
    return lemmas[0] if lemmas else None


def known_word(word: str) -> bool:
    """Whether lemminflect's English dictionary knows ``word`` (imported on first need)."""
    return _known(word)


@functools.lru_cache(maxsize=8192)
def _known(word: str) -> bool:
    try:
        from lemminflect import getAllInflections, getAllLemmas
    except ImportError:  # pragma: no cover
        return True
    return bool(getAllLemmas(word)) or bool(getAllInflections(word))
