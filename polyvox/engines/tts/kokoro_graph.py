"""Split the Kokoro ONNX graph into a text front end and a vocoder that can run in windows.

The stock graph goes from tokens to audio in one call, so nothing can be heard before the
whole segment is rendered, and 95 % of that time is the iSTFTNet decoder/vocoder. The cut
made here (once, on first load, checked against the stock graph and cached next to it):

front   ``tokens, style, speed -> asr, f0, n, durations, phase``
    PL-BERT, text encoder, duration/F0/energy predictors (~4 % of the work). ``asr`` is the
    aligned text features ``[1, 512, T]`` (T frames of 600 samples), ``f0``/``n`` the pitch
    and energy curves ``[1, 2T]``, ``durations`` the frames per token, and ``phase`` the
    harmonic source's running phase ``[1, 2T, 9]`` (the source module's ``CumSum``).
decoder ``asr, f0, n, phase, style -> audio``
    The decoder and generator. Everything in it is local in time except the cumulative phase,
    which is why the front end computes ``phase`` over the whole segment: a window of frames
    ``[a, b)`` is decoded from ``asr[..., a:b]``, ``f0[:, 2a:2b]``, ... and its harmonics keep
    the phase they have in the whole segment.

What windows cannot reproduce: the decoder's AdaIN layers normalise over the frames they are
given, so a window is rendered as if it were a short utterance of its own (same words,
prosody and timbre, slightly different waveform). ``kokoro_stream`` therefore cuts windows
at word boundaries and crossfades them.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

VERSION = "1"
FRONT_INPUTS = ("tokens", "style", "speed")
FRONT_OUTPUTS = ("asr", "f0", "n", "durations", "phase")
DECODER_INPUTS = ("asr", "f0", "n", "phase", "style")


@dataclass(frozen=True)
class SplitModel:
    front: Path
    decoder: Path


def _cut_points(graph) -> dict[str, str]:
    """Names of the stock graph's tensors at the cut, found by structure, not by name alone."""
    producer = {o: n for n in graph.node for o in n.output}

    def in_decoder(node) -> bool:
        return node.name.startswith(("/decoder/", "decoder."))

    inits = {i.name for i in graph.initializer}
    decoder_made = {o for n in graph.node if in_decoder(n) for o in n.output}
    crossing: set[str] = set()
    for n in graph.node:
        if in_decoder(n):
            crossing.update(i for i in n.input if i and i not in decoder_made and i not in inits)
    # keep what the encoder computes (not the few shape helpers the exporter left outside)
    crossing = {t for t in crossing if producer.get(t) is not None and producer[t].name.startswith("/encoder/")}
    # the encoder hands the decoder asr (also as its int8-quantised copy), F0 and N
    asr = [t for t in crossing if producer.get(t) is not None and producer[t].op_type == "MatMul"]
    curves = sorted(t for t in crossing if producer.get(t) is not None and producer[t].op_type == "Reshape")
    cumsum = [n.output[0] for n in graph.node if n.op_type == "CumSum" and "l_sin_gen" in n.name]
    durations = None
    for n in graph.node:
        if n.op_type == "Clip":
            r = producer.get(n.input[0])
            d = producer.get(r.input[0]) if r is not None and r.op_type == "Round" else None
            if d is not None and d.op_type == "Div" and "speed" in d.input:
                durations = n.output[0]
    if len(asr) != 1 or len(curves) != 2 or len(cumsum) != 1 or durations is None:
        raise ValueError(f"unexpected Kokoro graph (asr={asr}, curves={curves}, cumsum={cumsum})")
    # F0 feeds the source module (its CumSum); N does not
    def feeds(tensor: str, target: str) -> bool:
        seen, stack = set(), [target]
        while stack:
            t = stack.pop()
            if t == tensor:
                return True
            n = producer.get(t)
            if n is None or id(n) in seen:
                continue
            seen.add(id(n))
            stack.extend(i for i in n.input if i)
        return False

    f0 = [c for c in curves if feeds(c, cumsum[0])]
    if len(f0) != 1:
        raise ValueError("cannot tell the F0 curve from the energy curve")
    n_curve = next(c for c in curves if c != f0[0])
    return {"asr": asr[0], "f0": f0[0], "n": n_curve, "phase": cumsum[0], "durations": durations}


