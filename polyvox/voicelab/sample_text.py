"""A preview text that fits a voice description (``auto_generate_text``).

ElevenLabs writes the preview text with a language model. Offline, a description's words
pick a *register* (a storyteller, an announcer, a villain, a child ...), and two or three
sentences of that register are drawn, seeded, until the text is 100-200 characters long:
the length the API asks of a preview text, and enough speech (about 8-12 s) for the
design's pitch and rate measurements.
"""

from __future__ import annotations

import re

import numpy as np

MIN_CHARS = 100
MAX_CHARS = 200

# register -> (trigger words, sentences)
_REGISTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "announcer": (("announcer sportscaster commentator hype auctioneer energetic excited enthusiastic exuberant "
                  "lively peppy hyper cheerleader salesman saleswoman"), (
        "Ladies and gentlemen, welcome to the biggest night of the year!",
        "You will not believe what happens next, so stay right where you are.",
        "The crowd is on its feet and the noise in here is simply incredible.",
        "Call now, because an offer this good never lasts for long!",
        "What a finish, what a game, and what a season it has been for everyone!",
    )),
    "villain": (("villain supervillain sinister menacing evil ominous creepy eerie wicked threatening vampire "
                "dracula mysterious demon"), (
        "You thought you could hide from me in the dark, but I always find my way.",
        "Every door in this castle is locked, and only I know where the keys are kept.",
        "Come closer, my friend, there is something I have been waiting to show you.",
        "The night is long, the candles are burning low, and nobody is coming to help.",
    )),
    "creature": (("ogre ogres troll trolls giant giants monster beast brute dragon goblin gremlin imp colossus "
                 "titan"), (
        "Who dares to cross my bridge without paying the toll of three golden coins?",
        "I have slept in this cave for a hundred years, and now I am very hungry.",
        "Bring me the treasure, little one, and perhaps I will let you go home.",
        "The mountains shake when I walk, and the rivers hide when I roar.",
    )),
    "magic": (("fairy pixie sprite nymph elf elven elfin wizard sorcerer warlock witch sage druid mouse chipmunk "
              "squirrel hamster"), (
        "Follow the silver light through the forest and make a wish before midnight.",
        "Long ago, when the stars were young, this valley was full of magic.",
        "Hold on tight, because this little spell might tickle just a bit!",
        "The old book opened by itself, and the pages began to glow softly.",
    )),
    "robot": ("robot android cyborg machine droid automaton computer monotone robotic emotionless", (
        "System check complete. All circuits are functioning within normal parameters.",
        "Please state your request clearly. I am here to assist you at all times.",
        "Warning: the power level in sector seven has dropped below forty percent.",
        "Processing your order now. Estimated time of completion is two minutes.",
    )),
    "sad": (("sad melancholic melancholy sorrowful gloomy mournful depressed somber sombre grieving heartbroken "
            "tired weary sleepy exhausted"), (
        "I kept the letter in my pocket for years, but I never found the courage to send it.",
        "The house feels so quiet now, and the garden has grown wild without her.",
        "Some days the rain just does not stop, and that is alright with me.",
        "I suppose I always knew this moment would come, sooner or later.",
    )),
    "stern": (("angry furious irate irritated annoyed grumpy cranky stern aggressive fierce authoritative "
              "commanding sergeant general commander captain soldier warrior knight viking gladiator"), (
        "Listen carefully, because I am only going to say this once.",
        "Stand up straight, look me in the eye, and tell me exactly what happened.",
        "We hold this line until the sun goes down, and not one step back.",
        "I expect the report on my desk by nine tomorrow morning, no excuses.",
    )),
    "child": (("child kid kids toddler baby childlike boy girl schoolgirl schoolboy playful mischievous "
              "cheeky silly goofy"), (
        "Guess what? I found a frog in the garden and I named him Mister Bubbles!",
        "Can we go to the park after lunch, please, please, please?",
        "My tooth is wobbly and Grandma says the tooth fairy will come tonight.",
        "I built the tallest tower ever out of blocks, and then the dog knocked it down.",
    )),
    "calm": (("calm calming soothing relaxed relaxing serene peaceful tranquil meditative gentle soft "
             "whispery whispering hushed breathy"), (
        "Take a slow, deep breath, and let your shoulders soften as you breathe out.",
        "Imagine a quiet beach at sunset, with warm sand and gentle waves.",
        "There is nowhere else you need to be right now, just here, just this moment.",
        "Let each thought drift past like a cloud, and simply let it go.",
    )),
    "news": (("newsreader anchor presenter broadcaster host dj teacher professor lecturer confident "
             "professional formal serious"), (
        "Good evening, and welcome to the program. Here are tonight's main stories.",
        "Researchers say the new findings could change the way we think about sleep.",
        "Today we will look at how rivers shape the land over thousands of years.",
        "Traffic is moving slowly on the main bridge this morning, so plan ahead.",
    )),
    "story": (("narrator storyteller audiobook old elderly grandfather grandmother grandpa grandma wise warm "
              "deep rich"), (
        "Once upon a time, in a village by the sea, there lived a fisherman and his daughter.",
        "It was the coldest winter anyone could remember, and the wind howled every night.",
        "He had walked these roads for fifty years, and he knew every stone by heart.",
        "And so the journey began, with nothing but a map, a lantern and a little hope.",
    )),
}
_DEFAULT = (
    "Every act of kindness, no matter how small, carries value and can make a difference.",
    "I have always believed that a good conversation can brighten even the longest day.",
    "Let me tell you about the time I missed the last train home and walked all night.",
    "The coffee shop on the corner opens early, and it smells wonderful every morning.",
    "If you ever find yourself in the mountains, stop and listen to the silence.",
)
_ORDER = ("creature", "robot", "villain", "magic", "child", "announcer", "sad", "stern", "calm", "news", "story")
"""When several registers match, the more specific one wins."""


def register_of(description: str) -> str | None:
    words = set(re.findall(r"[a-z]+", description.lower()))
    for name in _ORDER:
        if words & set(_REGISTERS[name][0].split()):
            return name
    return None


def sample_text(description: str, seed: int | None = None) -> str:
    """100-200 characters of English suited to ``description`` (same seed, same text)."""
    reg = register_of(description)
    pool = list(_REGISTERS[reg][1] if reg else _DEFAULT)
    order = np.random.default_rng(seed).permutation(len(pool))
    text = ""
    for i in order:
        longer = f"{text} {pool[i]}".strip()
        if len(longer) <= MAX_CHARS:
            text = longer
        if len(text) >= MIN_CHARS:
            break
    return text  # every pool's sentences reach MIN_CHARS in two or three (tests check all of them)


__all__ = ["MAX_CHARS", "MIN_CHARS", "register_of", "sample_text"]
