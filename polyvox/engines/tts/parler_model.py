"""Parler-TTS inference in plain PyTorch, loading the checkpoints the ``parler-tts`` package writes.

Why not the package itself: ``parler-tts`` 0.2.3 (the current release) pins
``transformers==4.46.1`` and reaches into that version's private generation and
attention internals (``transformers.modeling_attn_mask_utils``, ``GenerationMixin._sample``,
legacy cache tuples, ``SlidingWindowCache``), all gone in the transformers 5 the other
engines need; its DAC wrapper imports ``descript-audio-codec`` -> ``descript-audiotools``,
which imports ``torchaudio`` (no CPU build here) and pins ``protobuf<5``. So the parts are:

* the description encoder: ``transformers``' own T5 encoder (``AutoModelForTextEncoding``
  from ``config.text_encoder``), as the package does;
* the audio codec: ``transformers``' own ``DacModel``. Checkpoints with the package's DAC
  wrapper (``audio_encoder.model.*``, the original descript names, weight-normed) are
  renamed and their weight norm folded on load; checkpoints whose audio encoder is already
  ``transformers``' DAC load as they are;
* the decoder and the generation loop, written here: ``ParlerDecoder`` is the package's
  ``ParlerTTSForCausalLM`` (same module names, so the same state-dict keys) and
  :func:`generate` is its ``generate`` for one description and one prompt: the prompt's
  token embeddings are prepended to the decoder input, the description's encoder states are
  cross-attended, codebooks follow the delay pattern (codebook k runs k steps late), the
  end-of-speech token is only allowed once every lower codebook has ended, and sampling is
  the package's default (the generation config's temperature, top-k 50 unless set, top-p),
  drawn from a caller's ``torch.Generator`` so concurrent renders do not share randomness.

Supported: sinusoidal or rotary positions, grouped-query self and cross attention, fused
or per-codebook heads, prompts prepended (``prompt_cross_attention=False``, every released
Parler-TTS v1 model). Needs ``torch`` and ``transformers``; imported only by the engine's
``load``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


@dataclass(frozen=True)
class DecoderConfig:
    """The fields of the package's ``ParlerTTSDecoderConfig`` that shape inference (same defaults)."""

    vocab_size: int = 2049
    max_position_embeddings: int = 2048
    num_hidden_layers: int = 24
    ffn_dim: int = 4096
    num_attention_heads: int = 16
    num_key_value_heads: int | None = None
    num_cross_attention_key_value_heads: int | None = None
    activation_function: str = "gelu"
    hidden_size: int = 1024
    scale_embedding: bool = False
    num_codebooks: int = 4
    pad_token_id: int = 2048
    bos_token_id: int = 2049
    eos_token_id: int = 2048
    rope_embeddings: bool = False
    rope_theta: float = 10_000.0
    use_fused_lm_heads: bool = False

    @classmethod
    def from_dict(cls, d: dict) -> DecoderConfig:
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        kv = kw.get("num_key_value_heads") or kw.get("num_attention_heads", cls.num_attention_heads)
        kw["num_key_value_heads"] = kv
        kw["num_cross_attention_key_value_heads"] = kw.get("num_cross_attention_key_value_heads") or kv
        return cls(**kw)


# ---------------------------------------------------------------------------------------- decoder


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def _rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return x * cos + _rotate_half(x) * sin


def sinusoids(num_positions: int, dim: int) -> torch.Tensor:
    """The package's (tensor2tensor) sinusoidal table: cosines then sines."""
    half = dim // 2
    scale = math.log(10000) / (half - 1)
    freqs = torch.exp(torch.arange(half, dtype=torch.int64).float() * -scale)
    angles = torch.arange(num_positions, dtype=torch.int64).float().unsqueeze(1) * freqs.unsqueeze(0)
    table = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    if dim % 2:
        table = torch.cat([table, torch.zeros(num_positions, 1)], dim=1)
    return table


