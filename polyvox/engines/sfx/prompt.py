"""Reading a sound-effect prompt: what sounds, in what order, how big, where, how long.

The parser is a keyword grammar, not a language model. A prompt becomes a
:class:`SoundPlan`:

* **Steps** in time order, split at "then", "followed by", "after that", "->", ";" (and
  ", then"). Each step holds one or more **layers** sounding together: every sound kind
  named in the step ("rain on a tin roof with distant thunder" -> rain + thunder).
* **Kinds** (see ``KINDS``): impact, explosion, whoosh, riser, ambience, drone, braam,
  glitch, footsteps, rain, thunder, wind, engine, door, music, beep, bell, gunshot, laser,
  water, fire, dog, birds, heartbeat, clock, typing, glass, and ``abstract`` when nothing
  is recognised (a texture seeded by the prompt's words, so unknown prompts still differ).
* **Traits** per step: intensity (soft..massive), size (small..huge), distance, space
  (room, hall, cathedral, cave, outdoors, underwater, tunnel), brightness (dark..bright),
  speed, material (metal, wood, glass, stone), walking surface, a count ("three knocks"),
  mood (eerie, tense, happy, sad), sci-fi.
* **Global**: loop (loop, looping, seamless, loopable), tempo ("120 bpm", or the genre's
  usual tempo), key ("in A minor", "C# major", "key of F"), genre (lofi, house, techno,
  hip hop, trap, drum and bass, ambient, rock, jazz, cinematic), and a duration the prompt
  itself states ("5 seconds of ...") or, failing that, a natural length per kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBERS = {"a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "double": 2, "couple": 2, "three": 3, "four": 4,
            "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 4, "few": 3}

KINDS: dict[str, tuple[str, ...]] = {
    "explosion": (r"explo\w*", r"blast", r"detonat\w*", r"bomb", r"grenade", r"kaboom"),
    "gunshot": (r"gun\w*", r"shot(?!gun)s?", r"pistol", r"rifle", r"firearm", r"bullet"),
    "braam": (r"bra+m\w*", r"trailer (?:horn|hit)", r"inception"),
    "riser": (r"riser", r"rising", r"build[- ]?up", r"uplifter", r"sweep up", r"tension build"),
    "whoosh": (r"whoo?sh\w*", r"swoosh\w*", r"swish\w*", r"woosh\w*", r"swipe", r"fly[- ]?by", r"pass(?:es|ing)? by",
               r"transition"),
    "impact": (r"impact\w*", r"hit\b", r"hits\b", r"punch\w*", r"slam\w*", r"thud\w*", r"thump\w*", r"smash\w*",
               r"crash\w*", r"bang\w*", r"knock\w*", r"boom\w*", r"stomp\w*", r"strike\w*", r"clang\w*", r"drop(?:ped|s)?\b",
               r"fall(?:s|ing)?\b", r"fell\b"),
    "glitch": (r"glitch\w*", r"stutter\w*", r"bit ?crush\w*", r"malfunction\w*", r"digital error", r"data corrupt\w*",
               r"computer error", r"static burst"),
    "footsteps": (r"foot ?steps?", r"walking", r"running", r"steps\b", r"stomping", r"jogging", r"sneaking",
                  r"marching", r"heels"),
    "rain": (r"rain\w*", r"drizzl\w*", r"downpour", r"showers?\b", r"storm\w*", r"drops? of water"),
    "thunder": (r"thunder\w*", r"lightning", r"storm\w*"),
    "wind": (r"wind\w*", r"gusts?", r"breeze", r"howl\w*", r"blizzard", r"gale"),
    "engine": (r"engines?", r"\bcars?\b", r"motor\w*", r"truck", r"vehicle", r"revv?\w*", r"idl\w+", r"bus\b",
               r"tractor", r"generator", r"jet", r"helicopter"),
    "door": (r"doors?", r"creak\w*", r"hinge\w*", r"gate\b", r"latch"),
    "music": (r"music\w*", r"beat\b", r"beats\b", r"drum\w*", r"groove", r"melod\w*", r"chord\w*", r"arpegg\w*",
              r"\barp\b", r"synth ?(?:line|pad|lead)", r"bass ?line", r"\bbpm\b", r"lo-?fi", r"hip ?hop", r"techno",
              r"house music", r"\bedm\b", r"piano", r"guitar", r"jingle", r"song", r"tune\b", r"trap beat", r"jazz"),
    "drone": (r"drones?", r"\bhum\w*", r"\bpad\b", r"dron\w+", r"ominous", r"eerie", r"dark ambient", r"sustain\w*",
              r"tension"),
    "ambience": (r"ambien\w*", r"atmospher\w*", r"room tone", r"forest", r"city", r"street", r"traffic", r"cafe",
                 r"caf\u00e9", r"restaurant", r"crowd", r"people talking", r"ocean", r"waves?", r"sea\b", r"beach",
                 r"night", r"crickets?", r"jungle", r"office", r"market", r"spaceship interior", r"background"),
    "beep": (r"beep\w*", r"notification", r"\bui\b", r"click\w*", r"alert", r"alarm", r"ping\b", r"blip\w*",
             r"button", r"error sound", r"success sound", r"coin", r"power[- ]?up", r"level up"),
    "bell": (r"bells?", r"chim\w+", r"ding\w*", r"gong", r"church", r"tibetan", r"singing bowl", r"triangle"),
    "laser": (r"laser\w*", r"zap\w*", r"blaster", r"phaser", r"ray gun", r"pew"),
    "water": (r"splash\w*", r"water\w*", r"stream\b", r"river", r"brook", r"bubbl\w*", r"drip\w*", r"pour\w*",
              r"waterfall", r"underwater"),
    "fire": (r"fire\b", r"fireplace", r"campfire", r"crackl\w*", r"flames?", r"burning", r"bonfire"),
    "dog": (r"dogs?", r"bark\w*", r"woof", r"puppy", r"growl\w*"),
    "birds": (r"birds?", r"chirp\w*", r"tweet\w*", r"songbird", r"sparrow", r"dawn chorus", r"seagull\w*"),
    "heartbeat": (r"heart ?beat\w*", r"heart pounding", r"pulse\b"),
    "clock": (r"clocks?", r"tick\w*", r"tock", r"metronome", r"timer"),
    "typing": (r"typ(?:ing|ewriter)", r"keyboard", r"keystrokes?"),
    "glass": (r"glass break\w*", r"shatter\w*", r"breaking glass", r"window break\w*", r"glass smash\w*"),
}

# A kind in the first set makes the kinds in the second redundant within the same step.
_SUPPRESS: dict[str, tuple[str, ...]] = {
    "door": ("impact",), "explosion": ("impact", "drone"), "gunshot": ("impact",), "braam": ("impact", "drone"),
    "footsteps": ("impact", "door"), "glass": ("impact",), "thunder": ("impact", "explosion"),
    "music": ("beep", "bell", "drone", "impact"), "typing": ("beep",), "clock": ("beep",), "heartbeat": ("impact",),
    "laser": ("gunshot",), "riser": ("whoosh",), "dog": ("ambience",), "water": ("ambience", "impact"),
    "rain": ("impact",), "ambience": ("impact",),
}

NATURAL_SECONDS: dict[str, float] = {
    "impact": 1.6, "explosion": 4.0, "whoosh": 1.5, "riser": 4.0, "ambience": 10.0, "drone": 8.0, "braam": 5.0,
    "glitch": 2.0, "footsteps": 5.0, "rain": 10.0, "thunder": 6.0, "wind": 10.0, "engine": 6.0, "door": 3.0,
    "music": 8.0, "beep": 1.0, "bell": 3.5, "gunshot": 2.2, "laser": 1.0, "water": 4.0, "fire": 10.0, "dog": 3.0,
    "birds": 6.0, "heartbeat": 5.0, "clock": 5.0, "typing": 5.0, "glass": 2.5, "abstract": 3.0,
}
TEXTURES = frozenset({"ambience", "drone", "rain", "wind", "engine", "fire", "water", "birds", "heartbeat", "clock",
                      "typing", "footsteps", "music"})
"""Kinds that fill their whole span (as opposed to one-shots that ring out)."""

_GENRE_TEMPO = {"lofi": 82, "hiphop": 90, "trap": 140, "house": 124, "techno": 130, "dnb": 172, "ambient": 70,
                "rock": 120, "jazz": 110, "cinematic": 95, "pop": 112}
_GENRES = {"lofi": r"lo-?fi", "hiphop": r"hip ?hop|boom ?bap", "trap": r"\btrap\b", "house": r"\bhouse\b|\bedm\b",
           "techno": r"techno", "dnb": r"drum (?:and|&|n) bass|\bdnb\b|jungle beat", "ambient": r"ambient music|ambient",
           "rock": r"\brock\b", "jazz": r"jazz", "cinematic": r"cinematic|epic|orchestral", "pop": r"\bpop\b"}
_NOTES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


@dataclass
class Traits:
    intensity: float = 0.5
    size: float = 0.5
    distance: float = 0.0
    space: str | None = None
    brightness: float = 0.5
    speed: float = 1.0
    material: str | None = None
    surface: str | None = None
    count: int | None = None
    mood: str | None = None
    scifi: bool = False
    subtype: str | None = None
    """Finer kind where a renderer distinguishes (``forest``, ``city``, ``ocean``; ``open``/``close``)."""


@dataclass
class Step:
    text: str
    kinds: list[str]
    traits: Traits
    seconds: float
    """Natural length of this step."""


@dataclass
class SoundPlan:
    prompt: str
    steps: list[Step]
    loop: bool = False
    tempo: float | None = None
    key_root: int | None = None
    """Pitch class 0 (C) .. 11 (B)."""
    minor: bool = False
    genre: str | None = None
    stated_seconds: float | None = None
    kinds: list[str] = field(default_factory=list)

    @property
    def natural_seconds(self) -> float:
        return float(sum(s.seconds for s in self.steps))


_SPLIT = re.compile(r"\s*(?:,?\s*\b(?:and then|then|followed by|after that|afterwards|before|finally)\b|->|→|;)\s*",
                    re.IGNORECASE)


def parse(prompt: str) -> SoundPlan:
    text = " ".join((prompt or "").split())
    low = text.lower()
    plan = SoundPlan(prompt=text, steps=[])
    plan.loop = bool(re.search(r"\bloop\w*|\bseamless\w*|\brepeat(?:ing|able)\b", low))
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:s|sec|secs|seconds?)\b", low)
    if m:
        plan.stated_seconds = float(m.group(1))
    m = re.search(r"(\d{2,3})\s*(?:bpm|beats per minute)", low)
    if m:
        plan.tempo = float(min(220, max(40, int(m.group(1)))))
    for g, pat in _GENRES.items():
        if re.search(pat, low):
            plan.genre = g
            break
    plan.key_root, plan.minor = _key(text)
    parts = [p for p in _SPLIT.split(text) if p and p.strip(" ,.")]
    for part in parts or [text]:
        step = _step(part)
        prev = plan.steps[-1] if plan.steps else None
        # "a door creaks open, then slams shut": a bare action continues the previous subject
        if prev and step.kinds == ["impact"] and "door" in prev.kinds:
            step.kinds, step.traits.subtype = ["door"], "close"
        plan.steps.append(step)
    if plan.tempo is None and any("music" in s.kinds for s in plan.steps):
        plan.tempo = float(_GENRE_TEMPO.get(plan.genre or "", 110))
    plan.kinds = sorted({k for s in plan.steps for k in s.kinds})
    return plan


def _key(text: str) -> tuple[int | None, bool]:
    pats = (r"\b(?:in|key of)\s+([A-G])\s*(#|♯|b|♭|sharp|flat)?\s*(major|minor|maj|min|m)?\b",
            r"\b([A-Ga-g])\s*(#|♯|b|♭|sharp|flat)?\s+(major|minor)\b")
    for pat in pats:
        m = re.search(pat, text)
        if m:
            root = _NOTES[m.group(1).lower()]
            acc = (m.group(2) or "").lower()
            root = (root + (1 if acc in ("#", "♯", "sharp") else -1 if acc in ("b", "♭", "flat") else 0)) % 12
            mode = (m.group(3) or "").lower()
            return root, mode in ("minor", "min", "m")
    if re.search(r"\bminor\b|\bsad\b|\bdark\b|\bmelanchol\w*", text.lower()):
        return None, True
    return None, False


def _count(low: str) -> int | None:
    m = re.search(r"\b(\d+|a|an|one|single|two|double|couple|three|four|five|six|seven|eight|nine|ten|several|few)"
                  r"\s+(?:of\s+)?(?:\w+\s+)?(?:knocks?|hits?|shots?|gunshots?|steps?|footsteps?|barks?|beeps?|"
                  r"impacts?|punches?|bangs?|explosions?|slams?|rings?|chimes?|dings?|claps?|strikes?|blasts?|"
                  r"booms?|thuds?|clicks?|zaps?|chirps?|ticks?)\b", low)
    if not m:
        return None
    w = m.group(1)
    return int(w) if w.isdigit() else _NUMBERS.get(w)


def _step(part: str) -> Step:
    low = part.lower()
    kinds: list[str] = []
    for kind, pats in KINDS.items():
        if any(re.search(r"\b" + p, low) for p in pats):
            kinds.append(kind)
    for k in list(kinds):
        for other in _SUPPRESS.get(k, ()):
            if other in kinds and other != k:
                kinds.remove(other)
    if "storm" in low and "rain" in kinds and "thunder" not in kinds:
        kinds.append("thunder")
    if not kinds:
        kinds = ["abstract"]
    tr = _traits(low, kinds)
    shots = [k for k in kinds if k not in TEXTURES]
    seconds = max(NATURAL_SECONDS.get(k, 3.0) for k in (shots or kinds))
    if tr.count and any(k in kinds for k in ("impact", "gunshot", "door", "beep", "bell", "laser", "dog",
                                             "explosion", "glass")):
        seconds = min(20.0, seconds * 0.6 + 0.55 * (tr.count - 1) + 0.6)
    if re.search(r"\b(?:short|quick|brief|tiny|small|single)\b", low):
        seconds *= 0.6
    if re.search(r"\b(?:long|extended|endless|slow(?:ly)?|sustained)\b", low):
        seconds *= 1.6
    return Step(text=part, kinds=kinds, traits=tr, seconds=seconds)


def _has(low: str, *words: str) -> bool:
    return any(re.search(r"\b" + w + r"\b", low) for w in words)


def _traits(low: str, kinds: list[str]) -> Traits:
    t = Traits()
    if _has(low, "soft", "gentle", "light", "quiet", "subtle", "faint", "tiny", "small", "little", "delicate",
            "distant", "muffled", "calm"):
        t.intensity = 0.25
    if _has(low, "heavy", "loud", "massive", "huge", "big", "powerful", "hard", "violent", "intense", "strong",
            "epic", "giant", "deep", "thunderous", "aggressive"):
        t.intensity = 0.85
    if _has(low, "huge", "massive", "giant", "enormous", "big", "large", "epic", "colossal"):
        t.size = 0.85
    elif _has(low, "small", "tiny", "little", "mini"):
        t.size = 0.2
    if _has(low, "distant", "far", "far away", "faraway", "in the distance", "remote"):
        t.distance = 0.8
    elif _has(low, "close", "close-up", "closeup", "nearby", "intimate"):
        t.distance = 0.0
    for space, words in (("cathedral", ("cathedral", "church", "temple")), ("cave", ("cave", "cavern", "dungeon")),
                         ("hall", ("hall", "hallway", "corridor", "warehouse", "auditorium", "stadium", "arena")),
                         ("tunnel", ("tunnel", "sewer", "subway")), ("underwater", ("underwater",)),
                         ("room", ("room", "indoors", "indoor", "inside", "kitchen", "bathroom", "office")),
                         ("outdoors", ("outdoors", "outside", "outdoor", "field", "open air", "street", "forest"))):
        if _has(low, *words):
            t.space = space
            break
    if _has(low, "dark", "deep", "low", "bass", "muffled", "warm", "rumbling", "sub"):
        t.brightness = 0.25
    if _has(low, "bright", "high", "sharp", "crisp", "thin", "shrill", "sparkly", "tinny", "airy"):
        t.brightness = 0.8
    if _has(low, "fast", "quick", "rapid", "running", "hurried", "frantic"):
        t.speed = 1.6
    elif _has(low, "slow", "slowly", "lazy", "gradual", "creeping", "sneaking"):
        t.speed = 0.65
    for mat, words in (("metal", ("metal", "metallic", "steel", "iron", "tin", "pipe", "anvil", "sword")),
                       ("glass", ("glass", "crystal", "bottle")), ("wood", ("wood", "wooden", "plank", "log")),
                       ("stone", ("stone", "rock", "concrete", "brick")), ("plastic", ("plastic",)),
                       ("cardboard", ("cardboard", "box", "paper"))):
        if _has(low, *words):
            t.material = mat
            break
    for surf, words in (("gravel", ("gravel", "pebbles", "dirt path")), ("wood", ("wood", "wooden", "floorboards")),
                        ("snow", ("snow", "snowy")), ("grass", ("grass", "leaves", "forest floor")),
                        ("sand", ("sand", "beach")), ("water", ("puddle", "puddles", "water", "mud")),
                        ("metal", ("metal", "grate", "catwalk")), ("concrete", ("concrete", "pavement", "tile",
                                                                                "marble", "stone"))):
        if _has(low, *words):
            t.surface = surf
            break
    for mood, words in (("eerie", ("eerie", "creepy", "haunted", "spooky", "horror", "ominous", "sinister")),
                        ("tense", ("tense", "suspense", "tension", "urgent")),
                        ("happy", ("happy", "cheerful", "uplifting", "bright", "playful", "fun")),
                        ("sad", ("sad", "melancholic", "melancholy", "somber"))):
        if _has(low, *words):
            t.mood = mood
            break
    t.scifi = _has(low, "sci-fi", "scifi", "futuristic", "robot", "robotic", "alien", "spaceship", "space",
                   "cyber", "laser", "electronic", "digital")
    t.count = _count(low)
    for sub, words in (("forest", ("forest", "jungle", "woods", "park")), ("city", ("city", "street", "traffic",
                                                                                     "urban")),
                       ("ocean", ("ocean", "waves", "sea", "beach", "shore")), ("crowd", ("crowd", "people",
                                                                                         "restaurant", "cafe",
                                                                                         "market", "party")),
                       ("night", ("night", "crickets")), ("space", ("spaceship", "space station", "engine room")),
                       ("open", ("open", "opening", "opens")), ("close", ("close", "closing", "closes", "shut",
                                                                          "slam", "slams", "slamming")),
                       ("rev", ("rev", "revving", "revs", "accelerat", "speeding", "race", "racing")),
                       ("idle", ("idle", "idling")), ("knock", ("knock", "knocking", "knocks"))):
        if any(w in low for w in words):
            t.subtype = t.subtype or sub
    if "door" in kinds and t.subtype not in ("open", "close", "knock"):
        t.subtype = "close" if "slam" in low else "open"
    return t


__all__ = ["KINDS", "NATURAL_SECONDS", "TEXTURES", "SoundPlan", "Step", "Traits", "parse"]
