"""Pure units: segmentation, model registry, admission limits, engine manager."""

from __future__ import annotations

import pytest

from polyvox.engines.manager import EngineManager
from polyvox.errors import ModelNotFound, SystemBusy, TooManyConcurrentRequests
from polyvox.services.limits import Limiter
from polyvox.services.models import MODELS, get_model
from polyvox.text.segment import segment_text


def test_segments_cover_text_in_order():
    text = ("Dr. Smith arrived at 9 a.m. on Monday. He said: hello, how are you today, my friend? "
            "Yes!\n\nA new paragraph starts here, with a clause; and another one.")
    segs = segment_text(text)
    assert all(text[s.start:s.end] == s.text for s in segs)
    assert [s.start for s in segs] == sorted(s.start for s in segs)
    assert "".join(s.text for s in segs).replace(" ", "") == "".join(text.split())
    assert segs[0].text.startswith("Dr. Smith arrived")  # no split after "Dr."


def test_first_segment_is_short_for_latency():
    text = "This is a rather long first sentence that goes on and on without any commas at all. Then more."
    segs = segment_text(text, first_max=40)
    assert len(segs[0].text) <= 40 and len(segs) == 3


def test_long_sentence_is_split_under_max():
    text = ", ".join(["a clause of several words"] * 40) + "."
    segs = segment_text(text, max_chars=120, first_max=None)
    assert all(len(s.text) <= 120 for s in segs) and len(segs) > 5


def test_registry():
    assert get_model(None).model_id == "eleven_multilingual_v2"
    assert get_model("Ellipsis").model_id == "eleven_multilingual_v2"  # SDK 1.54 quirk
    assert get_model("kokoro-82m").engine == "kokoro"
    with pytest.raises(ModelNotFound):
        get_model("nope")
    assert len({m.model_id for m in MODELS}) == len(MODELS)


def test_limiter():
    lim = Limiter(per_key=2, max_total=3)
    lim.acquire("a")
    lim.acquire("a")
    with pytest.raises(TooManyConcurrentRequests):
        lim.acquire("a")
    lim.acquire("b")
    with pytest.raises(SystemBusy):
        lim.acquire("c")
    lim.release("a")
    lim.acquire("c")
    assert lim.current("a") == 1


class _Fake:
    def __init__(self, log):
        self.log = log

    def load(self):
        self.log.append("load")

    def unload(self):
        self.log.append("unload")


def test_manager_lazy_load_and_ttl_unload():
    log, now = [], [0.0]
    m = EngineManager(ttl=10, clock=lambda: now[0])
    m.register("x", lambda: _Fake(log))
    assert log == []
    m.peek("x")
    assert log == []  # peek never loads
    with m.acquire("x"):
        now[0] = 100
        assert m.collect() == []  # in use: never unloaded
    assert log == ["load"]
    now[0] = 105
    assert m.collect() == []
    now[0] = 111
    assert m.collect() == ["x"] and log == ["load", "unload"]
    with m.acquire("x"):
        pass
    assert log.count("load") == 2
