"""A voice description in words -> the attributes voice design acts on.

"A deep, slightly raspy old man with a British accent, speaking slowly" becomes::

    gender=male age=old accent=british pitch=-5.0 st pace=-0.43 tilt=+0.5 dB/oct formant=0.93

Every attribute is a *change from the typical voice* of the gender: ``pitch`` in semitones,
``pace`` as a log speaking-rate ratio (+0.25 is about 28 % faster), ``tilt`` in dB/octave
of the long-term spectrum (negative: softer, breathier, warmer; positive: brighter,
sharper, raspier), ``formant`` as a vocal-tract scale (<1: bigger, e.g. an ogre; >1:
smaller, e.g. a mouse) and ``expressive`` from -1 (monotone) to 1 (animated).

The parser is a lexicon of words and short phrases (pitch, pace, tone, emotion, character
archetypes, age, gender, accent or nationality), with intensity words in front of them
("very", "extremely", "slightly", "a bit") scaling their effect and negations ("not",
"without") cancelling it. Ages are also read from numbers ("a 70-year-old", "in her 30s").
Effects add up and are clamped to what post-processing can do without audible artefacts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Effect:
    pitch: float = 0.0
    pace: float = 0.0
    tilt: float = 0.0
    formant: float = 1.0
    expressive: float = 0.0
    gender: str | None = None
    age: str | None = None
    strong: bool = True
    """False for hints (an archetype's usual gender) that explicit words override."""
    kind: str = "tone"


def _e(kind: str, **kw) -> Effect:
    return Effect(kind=kind, **kw)


_LEX: dict[str, Effect] = {}


def _add(kind: str, words: str, **kw) -> None:
    for w in words.split(","):
        _LEX[w.strip()] = _e(kind, **kw)


# pitch
_add("pitch", "high pitched,high voice,high voiced,high pitch,high register", pitch=4.0)
_add("pitch", "higher pitched,higher voice,higher pitch", pitch=2.5)
_add("pitch", "low pitched,low voice,low voiced,low pitch,low register", pitch=-4.0)
_add("pitch", "lower pitched,lower voice,lower pitch", pitch=-2.5)
_add("pitch", "deep", pitch=-4.0, formant=0.95, tilt=-0.3)
_add("pitch", "deeper", pitch=-3.0, formant=0.96, tilt=-0.2)
_add("pitch", "squeaky,squeaking,squeak", pitch=6.0, formant=1.1, tilt=0.5)
_add("pitch", "shrill,piercing", pitch=4.0, tilt=1.0)
_add("pitch", "piping,falsetto", pitch=5.0)
_add("pitch", "soprano", pitch=3.0, gender="female", strong=False)
_add("pitch", "alto", pitch=-1.5, gender="female", strong=False)
_add("pitch", "tenor", pitch=1.5, gender="male", strong=False)
_add("pitch", "baritone", pitch=-2.5, gender="male", strong=False)
_add("pitch", "bass,basso", pitch=-4.5, gender="male", strong=False)
_add("pitch", "booming", pitch=-3.0, formant=0.95, tilt=0.5)
_add("pitch", "rumbling", pitch=-4.0, formant=0.93)
_add("pitch", "resonant", pitch=-2.0, formant=0.96, tilt=-0.3)
_add("pitch", "thin", pitch=1.0, formant=1.06, tilt=0.5)
_add("pitch", "small voice,tiny voice,little voice", pitch=2.5, formant=1.08)
# pace
_add("pace", "slow,slowly,slow paced,slow talking,slow speaking", pace=-0.25)
_add("pace", "slower", pace=-0.18)
_add("pace", "unhurried,leisurely,languid,drawl,drawling,drawn out", pace=-0.2)
_add("pace", "deliberate,deliberately,measured", pace=-0.14)
_add("pace", "sluggish,lethargic,ponderous,plodding", pace=-0.3)
_add("pace", "fast,quickly,quick,fast paced,fast talking,speedy", pace=0.25)
_add("pace", "faster", pace=0.18)
_add("pace", "rapid,rapidly,rapid fire,hurried,rushed,breakneck", pace=0.3)
_add("pace", "brisk,briskly,snappy,swift", pace=0.15)
# tone
_add("tone", "raspy,rasp,gravelly,gruff,croaky,croaking", pitch=-1.0, tilt=0.6, formant=0.97)
_add("tone", "hoarse,rough,scratchy,grating", tilt=0.6)
_add("tone", "husky", pitch=-1.5, tilt=-0.6)
_add("tone", "breathy,airy", tilt=-1.2)
_add("tone", "whispery,whispering,whisper,whispered,hushed", tilt=-1.5, pace=-0.05)
_add("tone", "soft,softly,soft spoken,quiet,quietly", tilt=-1.0)
_add("tone", "gentle,gently,tender", tilt=-0.8, pace=-0.08)
_add("tone", "mellow,velvety,silky,smooth,buttery", tilt=-0.8, pitch=-0.5)
_add("tone", "warm,warmly,cozy", tilt=-0.8, pitch=-0.5, formant=0.98)
_add("tone", "dark", tilt=-0.8, pitch=-1.0, formant=0.96)
_add("tone", "rich", tilt=-0.4, pitch=-0.5)
_add("tone", "bright,brilliant,sparkling", tilt=1.0, pitch=0.5, formant=1.03)
_add("tone", "crisp,clear,articulate,precise", tilt=0.7)
_add("tone", "sharp,brassy,strident,harsh,edgy", tilt=1.0)
_add("tone", "tinny,metallic", tilt=1.2, formant=1.06)
_add("tone", "nasal,nasally,twangy,twang", tilt=0.8, formant=1.04)
_add("tone", "loud,powerful,strong,forceful,projecting", tilt=0.7, pitch=-0.5)
_add("tone", "big,huge,hulking,burly,broad,large", formant=0.94, pitch=-1.0)
_add("tone", "small,tiny,petite", formant=1.05, pitch=1.0)
# emotion
_add("emotion", "happy,cheerful,joyful,jolly,upbeat,bubbly,perky,sunny,chipper,friendly,warmhearted",
     pitch=1.5, pace=0.08, tilt=0.4, expressive=0.5)
_add("emotion", "excited,enthusiastic,energetic,lively,animated,vibrant,peppy,exuberant,hyper",
     pitch=2.0, pace=0.15, tilt=0.6, expressive=0.7)
_add("emotion", "sad,melancholic,melancholy,sorrowful,gloomy,mournful,depressed,somber,sombre,grieving,"
     "heartbroken", pitch=-1.5, pace=-0.15, tilt=-0.6, expressive=-0.4)
_add("emotion", "tired,weary,sleepy,exhausted,drowsy,bored,listless", pitch=-1.0, pace=-0.2, tilt=-0.6,
     expressive=-0.6)
_add("emotion", "angry,furious,irate,irritated,annoyed,grumpy,cranky,stern,aggressive,fierce",
     pitch=-0.5, pace=0.08, tilt=0.8, expressive=0.3)
_add("emotion", "calm,calming,soothing,relaxed,relaxing,serene,peaceful,tranquil,composed,meditative",
     pitch=-0.5, pace=-0.12, tilt=-0.6, expressive=-0.3)
_add("emotion", "nervous,anxious,scared,frightened,timid,shy,worried,jittery,fearful",
     pitch=1.5, pace=0.12, tilt=-0.3)
_add("emotion", "confident,authoritative,assertive,serious,firm,dignified,regal,formal,commanding",
     pitch=-1.0, pace=-0.05, tilt=0.4)
_add("emotion", "sassy,playful,mischievous,cheeky,flirty,flirtatious,witty,sarcastic,quirky,goofy,silly",
     pitch=1.0, pace=0.08, expressive=0.5)
_add("emotion", "mysterious,sinister,menacing,evil,ominous,creepy,eerie,villainous,wicked,threatening",
     pitch=-1.5, pace=-0.12, tilt=-0.3)
_add("emotion", "monotone,monotonous,flat,deadpan,emotionless,robotic,dull,unemotional", expressive=-1.0)
_add("emotion", "expressive,dramatic,theatrical,emotional,passionate", expressive=1.0, pitch=0.5)
# character archetypes
_add("archetype", "ogre,ogres", gender="male", strong=False, pitch=-5.0, formant=0.84, pace=-0.15, tilt=0.5)
_add("archetype", "troll,trolls", gender="male", strong=False, pitch=-4.0, formant=0.86, pace=-0.1, tilt=0.5)
_add("archetype", "giant,giants,colossus,titan", gender="male", strong=False, pitch=-5.0, formant=0.85,
     pace=-0.2)
_add("archetype", "monster,beast,demon,brute", gender="male", strong=False, pitch=-5.0, formant=0.85,
     pace=-0.1, tilt=0.6)
_add("archetype", "dragon", gender="male", strong=False, pitch=-4.0, formant=0.87, pace=-0.1)
_add("archetype", "goblin,gremlin,imp,leprechaun", gender="male", strong=False, pitch=3.0, formant=1.12,
     pace=0.15, tilt=0.8)
_add("archetype", "mouse,mice,rodent", pitch=6.0, formant=1.2, pace=0.2, tilt=0.3)
_add("archetype", "chipmunk,squirrel,hamster", pitch=7.0, formant=1.22, pace=0.25)
_add("archetype", "bird,parrot,songbird", pitch=5.0, formant=1.15, pace=0.2)
_add("archetype", "fairy,pixie,sprite,nymph", gender="female", strong=False, pitch=4.0, formant=1.12, pace=0.1,
     tilt=-0.3)
_add("archetype", "elf,elven,elfin", pitch=2.0, formant=1.06)
_add("archetype", "robot,android,cyborg,machine,droid,ai,computer,automaton", expressive=-1.0, pace=-0.05,
     tilt=0.6, formant=1.02)
_add("archetype", "witch,hag,crone", gender="female", strong=False, age="old", pitch=-1.0, tilt=0.6)
_add("archetype", "wizard,sorcerer,warlock,sage,druid", gender="male", strong=False, age="old", pitch=-1.0,
     pace=-0.12)
_add("archetype", "pirate,buccaneer", gender="male", strong=False, pitch=-1.5, tilt=0.6)
_add("archetype", "santa,claus", gender="male", strong=False, age="old", pitch=-2.0, pace=-0.1, expressive=0.3)
_add("archetype", "narrator,storyteller,audiobook", pace=-0.08, tilt=-0.3)
_add("archetype", "announcer,sportscaster,commentator,auctioneer,hype", pace=0.2, tilt=0.8, expressive=0.5)
_add("archetype", "villain,supervillain", pitch=-2.0, pace=-0.12, tilt=-0.3)
_add("archetype", "hero,knight,warrior,soldier,captain,general,sergeant,commander,viking,gladiator",
     gender="male", strong=False, pitch=-1.5, tilt=0.5)
_add("archetype", "princess", gender="female", age="young", pitch=2.0)
_add("archetype", "prince", gender="male", age="young")
_add("archetype", "ghost,spirit,phantom,spectre,specter", pace=-0.15, tilt=-1.2)
_add("archetype", "vampire,dracula", gender="male", strong=False, pitch=-2.0, pace=-0.15, tilt=-0.3)
_add("archetype", "zombie,undead", pitch=-3.0, pace=-0.35)
_add("archetype", "cowboy,rancher", gender="male", pace=-0.15)
_add("archetype", "cowgirl", gender="female", pace=-0.15)
_add("archetype", "cheerleader", gender="female", age="young", pitch=2.0, pace=0.15, expressive=0.5)
_add("archetype", "teacher,professor,lecturer", pace=-0.05, tilt=0.3)
_add("archetype", "newsreader,anchor,presenter,broadcaster,host,dj", tilt=0.4)
_add("archetype", "salesman,saleswoman,telemarketer", pace=0.2, expressive=0.3)
# age
_add("age", "child,kid,kids,toddler,baby,childlike,child like,childish", age="child")
_add("age", "little girl,young girl,schoolgirl", age="child", gender="female")
_add("age", "little boy,young boy,schoolboy", age="child", gender="male")
_add("age", "teen,teens,teenage,teenager,teenaged,adolescent,youth,youthful,young,twenties,college", age="young")
_add("age", "middle aged,mature,forties,fifties,middle age", age="middle_aged")
_add("age", "old,elderly,aged,senior,ancient,older,aging,ageing,geriatric,sixties,seventies,eighties,"
     "grandmotherly,grandfatherly", age="old")
# gender (nouns and pronouns)
_add("gender", "man,men,male,guy,gentleman,gentlemen,father,dad,husband,brother,son,uncle,sir,lord,king,"
     "masculine,businessman,fisherman,englishman,frenchman,monk,priest,butler,sailor,lad,fellow,dude,"
     "he,his,him,himself", gender="male")
_add("gender", "woman,women,female,lady,ladies,mother,mom,mum,wife,sister,daughter,aunt,madam,queen,feminine,"
     "businesswoman,actress,waitress,nun,lass,gal,she,her,hers,herself", gender="female")
_add("gender", "boy,boys", gender="male", age="child", strong=True)
_add("gender", "girl,girls", gender="female", age="young", strong=True)
_add("gender", "grandfather,grandpa,granddad,old man,old gentleman", gender="male", age="old")
_add("gender", "grandmother,grandma,granny,nana,old woman,old lady", gender="female", age="old")

AGE_EFFECTS: dict[str, Effect] = {
    "child": Effect(pitch=6.0, formant=1.15, pace=0.05, kind="age"),
    "young": Effect(pitch=1.0, pace=0.06, formant=1.02, kind="age"),
    "middle_aged": Effect(kind="age"),
    "old": Effect(pitch=-1.0, pace=-0.18, tilt=0.3, formant=0.97, kind="age"),
}
"""What an age adds on top of the gender's typical voice (old: slower, a little lower and rougher)."""


@dataclass(frozen=True)
class Accent:
    label: str
    prefixes: str
    """Kokoro stock-voice prefixes that carry this accent ('' = no such voices)."""
    english: str = "en-us"


_ACCENTS: dict[str, Accent] = {}


def _acc(words: str, label: str, prefixes: str, english: str = "en-us") -> None:
    for w in words.split(","):
        _ACCENTS[w.strip()] = Accent(label, prefixes, english)


_acc("american,usa,yankee,new york,new yorker,brooklyn,texan,texas,southern,californian,midwestern,"
     "boston,chicago", "american", "a")
_acc("british,uk,england,london,londoner,cockney,posh,rp,received pronunciation,oxford,brit,englishman,"
     "english accent,english gentleman,english lady,english man,english woman", "british", "b", "en-gb")
_acc("scottish,scotland,scot", "scottish", "b", "en-gb")
_acc("irish,ireland", "irish", "b", "en-gb")
_acc("welsh,wales", "welsh", "b", "en-gb")
_acc("australian,aussie,australia,new zealand,kiwi", "australian", "b", "en-gb")
_acc("spanish,spain,mexican,mexico,latino,latina,hispanic,colombian,argentinian,argentine,castilian", "spanish",
     "e")
_acc("french,france,parisian,frenchman,frenchwoman", "french", "f")
_acc("indian,india,hindi,bollywood", "indian", "h")
_acc("italian,italy,roman,sicilian", "italian", "i")
_acc("japanese,japan,tokyo", "japanese", "j")
_acc("brazilian,brazil", "brazilian", "p")
_acc("portuguese,portugal", "portuguese", "p")
_acc("chinese,china,mandarin,beijing,taiwanese,cantonese", "chinese", "z")
for _w in ("german", "russian", "arabic", "korean", "dutch", "swedish", "polish", "turkish", "greek",
           "african", "nigerian", "jamaican", "canadian", "filipino", "vietnamese", "thai"):
    _ACCENTS[_w] = Accent(_w, "")

_INTENSITY: dict[tuple[str, ...], float] = {
    ("very",): 1.6, ("extremely",): 2.0, ("really",): 1.5, ("super",): 1.7, ("incredibly",): 1.9,
    ("exceptionally",): 1.8, ("unusually",): 1.5, ("quite",): 1.2, ("rather",): 1.1, ("so",): 1.4, ("too",): 1.3,
    ("highly",): 1.5, ("deeply",): 1.4, ("truly",): 1.4, ("remarkably",): 1.6, ("especially",): 1.5,
    ("particularly",): 1.4, ("ultra",): 1.8, ("pretty",): 1.2, ("slightly",): 0.5, ("somewhat",): 0.6,
    ("mildly",): 0.5, ("faintly",): 0.4, ("moderately",): 0.7, ("fairly",): 0.8, ("barely",): 0.3,
    ("subtly",): 0.5, ("lightly",): 0.5, ("a", "little"): 0.5, ("a", "little", "bit"): 0.5, ("a", "bit"): 0.5,
    ("a", "touch"): 0.5, ("a", "hint", "of"): 0.4, ("kind", "of"): 0.6, ("sort", "of"): 0.6,
}
"""Words before an attribute that scale it ("very deep", "a bit raspy")."""
_NEGATIONS = {"not", "no", "never", "without", "non", "isn't", "isnt", "nor", "neither", "un"}
_SPEAK_VERBS = {"speak", "speaks", "speaking", "in", "language", "fluent"}
_MAX_PHRASE = 3

LIMITS = {"pitch": 8.0, "pace": 0.45, "tilt": 3.0, "expressive": 1.0}
FORMANT_LIMITS = (0.82, 1.22)

# --------------------------------------------------------------------------- attributes


@dataclass(frozen=True)
class Attributes:
    """What a description asks for, relative to the typical voice of its gender."""

    gender: str | None = None
    age: str | None = None
    accent: Accent | None = None
    pitch: float = 0.0
    pace: float = 0.0
    tilt: float = 0.0
    formant: float = 1.0
    expressive: float = 0.0
    pitch_set: bool = False
    """Something in the description moves the pitch (pitch words, age, emotion, archetype)."""
    pace_set: bool = False
    tone_set: bool = False
    understood: tuple[str, ...] = field(default=())
    """The words and phrases that were read, with their kind (``deep:pitch``)."""

    def scaled(self, factor: float) -> Attributes:
        """The same directions, ``factor`` times as strong (guidance)."""
        return replace(self, pitch=self.pitch * factor, pace=self.pace * factor, tilt=self.tilt * factor,
                       formant=float(self.formant ** factor), expressive=self.expressive * factor)

    def labels(self) -> dict[str, str]:
        out = {}
        if self.gender:
            out["gender"] = self.gender
        if self.age:
            out["age"] = self.age
        if self.accent:
            out["accent"] = self.accent.label
        return out

    def describe(self) -> dict:
        return {
            "gender": self.gender, "age": self.age, "accent": self.accent.label if self.accent else None,
            "pitch_semitones": round(self.pitch, 2), "pace_log_ratio": round(self.pace, 3),
            "tilt_db_per_octave": round(self.tilt, 2), "formant_ratio": round(self.formant, 3),
            "expressive": round(self.expressive, 2), "understood": list(self.understood),
        }


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:'[a-z]+)?|\d+", text.lower())


def _intensity(tokens: list[str], i: int) -> float:
    """Product of the intensity phrases right before position ``i`` ("a bit", "very very")."""
    f, j = 1.0, i
    while j > 0:
        for size in (3, 2, 1):
            phrase = tuple(tokens[j - size:j]) if j >= size else ()
            if phrase in _INTENSITY:
                f *= _INTENSITY[phrase]
                j -= size
                break
        else:
            return f
    return f


def _negated(tokens: list[str], i: int) -> bool:
    return any(t in _NEGATIONS for t in tokens[max(0, i - 2):i])


def _age_from_number(n: int) -> str:
    return "child" if n < 13 else "young" if n < 30 else "middle_aged" if n < 56 else "old"


def parse_description(text: str) -> Attributes:
    """Read ``text`` (see module doc); unknown words are ignored."""
    tokens = _tokens(text)
    pitch = pace = tilt = expressive = 0.0
    formant = 1.0
    pitch_set = pace_set = tone_set = False
    gender_votes = {"male": 0.0, "female": 0.0}
    ages: list[tuple[int, str]] = []  # (priority, age)
    accent: Accent | None = None
    understood: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        # numeric ages: "70 year old", "70 years old", "in his 60s"
        if tok.isdigit():
            n = int(tok)
            nxt = tokens[i + 1: i + 3]
            if nxt[:1] in (["year"], ["years"], ["yr"], ["yrs"]) and 1 <= n <= 120:
                ages.append((3, _age_from_number(n)))
                understood.append(f"{n} years:age")
                i += 3 if nxt[1:2] == ["old"] else 2
                continue
            if nxt[:1] == ["s"] and n % 10 == 0 and 10 <= n <= 90:
                ages.append((3, _age_from_number(n + 5)))
                understood.append(f"{n}s:age")
                i += 2
                continue
        matched = None
        for size in range(_MAX_PHRASE, 0, -1):
            phrase = " ".join(tokens[i:i + size])
            if size <= len(tokens) - i and (phrase in _LEX or phrase in _ACCENTS):
                matched = (phrase, size)
                break
        if matched is None:
            i += 1
            continue
        phrase, size = matched
        if _negated(tokens, i):
            i += size
            continue
        if phrase in _ACCENTS and phrase not in _LEX:
            if phrase == "english" or (i > 0 and tokens[i - 1] in _SPEAK_VERBS):
                i += size
                continue
            if accent is None:
                accent = _ACCENTS[phrase]
                understood.append(f"{phrase}:accent")
            i += 1  # "english gentleman": the noun after the accent word is read too
            continue
        eff = _LEX[phrase]
        k = _intensity(tokens, i)
        if phrase in _ACCENTS and accent is None:  # "englishman": accent and gender
            accent = _ACCENTS[phrase]
        if eff.gender:
            gender_votes[eff.gender] += (2.0 if eff.strong else 0.5) * (0.5 if phrase in (
                "he", "his", "him", "himself", "she", "her", "hers", "herself") else 1.0)
        if eff.age:
            ages.append((2 if eff.kind in ("age", "gender") else 1, eff.age))
        if eff.pitch:
            pitch += eff.pitch * k
            pitch_set = pitch_set or eff.kind != "gender"
        if eff.pace:
            pace += eff.pace * k
            pace_set = True
        if eff.tilt:
            tilt += eff.tilt * k
            tone_set = tone_set or eff.kind in ("tone", "emotion", "archetype")
        if eff.formant != 1.0:
            formant *= eff.formant ** k
        expressive += eff.expressive * k
        if eff.kind != "gender" or eff.age:
            understood.append(f"{phrase}:{eff.kind}" + (f"x{k:g}" if k != 1 else ""))
        i += size

    gender = None
    if max(gender_votes.values()) > 0 and gender_votes["male"] != gender_votes["female"]:
        gender = max(gender_votes, key=gender_votes.get)
    age = max(ages, key=lambda a: a[0])[1] if ages else None
    if age is not None:
        eff = AGE_EFFECTS[age]
        pitch += eff.pitch
        pace += eff.pace
        tilt += eff.tilt
        formant *= eff.formant
        pitch_set = pitch_set or eff.pitch != 0
        pace_set = pace_set or eff.pace != 0
    return Attributes(
        gender=gender, age=age, accent=accent,
        pitch=float(max(-LIMITS["pitch"], min(LIMITS["pitch"], pitch))),
        pace=float(max(-LIMITS["pace"], min(LIMITS["pace"], pace))),
        tilt=float(max(-LIMITS["tilt"], min(LIMITS["tilt"], tilt))),
        formant=float(max(FORMANT_LIMITS[0], min(FORMANT_LIMITS[1], formant))),
        expressive=float(max(-1.0, min(1.0, expressive))),
        pitch_set=pitch_set, pace_set=pace_set, tone_set=tone_set, understood=tuple(understood))


__all__ = ["AGE_EFFECTS", "Accent", "Attributes", "Effect", "parse_description"]
