"""Surgery on a Piper (VITS) graph, done in memory when a voice is opened.

``patch_graph`` makes the graph seedable, exposes the frame count of every phoneme id and
lets speed act on those counts (see ``piper``'s module docstring).

``split`` cuts the patched graph in two where the HiFi-GAN decoder (``/dec/...``) begins:

front    ``input, input_lengths, scales, [sid], noise, speed -> latent(s), w_ceil``
    Text encoder, stochastic duration predictor and flow: everything that decides what is
    said and when (~40 % of the work). The latent ``z`` is ``[1, 192, T]``, T frames of
    ``hop`` (256) samples. Whatever else crosses the cut (a multi-speaker voice's speaker
    embedding) is handed over too and passed to every window unsliced.
decoder  ``latent(s) -> audio``
    The HiFi-GAN vocoder (~60 %). It is convolutional with a finite reach, so frames
    ``[a, b)`` decoded from ``z[..., a - CONTEXT: b + CONTEXT]`` are the samples a whole
    decode gives, to float rounding (measured on joe-medium: 8 frames of context leave an
    error of -60 dB, 16 of 5e-7). Windows therefore join without crossfades and a streamed
    segment is the same audio as a whole one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

NOISE_INPUT = "polyvox_noise_{}"
DURATIONS_OUTPUT = "polyvox_w_ceil"
SPEED_INPUT = "polyvox_speed"
LATENT = "polyvox_latent_{}"
CONTEXT = 16
"""Frames decoded on each side of a window and dropped (the decoder's reach, see above)."""


def patch_graph(model) -> tuple[int, bool]:
    """Patch an onnx ModelProto in place: seeded noise inputs and the w_ceil output.

    Returns (number of noise inputs, whether durations are exposed).
    """
    from onnx import TensorProto, helper

    g = model.graph
    n_noise = 0
    new_nodes = []
    for node in g.node:
        if node.op_type != "RandomNormalLike":
            new_nodes.append(node)
            continue
        k = n_noise
        n_noise += 1
        src = node.input[0]
        out = node.output[0]
        p = f"polyvox_noise{k}_"
        noise = NOISE_INPUT.format(k)
        g.input.append(helper.make_tensor_value_info(noise, TensorProto.FLOAT, ["polyvox_noise_len"]))
        new_nodes += [
            helper.make_node("Shape", [src], [p + "shape"], name=p + "Shape"),
            helper.make_node("ReduceProd", [p + "shape"], [p + "numel"], keepdims=1, name=p + "ReduceProd"),
            helper.make_node("Constant", [], [p + "zero"], name=p + "Zero",
                             value=helper.make_tensor(p + "zero_t", TensorProto.INT64, [1], [0])),
            helper.make_node("Slice", [noise, p + "zero", p + "numel"], [p + "flat"], name=p + "Slice"),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [out], name=p + "Reshape"),
        ]
    del g.node[:]
    g.node.extend(new_nodes)
    timed = False
    ceils = [n.output[0] for n in g.node if n.op_type == "Ceil"]
    if len(ceils) == 1:
        c = ceils[0]
        consumers = [n for n in g.node if c in n.input]
        p = "polyvox_speed_"

        def const(name, values):
            dims = [len(values)] if isinstance(values, list) else []
            vals = values if isinstance(values, list) else [values]
            tensor = helper.make_tensor(p + name + "_t", TensorProto.INT64, dims, vals)
            return helper.make_node("Constant", [], [p + name], name=p + name, value=tensor)

        g.input.append(helper.make_tensor_value_info(SPEED_INPUT, TensorProto.FLOAT, [1]))
        added = [
            const("axis", -1),
            const("zero", [0]),
            const("one", [1]),
            const("minus1", [-1]),
            const("axes", [-1]),
            helper.make_node("Div", [c, SPEED_INPUT], [p + "scaled"], name=p + "Div"),
            helper.make_node("CumSum", [p + "scaled", p + "axis"], [p + "cum"], name=p + "CumSum"),
            helper.make_node("Round", [p + "cum"], [p + "round"], name=p + "Round"),
            helper.make_node("Slice", [p + "round", p + "zero", p + "one", p + "axes"], [p + "first"],
                             name=p + "SliceFirst"),
            helper.make_node("Mul", [p + "first", p + "zerof"], [p + "z"], name=p + "Zeros"),
            helper.make_node("Constant", [], [p + "zerof"], name=p + "ZeroF",
                             value=helper.make_tensor(p + "zerof_t", TensorProto.FLOAT, [], [0.0])),
            helper.make_node("Slice", [p + "round", p + "zero", p + "minus1", p + "axes"], [p + "head"],
                             name=p + "SliceHead"),
            helper.make_node("Concat", [p + "z", p + "head"], [p + "prev"], axis=-1, name=p + "Concat"),
            helper.make_node("Sub", [p + "round", p + "prev"], [p + "frames"], name=p + "Sub"),
        ]
        for n in consumers:  # rewire before the list is rebuilt (rebuilding copies nodes)
            for i, name in enumerate(n.input):
                if name == c:
                    n.input[i] = p + "frames"
        # constants first, then the chain, right after the Ceil (keeps the order topological)
        added = [n for n in added if n.op_type == "Constant"] + [n for n in added if n.op_type != "Constant"]
        at = next(i for i, n in enumerate(g.node) if c in n.output) + 1
        nodes = list(g.node)
        nodes[at:at] = added
        del g.node[:]
        g.node.extend(nodes)
        g.node.append(
            helper.make_node("Identity", [p + "frames"], [DURATIONS_OUTPUT], name="polyvox_durations")
        )
        g.output.append(helper.make_tensor_value_info(DURATIONS_OUTPUT, TensorProto.FLOAT, None))
        timed = True
    return n_noise, timed


