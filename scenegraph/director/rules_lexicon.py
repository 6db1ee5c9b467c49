"""The word lists of the rules director: verbs, phrases, numbers, settings, stop words.

Multi-word phrases are rewritten to single marker tokens (``§dir:left_to_right``)
before parsing, longest phrase first.
"""
from __future__ import annotations

import re

__all__ = ["VERB_FORMS", "STATIC_VERBS", "PHRASES", "NUMBERS", "STOP_WORDS", "SETTINGS", "TIME_WORDS",
           "SKY_WORDS", "PRONOUNS", "CONNECTORS", "TIME_UNITS", "DIST_UNITS",
           "CAMERA_VERBS", "PACE_WORDS", "phrase_pattern", "number_value"]

#: verb stems -> SceneSpec verb (forms are derived: -s, -es, -ing, -ed)
_VERBS = {
    "walk": "walk", "stroll": "walk", "wander": "walk", "march": "walk", "step": "walk", "stride": "walk",
    "limp": "walk", "hike": "walk", "pace": "walk", "trot": "walk", "amble": "walk",
    "run": "run", "jog": "run", "sprint": "run", "race": "run", "dash": "run", "rush": "run", "hurry": "run",
    "gallop": "run", "chase": "follow",
    "drive": "drive", "ride": "drive", "cycle": "drive", "speed": "drive", "zoom": "drive", "cruise": "drive",
    "sail": "drive", "swim": "move", "fly": "move", "soar": "move", "glide": "move", "hover": "wait",
    "move": "move", "go": "move", "travel": "move", "come": "move", "head": "move", "slide": "move",
    "crawl": "walk", "pass": "move", "approach": "move", "enter": "move", "leave": "move", "exit": "move",
    "return": "move", "climb": "move", "jump": "move", "hop": "move", "skate": "drive", "roll": "roll",
    "bounce": "roll", "cross": "cross", "pause": "pause", "stop": "pause", "halt": "pause", "freeze": "pause",
    "wait": "wait", "linger": "wait", "idle": "wait", "rest": "wait",
    "turn": "turn", "swerve": "turn", "follow": "follow", "trail": "follow", "pursue": "follow",
    "throw": "throw", "toss": "throw", "kick": "throw", "launch": "throw", "pitch": "throw", "lob": "throw",
    "drop": "drop", "fall": "drop", "tumble": "drop", "orbit": "orbit", "circle": "orbit", "spin": "orbit",
    "look": "look_at", "watch": "look_at", "stare": "look_at", "glance": "look_at", "gaze": "look_at",
    "face": "look_at", "continue": "continue", "resume": "continue", "proceed": "continue", "carry": "continue",
    "keep": "continue",
}
_IRREGULAR_FORMS = {"ran": "run", "went": "go", "goes": "go", "came": "come", "drove": "drive", "rode": "ride",
                    "flew": "fly", "flies": "fly", "flying": "fly", "threw": "throw", "thrown": "throw",
                    "fell": "fall", "falls": "fall", "swam": "swim", "left": None, "driven": "drive",
                    "dropped": "drop", "dropping": "drop", "stopped": "stop", "stopping": "stop",
                    "running": "run", "jogging": "jog", "swimming": "swim", "hopping": "hop",
                    "circles": "circle", "crosses": "cross", "passes": "pass", "approaches": "approach",
                    "races": "race", "rushes": "rush", "dashes": "dash", "marches": "march",
                    "hurries": "hurry", "tosses": "toss", "watches": "watch", "chases": "chase",
                    "pitches": "pitch", "reaches": "approach", "arrives": "approach",
                    "spun": "spin", "spinning": "spin", "sped": "speed"}

STATIC_VERBS = {"is", "are", "be", "sits", "sit", "sitting", "stands", "stand", "standing", "lies", "lie", "lying",
                "rests", "resting", "parked", "park", "stays", "stay", "hangs", "hang", "grows", "placed", "stood",
                "sat", "lay", "remains", "remain", "waiting_static", "has", "have", "there", "appears", "seen",
                "visible", "located", "positioned", "idles", "sleeps", "sleeping", "perched", "perches", "leans",
                "leaning", "stacked", "standing_still"}


def _forms(stem: str) -> list[str]:
    out = [stem, stem + "s", stem + "ing", stem + "ed"]
    if stem.endswith("e"):
        out += [stem[:-1] + "ing", stem + "d"]
    if stem.endswith(("s", "sh", "ch", "x", "z", "o")):
        out.append(stem + "es")
    if stem.endswith("y") and stem[-2] not in "aeiou":
        out += [stem[:-1] + "ies", stem[:-1] + "ied"]
    if re.fullmatch(r".*[^aeiou][aeiou][bdgmnpt]", stem):
        out += [stem + stem[-1] + "ing", stem + stem[-1] + "ed"]
    return out


VERB_FORMS: dict[str, str] = {}
for _stem, _verb in _VERBS.items():
    for _f in _forms(_stem):
        VERB_FORMS.setdefault(_f, _verb)
for _f, _stem in _IRREGULAR_FORMS.items():
    if _stem is not None:
        VERB_FORMS[_f] = _VERBS[_stem]
for _f in ("left", "stand", "stands", "rest", "rests", "park"):  # 'left' is a direction; 'rests' is static
    VERB_FORMS.pop(_f, None)
#: verbs whose direct object is the mover (``kicks the ball``: the ball flies) or the target
VERB_STEMS = {f: s for s in _VERBS for f in _forms(s)} | {k: v for k, v in _IRREGULAR_FORMS.items() if v}