def subgraph(model, inputs: dict[str, str], outputs: dict[str, str]):
    """The part of ``model`` computing ``outputs`` from ``inputs`` (both: new name -> tensor)."""
    from onnx import TensorProto, helper

    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    stop = set(inputs.values())
    keep: set[int] = set()
    stack = list(outputs.values())
    while stack:
        t = stack.pop()
        n = producer.get(t)
        if t in stop or n is None or id(n) in keep:
            continue
        keep.add(id(n))
        stack.extend(i for i in n.input if i)
    nodes = [n for n in g.node if id(n) in keep]
    used = {i for n in nodes for i in n.input}
    graph_inputs = {i.name: i for i in g.input}
    ins = []
    for name, tensor in inputs.items():
        if tensor in graph_inputs and name == tensor:
            ins.append(graph_inputs[tensor])
        else:
            ins.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    # rename cut tensors to the public names
    rename = {t: n for n, t in inputs.items() if n != t}
    for n in nodes:
        for k, i in enumerate(n.input):
            if i in rename:
                n.input[k] = rename[i]
    outs = []
    for name, tensor in outputs.items():
        if name != tensor:
            nodes.append(helper.make_node("Identity", [tensor], [name], name=f"polyvox_{name}"))
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, g.name, ins, outs, [i for i in g.initializer if i.name in used])
    sub = helper.make_model(graph, opset_imports=model.opset_import)
    sub.ir_version = model.ir_version
    return sub


def split_model(base: Path, sha256: str) -> SplitModel | None:
    """Front end and decoder files for ``base`` (built once, next to it); None if impossible."""
    front = base.with_name(base.stem + ".front.onnx")
    decoder = base.with_name(base.stem + ".decoder.onnx")
    marker = base.with_name(base.stem + ".split.src")
    stamp = f"{sha256}:{VERSION}"
    if front.exists() and decoder.exists() and marker.exists() and marker.read_text().strip() == stamp:
        return SplitModel(front, decoder)
    try:
        import onnx
    except ImportError:
        logger.warning("the 'onnx' package is missing: Kokoro renders each segment in one piece")
        return None
    try:
        import copy

        model = onnx.load(str(base))
        cut = _cut_points(model.graph)
        parts = {
            front: subgraph(copy.deepcopy(model), {k: k for k in FRONT_INPUTS},
                             {k: cut[k] for k in FRONT_OUTPUTS}),
            decoder: subgraph(copy.deepcopy(model), {k: ("style" if k == "style" else cut[k]) for k in DECODER_INPUTS},
                               {"audio": model.graph.output[0].name}),
        }
        tag = f"{os.getpid()}.{threading.get_ident()}"
        tmps = {}
        for path, sub in parts.items():
            tmp = path.with_name(f".{path.name}.{tag}.tmp")
            onnx.save(sub, str(tmp))
            tmps[path] = tmp
        _check(base, tmps[front], tmps[decoder])
        for path, tmp in tmps.items():
            tmp.replace(path)
        marker.write_text(stamp)
        return SplitModel(front, decoder)
    except Exception as e:  # noqa: BLE001 - any failure means: render in one piece
        logger.warning("could not split the Kokoro graph (%s): each segment renders in one piece", e)
        for p in base.parent.glob(f".{base.stem}.*.tmp"):
            p.unlink(missing_ok=True)
        return None


def _check(base: Path, front: Path, decoder: Path) -> None:
    """The two halves must give the stock graph's audio exactly, on a short input."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1

    def session(p: Path):
        return ort.InferenceSession(str(p), sess_options=opts, providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(0)
    feeds = {"tokens": np.array([[0, 50, 83, 54, 156, 16, 43, 102, 0]], dtype=np.int64),
             "style": (rng.standard_normal((1, 256)) * 0.1).astype(np.float32),
             "speed": np.array([1.0], dtype=np.float32)}
    stock = session(base).run(None, feeds)[0].ravel()
    fr = dict(zip(FRONT_OUTPUTS, session(front).run(None, feeds)))
    audio = session(decoder).run(None, {k: (feeds["style"] if k == "style" else fr[k]) for k in DECODER_INPUTS})[0]
    audio = np.asarray(audio).ravel()
    frames = int(np.asarray(fr["durations"]).sum())
    if audio.shape != stock.shape or len(audio) != frames * 600 or float(np.max(np.abs(audio - stock))) > 1e-4:
        raise ValueError("split graph does not reproduce the stock graph")


__all__ = ["DECODER_INPUTS", "FRONT_OUTPUTS", "SplitModel", "split_model"]