@dataclass(frozen=True)
class SplitGraph:
    front: object
    """ModelProto of the front end (the patched graph's inputs; latents and ``w_ceil`` out)."""
    decoder: object
    """ModelProto of the vocoder (latents in, ``output`` out)."""
    latents: tuple[str, ...]


def split(model):
    """The front end and decoder of a patched graph, or None if its decoder cannot be found."""
    from .kokoro_graph import subgraph

    g = model.graph
    inits = {i.name for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}

    # the decoder: the ``/dec/`` nodes and everything computed from them (the output's reshape)
    made = {o for n in g.node if n.name.startswith(("/dec/", "dec.")) for o in n.output}
    decoder = []
    for n in g.node:  # nodes are in topological order
        if n.name.startswith(("/dec/", "dec.")) or any(i in made for i in n.input):
            decoder.append(n)
            made.update(n.output)
    if g.output[0].name not in made or DURATIONS_OUTPUT in made \
            or DURATIONS_OUTPUT not in {o.name for o in g.output}:
        return None
    audio = g.output[0].name
    crossing = sorted({i for n in decoder for i in n.input
                       if i and i not in made and i not in inits and i in producer})
    latents = {LATENT.format(k): t for k, t in enumerate(crossing)}
    inputs = [i.name for i in g.input]
    outputs = {**latents, DURATIONS_OUTPUT: DURATIONS_OUTPUT}
    front = subgraph(copy.deepcopy(model), {n: n for n in inputs}, outputs)
    decoder = subgraph(copy.deepcopy(model), latents, {"output": audio})
    return SplitGraph(front, decoder, tuple(latents))


def window(latents: dict[str, np.ndarray], frames: int, a: int, b: int) -> dict[str, np.ndarray]:
    """The decoder feeds for frames ``[a, b)``: time-varying latents sliced, the rest as they are."""
    return {k: (v[..., a:b] if v.shape[-1] == frames else v) for k, v in latents.items()}


__all__ = ["CONTEXT", "DURATIONS_OUTPUT", "NOISE_INPUT", "SPEED_INPUT", "SplitGraph", "patch_graph", "split",
           "window"]