class _Positions(nn.Module):
    """Holds the sinusoid table as the package does (a frozen parameter named ``weights``)."""

    def __init__(self, num_positions: int, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.weights = nn.Parameter(sinusoids(num_positions, dim), requires_grad=False)

    def forward(self, start: int, length: int) -> torch.Tensor:
        if start + length > self.weights.shape[0]:  # the package grows its table the same way
            return sinusoids(start + length, self.dim)[start:].to(self.weights.dtype)
        return self.weights[start:start + length]


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.out_proj = nn.Linear(dim, dim, bias=False)

    def _split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, heads, self.head_dim).transpose(1, 2)

    def keys_values(self, states: torch.Tensor, rope: tuple | None = None):
        k = self._split(self.k_proj(states), self.kv_heads)
        v = self._split(self.v_proj(states), self.kv_heads)
        if rope is not None:
            k = _rope(k, *rope)
        return k, v

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rope: tuple | None, causal: bool):
        q = self._split(self.q_proj(x), self.heads)
        if rope is not None:  # the package rotates queries in cross-attention too
            q = _rope(q, *rope)
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        b, _, t, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, t, -1))


class _Layer(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        from transformers.activations import ACT2FN

        d = cfg.hidden_size
        self.self_attn = _Attention(d, cfg.num_attention_heads, cfg.num_key_value_heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = _Attention(d, cfg.num_attention_heads, cfg.num_cross_attention_key_value_heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, cfg.ffn_dim, bias=False)
        self.fc2 = nn.Linear(cfg.ffn_dim, d, bias=False)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act = ACT2FN[cfg.activation_function]

    def forward(self, h, cache: dict, rope, causal: bool):
        x = self.self_attn_layer_norm(h)
        k, v = self.self_attn.keys_values(x, rope)
        if "k" in cache:
            k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
        cache["k"], cache["v"] = k, v
        h = h + self.self_attn.attend(x, k, v, rope, causal)
        x = self.encoder_attn_layer_norm(h)
        h = h + self.encoder_attn.attend(x, cache["ck"], cache["cv"], rope, False)
        x = self.final_layer_norm(h)
        return h + self.fc2(self.act(self.fc1(x)))


class _DecoderStack(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.ModuleList(nn.Embedding(cfg.vocab_size + 1, cfg.hidden_size)
                                          for _ in range(cfg.num_codebooks))
        if not cfg.rope_embeddings:
            self.embed_positions = _Positions(cfg.max_position_embeddings, cfg.hidden_size)
        self.layers = nn.ModuleList(_Layer(cfg) for _ in range(cfg.num_hidden_layers))
        self.layer_norm = nn.LayerNorm(cfg.hidden_size)


class _DecoderModel(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.decoder = _DecoderStack(cfg)


class ParlerDecoder(nn.Module):
    """``ParlerTTSForCausalLM``: the audio-token decoder (state-dict keys as the package's)."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = _DecoderModel(cfg)
        if cfg.use_fused_lm_heads:
            self.lm_heads = nn.Linear(cfg.hidden_size, cfg.vocab_size * cfg.num_codebooks, bias=False)
        else:
            self.lm_heads = nn.ModuleList(nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
                                          for _ in range(cfg.num_codebooks))

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """(codebooks, t) token ids -> (1, t, hidden): the sum of the codebooks' embeddings."""
        # (the package never applies ``scale_embedding``, so neither does this)
        stack = self.model.decoder
        return sum(stack.embed_tokens[k](tokens[k]) for k in range(self.cfg.num_codebooks)).unsqueeze(0)

    def start(self, encoder_states: torch.Tensor) -> list[dict]:
        """A fresh cache per layer, with the cross-attention keys/values of the description."""
        caches = []
        for layer in self.model.decoder.layers:
            ck, cv = layer.encoder_attn.keys_values(encoder_states)
            caches.append({"ck": ck, "cv": cv})
        return caches

    def step(self, inputs_embeds: torch.Tensor, past: int, caches: list[dict]) -> torch.Tensor:
        """Run ``inputs_embeds`` (1, t, hidden) at positions ``past..past+t``; logits of the last one.

        Returns (codebooks, vocab) float32 logits for the next token of every codebook.
        """
        cfg, stack = self.cfg, self.model.decoder
        t = inputs_embeds.shape[1]
        rope = None
        if cfg.rope_embeddings:
            head_dim = cfg.hidden_size // cfg.num_attention_heads
            dims = torch.arange(0, head_dim, 2, dtype=torch.int64).float()
            inv = 1.0 / (cfg.rope_theta ** (dims / head_dim))
            pos = torch.arange(past, past + t, dtype=torch.float32)
            ang = torch.outer(pos, inv)
            emb = torch.cat([ang, ang], dim=-1)
            dtype = inputs_embeds.dtype
            rope = (emb.cos()[None, None].to(dtype), emb.sin()[None, None].to(dtype))
            h = inputs_embeds
        else:
            h = inputs_embeds + stack.embed_positions(past, t).to(inputs_embeds.dtype)
        causal = t > 1 and past == 0
        for layer, cache in zip(stack.layers, caches):
            h = layer(h, cache, rope, causal)
        last = stack.layer_norm(h[:, -1])  # (1, hidden)
        if cfg.use_fused_lm_heads:
            logits = self.lm_heads(last).view(cfg.num_codebooks, cfg.vocab_size)
        else:
            logits = torch.cat([head(last) for head in self.lm_heads], dim=0)
        return logits.float()


# -------------------------------------------------------------------------------- the whole model


class ParlerTTS(nn.Module):
    """``ParlerTTSForConditionalGeneration`` for inference: same submodule names and weights."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoModelForTextEncoding, DacConfig, DacModel

        if config.get("prompt_cross_attention"):
            raise ValueError("Parler-TTS checkpoints with prompt_cross_attention=true are not supported "
                             "(no released model uses it)")
        text_cfg = dict(config["text_encoder"])
        self.text_encoder = AutoModelForTextEncoding.from_config(
            AutoConfig.for_model(text_cfg.pop("model_type"), **text_cfg))
        self.decoder_cfg = DecoderConfig.from_dict(config["decoder"])
        d = self.decoder_cfg.hidden_size
        text_hidden = self.text_encoder.config.hidden_size
        cross_hidden = config["decoder"].get("cross_attention_hidden_size")
        if text_hidden != d and cross_hidden is None:
            self.enc_to_dec_proj = nn.Linear(text_hidden, d)
        self.embed_prompts = nn.Embedding(config.get("vocab_size", 1024), d)
        self.decoder = ParlerDecoder(self.decoder_cfg)
        self.audio_encoder = DacModel(DacConfig(**_dac_kwargs(config["audio_encoder"])))

    # ---- text side

    def encode_description(self, ids: torch.Tensor) -> torch.Tensor:
        """(1, n) description token ids -> (1, n, decoder hidden) cross-attention states."""
        states = self.text_encoder(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
        if hasattr(self, "enc_to_dec_proj"):
            states = self.enc_to_dec_proj(states)
        return states

    # ---- audio side

    @property
    def codebook_size(self) -> int:
        return int(self.audio_encoder.config.codebook_size)

    @property
    def sample_rate(self) -> int:
        return int(self.audio_encoder.config.sampling_rate)

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / math.prod(self.audio_encoder.config.upsampling_ratios)

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """(codebooks, frames) -> mono float audio (samples,)."""
        z = self.audio_encoder.quantizer.from_codes(codes.unsqueeze(0))[0]
        return self.audio_encoder.decoder(z).reshape(-1)


def _dac_kwargs(audio_cfg: dict) -> dict:
    """``transformers.DacConfig`` arguments from a checkpoint's ``audio_encoder`` config.

    Sizes the package's wrapper does not record (it always builds descript's 44 kHz DAC)
    are set from the weights in :func:`load_state`; these are only the defaults.
    """
    model_type = audio_cfg.get("model_type", "dac")
    if model_type not in ("dac", "dac_on_the_hub"):
        raise ValueError(f"unsupported Parler-TTS audio encoder {model_type!r} (only DAC is supported)")
    if "n_codebooks" in audio_cfg:  # transformers' own DacConfig
        keys = ("encoder_hidden_size", "downsampling_ratios", "decoder_hidden_size", "n_codebooks",
                "codebook_size", "codebook_dim", "sampling_rate")
        return {k: audio_cfg[k] for k in keys if k in audio_cfg}
    return {"n_codebooks": audio_cfg.get("num_codebooks", 9),
            "codebook_size": audio_cfg.get("codebook_size", 1024),
            "sampling_rate": audio_cfg.get("sampling_rate", 44100)}


# --------------------------------------------------------------------------------------- weights


def read_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    """All tensors of the checkpoint: ``model.safetensors``, a sharded index, or ``pytorch_model.bin``."""
    from safetensors.torch import load_file

    if (folder / "model.safetensors").is_file():
        return load_file(folder / "model.safetensors")
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        state: dict[str, torch.Tensor] = {}
        for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
            state.update(load_file(folder / shard))
        return state
    return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)


_WN = re.compile(r"^(.*)\.(weight_g|weight_v|parametrizations\.weight\.original[01])$")


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace weight-norm pairs (``weight_g``/``weight_v``, or ``original0/1``) by plain weights."""
    out: dict[str, torch.Tensor] = {}
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        m = _WN.match(key)
        if m:
            kind = "g" if m.group(2).endswith(("weight_g", "original0")) else "v"
            pairs.setdefault(m.group(1), {})[kind] = value
        else:
            out[key] = value
    for prefix, gv in pairs.items():
        g, v = gv["g"], gv["v"]
        norm = v.norm(2, dim=tuple(range(1, v.ndim)), keepdim=True)
        out[prefix + ".weight"] = v * (g / norm)
    return out


def descript_to_transformers(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict]:
    """Rename descript DAC weights (the package's wrapper, under ``model.``) to ``transformers.DacModel``'s.

    Returns the renamed state and the sizes read off the weights (for ``DacConfig``).
    """
    state = fold_weight_norm({k.removeprefix("model."): v for k, v in state.items()})
    n_enc = len({m.group(1) for k in state if (m := re.match(r"encoder\.block\.(\d+)\.block\.", k))})
    n_dec = len({m.group(1) for k in state if (m := re.match(r"decoder\.model\.(\d+)\.block\.", k))})
    res = {"0": "snake1", "1": "conv1", "2": "snake2", "3": "conv2"}

    def rename(key: str) -> str:
        if m := re.match(r"encoder\.block\.(\d+)\.(.*)$", key):
            i, rest = int(m.group(1)), m.group(2)
            if i == 0:
                return f"encoder.conv1.{rest}"
            if i == n_enc + 1:
                return f"encoder.snake1.{rest}"
            if i == n_enc + 2:
                return f"encoder.conv2.{rest}"
            j, tail = re.match(r"block\.(\d+)\.(.*)$", rest).groups()
            j = int(j)
            if j <= 2:
                r, tail2 = re.match(r"block\.(\d+)\.(.*)$", tail).groups()
                return f"encoder.block.{i - 1}.res_unit{j + 1}.{res[r]}.{tail2}"
            return f"encoder.block.{i - 1}.{'snake1' if j == 3 else 'conv1'}.{tail}"
        if m := re.match(r"decoder\.model\.(\d+)\.(.*)$", key):
            i, rest = int(m.group(1)), m.group(2)
            if i == 0:
                return f"decoder.conv1.{rest}"
            if i == n_dec + 1:
                return f"decoder.snake1.{rest}"
            if i == n_dec + 2:
                return f"decoder.conv2.{rest}"
            j, tail = re.match(r"block\.(\d+)\.(.*)$", rest).groups()
            j = int(j)
            if j >= 2:
                r, tail2 = re.match(r"block\.(\d+)\.(.*)$", tail).groups()
                return f"decoder.block.{i - 1}.res_unit{j - 1}.{res[r]}.{tail2}"
            return f"decoder.block.{i - 1}.{'snake1' if j == 0 else 'conv_t1'}.{tail}"
        return key  # quantizer.quantizers.N.{in_proj,out_proj,codebook}.* keep their names

    renamed = {rename(k): v for k, v in state.items()}
    n_q = len({k.split(".")[2] for k in renamed if k.startswith("quantizer.quantizers.")})
    sizes = {
        "encoder_hidden_size": renamed["encoder.conv1.weight"].shape[0],
        # strided convs have kernel 2 * stride
        "downsampling_ratios": [renamed[f"encoder.block.{i}.conv1.weight"].shape[-1] // 2
                                for i in range(n_enc)],
        "upsampling_ratios": [renamed[f"decoder.block.{i}.conv_t1.weight"].shape[-1] // 2
                              for i in range(n_dec)],
        "decoder_hidden_size": renamed["decoder.conv1.weight"].shape[0],
        "hidden_size": renamed["decoder.conv1.weight"].shape[1],
        "n_codebooks": n_q,
        "codebook_size": renamed["quantizer.quantizers.0.codebook.weight"].shape[0],
        "codebook_dim": renamed["quantizer.quantizers.0.codebook.weight"].shape[1],
    }
    return renamed, sizes


def load_model(folder: Path) -> ParlerTTS:
    """Build the model from ``config.json`` and load the checkpoint's weights (strictly)."""
    from transformers import DacConfig, DacModel

    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "parler_tts":
        raise ValueError(f"{folder / 'config.json'} is not a Parler-TTS config (model_type "
                         f"{config.get('model_type')!r}, expected 'parler_tts')")
    state = read_state_dict(folder)
    audio_keys = [k for k in state if k.startswith("audio_encoder.")]
    audio = {k.removeprefix("audio_encoder."): state.pop(k) for k in audio_keys}
    sizes = None
    if any(k.startswith("model.") for k in audio):  # the package's descript-DAC wrapper
        audio, sizes = descript_to_transformers(audio)
    # built on the meta device (no memory, no random init): every tensor comes from the checkpoint
    with torch.device("meta"):
        model = ParlerTTS(config)
        if sizes is not None:
            names = ("encoder_hidden_size", "downsampling_ratios", "decoder_hidden_size", "n_codebooks",
                     "codebook_size", "codebook_dim")
            dac_cfg = DacConfig(**{k: sizes[k] for k in names},
                                sampling_rate=config["audio_encoder"].get("sampling_rate", 44100))
            dac_cfg.upsampling_ratios = sizes["upsampling_ratios"]
            dac_cfg.hidden_size = sizes["hidden_size"]
            model.audio_encoder = DacModel(dac_cfg)
    # T5's input embeddings are tied to ``shared`` and often stored once
    if "text_encoder.encoder.embed_tokens.weight" not in state and "text_encoder.shared.weight" in state:
        state["text_encoder.encoder.embed_tokens.weight"] = state["text_encoder.shared.weight"]
    if "decoder.model.decoder.embed_positions.weights" not in state and not model.decoder_cfg.rope_embeddings:
        state["decoder.model.decoder.embed_positions.weights"] = sinusoids(
            model.decoder_cfg.max_position_embeddings, model.decoder_cfg.hidden_size)
    state.update({f"audio_encoder.{k}": v for k, v in audio.items()})
    expected = set(model.state_dict())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(f"the checkpoint in {folder} does not match its config.json: "
                         f"missing {missing[:8]}{' ...' if len(missing) > 8 else ''}, "
                         f"unexpected {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''}")
    model.load_state_dict(state, strict=True, assign=True)
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise ValueError(f"tensors not set from the checkpoint: {left[:8]}")
    return model.eval().float()


# ------------------------------------------------------------------------------------ generation


@dataclass(frozen=True)
class Sampling:
    """The generation config's sampling fields (``generation_config.json``), as the package uses them."""

    bos_token_id: int
    pad_token_id: int
    eos_token_id: int
    max_length: int = 2580
    min_new_tokens: int = 0
    do_sample: bool = True
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0

    @classmethod
    def from_files(cls, folder: Path, decoder: DecoderConfig) -> Sampling:
        path = folder / "generation_config.json"
        g = json.loads(path.read_text()) if path.is_file() else {}

        def pick(name, default):
            value = g.get(name)
            if isinstance(value, list):  # token ids may be lists; Parler uses one of each
                value = value[0] if value else None
            return default if value is None else value

        return cls(
            bos_token_id=int(pick("decoder_start_token_id", pick("bos_token_id", decoder.bos_token_id))),
            pad_token_id=int(pick("pad_token_id", decoder.pad_token_id)),
            eos_token_id=int(pick("eos_token_id", decoder.eos_token_id)),
            max_length=int(pick("max_length", 2580)),
            min_new_tokens=int(pick("min_new_tokens", 0)),
            do_sample=bool(pick("do_sample", True)),
            temperature=float(pick("temperature", 1.0)),
            top_k=int(pick("top_k", 50)),
            top_p=float(pick("top_p", 1.0)),
        )


def delay_pattern(num_codebooks: int, length: int, bos: int, pad: int) -> torch.Tensor:
    """(codebooks, length): ``bos`` before codebook k starts (positions <= k), ``pad`` in its last
    ``codebooks - 1 - k`` positions, ``-1`` where the model's prediction is kept (the package's mask)."""
    pattern = torch.full((num_codebooks, length), -1, dtype=torch.long)
    if length < 2 * num_codebooks - 1:
        return pattern
    bos_part = torch.tril(torch.ones((num_codebooks, length), dtype=torch.bool))
    pad_part = torch.triu(torch.ones((num_codebooks, length), dtype=torch.bool),
                          diagonal=length - num_codebooks + 1)
    pattern[bos_part] = bos
    pattern[pad_part] = pad
    return pattern


def _filter(logits: torch.Tensor, s: Sampling) -> torch.Tensor:
    if s.temperature != 1.0:
        logits = logits / s.temperature
    if s.top_k and s.top_k < logits.shape[-1]:
        kth = torch.topk(logits, s.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if s.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=False, dim=-1)
        cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        drop = cum <= (1 - s.top_p)
        drop[..., -1:] = False
        logits = logits.masked_fill(drop.scatter(-1, order, drop), -math.inf)
    return logits


@torch.inference_mode()
def generate(model: ParlerTTS, description_ids: torch.Tensor, prompt_ids: torch.Tensor, sampling: Sampling,
             generator: torch.Generator, max_frames: int | None = None) -> torch.Tensor:
    """Audio codes (codebooks, frames) for one description and one prompt (both (1, n) token ids).

    ``max_frames`` caps the generation below the config's ``max_length`` (a runaway that
    never says end-of-speech stops there).
    """
    dec = model.decoder
    k_books = dec.cfg.num_codebooks
    length = sampling.max_length if max_frames is None else min(sampling.max_length, max_frames + k_books)
    pattern = delay_pattern(k_books, sampling.max_length, sampling.bos_token_id, sampling.pad_token_id)
    eos = sampling.eos_token_id

    caches = dec.start(model.encode_description(description_ids))
    prompt = model.embed_prompts(prompt_ids)  # (1, p, hidden), prepended to the first step
    seq = torch.full((k_books, 1), sampling.bos_token_id, dtype=torch.long)  # raw predictions
    unfinished = torch.ones(k_books, dtype=torch.bool)
    first_open = 0  # lowest codebook that has not said end-of-speech yet
    past = 0
    while True:
        t = seq.shape[1] - 1
        col = seq[:, t]
        col = torch.where(pattern[:, t] == -1, col, pattern[:, t])  # the delay pattern overrides
        x = dec.embed(col[:, None])
        if past == 0:
            x = torch.cat([prompt, x], dim=1)
        logits = dec.step(x, past, caches)
        past += x.shape[1]
        if seq.shape[1] - 1 < sampling.min_new_tokens:
            logits[:, eos] = -math.inf
        if first_open < k_books - 1 and bool((seq[first_open] == eos).any()):
            first_open += 1
        logits[first_open + 1:, eos] = -math.inf
        if sampling.do_sample:
            probs = _filter(logits, sampling).softmax(dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        else:
            nxt = logits.argmax(dim=-1)
        nxt = torch.where(unfinished, nxt, torch.full_like(nxt, sampling.pad_token_id))
        seq = torch.cat([seq, nxt[:, None]], dim=1)
        unfinished &= nxt != eos
        if not bool(unfinished.any()) or seq.shape[1] >= length:
            break

    # undo the delay: codebook k's frame j sits at position j + 1 + k
    n = seq.shape[1]
    seq = torch.where(pattern[:, :n] == -1, seq, pattern[:, :n])
    keep = delay_pattern(k_books, n, sampling.bos_token_id, sampling.pad_token_id)
    keep = (keep != sampling.bos_token_id) & (keep != sampling.pad_token_id)
    codes = seq[keep].reshape(k_books, -1)
    # frames where any codebook holds a special token (end of speech, padding) are not audio
    return codes[:, (codes < model.codebook_size).all(dim=0)]


__all__ = [
    "WEIGHT_FILES",
    "DecoderConfig",
    "ParlerDecoder",
    "ParlerTTS",
    "Sampling",
    "delay_pattern",
    "descript_to_transformers",
    "fold_weight_norm",
    "generate",
    "load_model",
    "read_state_dict",
]