#: multi-word phrases -> marker tokens (regex, marker); applied in order, longest first
PHRASES: list[tuple[str, str]] = [
    (r"(?:all the way )?from (?:the )?left(?: side)?(?: of the (?:scene|screen|frame|image|picture))? to (?:the )?right(?: side)?", "§dir:left_to_right"),
    (r"(?:all the way )?from (?:the )?right(?: side)?(?: of the (?:scene|screen|frame|image|picture))? to (?:the )?left(?: side)?", "§dir:right_to_left"),
    (r"left to right", "§dir:left_to_right"),
    (r"right to left", "§dir:right_to_left"),
    (r"(?:towards?|at|to) (?:the )?(?:camera|viewer|us|lens)", "§dir:towards_camera"),
    (r"away from (?:the )?(?:camera|viewer|us|lens)", "§dir:away_from_camera"),
    (r"(?:into|in to) (?:the )?(?:scene|view|frame|shot|picture|image)|onto the screen|on screen|on to the screen", "§dir:into_scene"),
    (r"out of (?:the )?(?:scene|view|frame|shot|picture|image|sight)|off ?screen|off (?:the )?(?:screen|frame)", "§dir:out_of_scene"),
    (r"in (?:a )?circles?|round and round|in a loop", "§dir:around"),
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
    (r"in the (?:middle|centre|center)", "§at:center"),
    (r"in the (?:background|distance)|at the back|far away", "§at:back"),
    (r"in the foreground|at the front|up front", "§at:front"),
    (r"next to|beside|besides|near|nearby|close to|by|alongside", "§rel:near"),
    (r"under|underneath|beneath|below", "§rel:under"),
    (r"above|over the top of|high above", "§rel:above"),
    (r"on top of|on|onto|upon|atop|sitting on|standing on|lying on|resting on|perched on|parked on", "§rel:on"),
    (r"inside|inside of|within", "§rel:inside"),
    (r"facing", "§rel:facing"),
    (r"looks? away and (?:then )?(?:comes? |looks? |turns? |pans? )?back|looking away and back", "§shot:look_away_and_back"),
    (r"(?:dolly|dollies|dollying|dollys) in|push(?:es)? in|zoom(?:s|ing)? in", "§shot:dolly_in"),
    (r"(?:dolly|dollies|dollying|dollys) out|pull(?:s)? (?:back|out)|zoom(?:s|ing)? out", "§shot:dolly_out"),
    (r"and then|, then|then|afterwards|after that|after this|next|finally|later|eventually|subsequently", "§then"),
    (r"while|whilst|as|meanwhile|at the same time|simultaneously", "§while"),
    (r"a pair of|a couple of", "2"),
    (r"a few|several|some", "3"),
    (r"a dozen|dozen", "12"),
    (r"half a second", "0.5"),
    (r"a (?:second|moment|bit)", "1 second"),
    (r"km ?/ ?h|kph|kilometres per hour|kilometers per hour", "kmh"),
    (r"m ?/ ?s|metres per second|meters per second", "mps"),
    (r"miles per hour", "mph"),
    (r"living room|bed ?room|dining room|class ?room", "room"),
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
           "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "half": 0.5, "single": 1, "both": 2}


def number_value(word: str) -> float | None:
    """The value of a numeral or number word, or None."""
    if word in NUMBERS:
        return float(NUMBERS[word])
    try:
        return float(word)
    except ValueError:
        return None


SETTINGS = {"street": "street", "road": "street", "crossing": "street", "crosswalk": "street", "intersection": "street",
            "avenue": "street", "highway": "street", "sidewalk": "street", "pavement": "street", "city": "street",
            "town": "street", "park": "park", "garden": "yard", "yard": "yard", "backyard": "yard", "lawn": "park",
            "room": "room", "kitchen": "kitchen", "office": "office", "field": "field", "pitch": "field",
            "meadow": "field", "court": "field", "stadium": "field", "beach": "beach", "shore": "beach",
            "desert": "beach", "table": "table", "playground": "park", "parking": "street", "square": "street",
            "plaza": "street", "lot": "street", "forest": "park", "woods": "park", "indoors": "room", "outdoors": "park"}
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
    "farther",
}

TIME_UNITS = {"second", "seconds", "sec", "secs", "s"}
DIST_UNITS = {"metre", "metres", "meter", "meters", "m"}
#: what the camera does, by verb form
CAMERA_VERBS = {"pan": "pan", "pans": "pan", "panning": "pan", "tilt": "tilt", "tilts": "tilt", "tilting": "tilt",
                "track": "track", "tracks": "track", "tracking": "track", "follow": "track", "follows": "track",
                "following": "track", "orbit": "orbit", "orbits": "orbit", "orbiting": "orbit", "circle": "orbit",
                "circles": "orbit", "circling": "orbit", "static": "static", "still": "static", "fixed": "static",
                "stationary": "static", "holds": "static", "stays": "static", "look": "static", "looks": "static",
                "dolly": "dolly", "dollies": "dolly", "zoom": "dolly", "zooms": "dolly"}
#: adverbs of pace
PACE_WORDS = {**dict.fromkeys(("slowly", "gently", "lazily", "calmly", "carefully", "leisurely"), "slow"),
              **dict.fromkeys(("quickly", "fast", "rapidly", "swiftly", "briskly", "hurriedly"), "fast")}
