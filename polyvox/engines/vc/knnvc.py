"""kNN-VC (Baas, van Niekerk & Kamper, Interspeech 2023): any-to-any voice conversion.

The method: WavLM-Large layer-6 features of the source are each replaced by the mean of
their k=4 nearest neighbours (cosine) among the features of the target speaker's
recordings (the "matching set"), and a HiFi-GAN trained on (prematched) WavLM features
turns the result back into 16 kHz audio. No training per speaker: a few minutes of target
audio is the whole voice; more is better.

Weights (not shipped; a user installs them into ``<models_dir>/knn-vc/``):

* WavLM-Large, either the original checkpoint from the paper's authors
  (``WavLM-Large.pt``: ``{"cfg": {...}, "model": state_dict}`` in the microsoft/unilm
  layout, as the kNN-VC release redistributes it) -- converted on load to the
  ``transformers`` WavLM layout by :func:`wavlm_from_unilm` -- or a ``transformers`` folder
  (``wavlm/config.json`` + weights, e.g. microsoft/wavlm-large);
* the HiFi-GAN generator of the kNN-VC release (``prematch_g_02500000.pt`` or
  ``g_02500000.pt``: ``{"generator": state_dict}`` with weight-norm ``weight_g``/``weight_v``
  pairs) and optionally its ``config_v1_wavlm.json`` (the release's values are the default).

Needs ``torch`` and ``transformers`` (the ``models`` extra); imported on load only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from polyvox.engines.vc.base import Conversion, ConversionRequest, VCEngineInfo

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
HOP = 320
LAYER = 6
TOP_K = 4
WAVLM_FILES = ("WavLM-Large.pt", "wavlm")
HIFIGAN_FILES = ("prematch_g_02500000.pt", "g_02500000.pt", "hifigan.pt")

HIFIGAN_DEFAULTS: dict[str, Any] = {
    "resblock": "1", "upsample_rates": [10, 8, 2, 2], "upsample_kernel_sizes": [20, 16, 4, 4],
    "upsample_initial_channel": 512, "resblock_kernel_sizes": [3, 7, 11],
    "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]], "hubert_dim": 1024, "hifi_dim": 512,
    "sampling_rate": 16000,
}
"""``hifigan/config_v1_wavlm.json`` of the kNN-VC release (the fields the generator uses)."""


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    for n in names:
        p = folder / n
        if p.exists():
            return p
    return None


def installed(folder: Path) -> bool:
    folder = Path(folder)
    return folder.is_dir() and _find(folder, WAVLM_FILES) is not None and _find(folder, HIFIGAN_FILES) is not None


# ----------------------------------------------------------------------------- HiFi-GAN
def _hifigan_classes():
    import torch
    from torch import nn
    from torch.nn import functional as F

    slope = 0.1

    def pad(k: int, d: int) -> int:
        return (k * d - d) // 2

    class ResBlock1(nn.Module):
        def __init__(self, ch: int, k: int, dil: list[int]) -> None:
            super().__init__()
            self.convs1 = nn.ModuleList([nn.Conv1d(ch, ch, k, 1, dilation=d, padding=pad(k, d)) for d in dil])
            self.convs2 = nn.ModuleList([nn.Conv1d(ch, ch, k, 1, dilation=1, padding=pad(k, 1)) for _ in dil])

        def forward(self, x):
            for c1, c2 in zip(self.convs1, self.convs2):
                x = c2(F.leaky_relu(c1(F.leaky_relu(x, slope)), slope)) + x
            return x

    class ResBlock2(nn.Module):
        def __init__(self, ch: int, k: int, dil: list[int]) -> None:
            super().__init__()
            self.convs = nn.ModuleList([nn.Conv1d(ch, ch, k, 1, dilation=d, padding=pad(k, d)) for d in dil[:2]])

        def forward(self, x):
            for c in self.convs:
                x = c(F.leaky_relu(x, slope)) + x
            return x

    class Generator(nn.Module):
        """The kNN-VC HiFi-GAN generator, module names as upstream, weight norm already folded."""

        def __init__(self, h: dict[str, Any]) -> None:
            super().__init__()
            self.lin_pre = nn.Linear(h["hubert_dim"], h["hifi_dim"])
            self.num_kernels = len(h["resblock_kernel_sizes"])
            self.num_upsamples = len(h["upsample_rates"])
            c0 = h["upsample_initial_channel"]
            self.conv_pre = nn.Conv1d(h["hifi_dim"], c0, 7, 1, padding=3)
            block = ResBlock1 if str(h["resblock"]) == "1" else ResBlock2
            self.ups = nn.ModuleList(
                nn.ConvTranspose1d(c0 // 2 ** i, c0 // 2 ** (i + 1), k, u, padding=(k - u) // 2)
                for i, (u, k) in enumerate(zip(h["upsample_rates"], h["upsample_kernel_sizes"])))
            self.resblocks = nn.ModuleList()
            ch = c0
            for i in range(len(self.ups)):
                ch = c0 // 2 ** (i + 1)
                for k, d in zip(h["resblock_kernel_sizes"], h["resblock_dilation_sizes"]):
                    self.resblocks.append(block(ch, k, d))
            self.conv_post = nn.Conv1d(ch, 1, 7, 1, padding=3)

        def forward(self, x):  # (batch, frames, dim) -> (batch, 1, samples)
            x = self.conv_pre(self.lin_pre(x).permute(0, 2, 1))
            for i in range(self.num_upsamples):
                x = self.ups[i](F.leaky_relu(x, slope))
                xs = None
                for j in range(self.num_kernels):
                    y = self.resblocks[i * self.num_kernels + j](x)
                    xs = y if xs is None else xs + y
                x = xs / self.num_kernels
            return torch.tanh(self.conv_post(F.leaky_relu(x)))

    return Generator


def fold_weight_norm(state: dict[str, Any]) -> dict[str, Any]:
    """``weight_g``/``weight_v`` (or ``parametrizations.weight.original0/1``) -> ``weight``."""
    import torch

    out: dict[str, Any] = {}
    pairs: dict[str, dict[str, Any]] = {}
    for k, v in state.items():
        for g, vv, base in ((".weight_g", ".weight_v", ""), (".parametrizations.weight.original0",
                                                              ".parametrizations.weight.original1", "")):
            if k.endswith(g):
                pairs.setdefault(k[: -len(g)], {})["g"] = v
                break
            if k.endswith(vv):
                pairs.setdefault(k[: -len(vv)], {})["v"] = v
                break
        else:
            out[k] = v
    for prefix, gv in pairs.items():
        g, v = gv["g"], gv["v"]
        dims = tuple(range(1, v.dim()))
        out[f"{prefix}.weight"] = g * v / torch.linalg.vector_norm(v, dim=dims, keepdim=True)
    return out


def load_hifigan(path: Path, config: dict[str, Any] | None = None):
    import torch

    ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    state = ckpt.get("generator", ckpt) if isinstance(ckpt, dict) else ckpt
    h = dict(HIFIGAN_DEFAULTS)
    if config:
        h.update(config)
    gen = _hifigan_classes()(h)
    gen.load_state_dict(fold_weight_norm(state))
    return gen.eval(), h


# ----------------------------------------------------------------------------- WavLM
_UNILM_TO_HF = {
    "post_extract_proj": "feature_projection.projection",
    "encoder.pos_conv.0": "encoder.pos_conv_embed.conv",
    "self_attn.k_proj": "attention.k_proj",
    "self_attn.v_proj": "attention.v_proj",
    "self_attn.q_proj": "attention.q_proj",
    "self_attn.out_proj": "attention.out_proj",
    "self_attn.grep_linear": "attention.gru_rel_pos_linear",
    "self_attn.relative_attention_bias": "attention.rel_attn_embed",
    "self_attn.grep_a": "attention.gru_rel_pos_const",
    "self_attn_layer_norm": "layer_norm",
    "fc1": "feed_forward.intermediate_dense",
    "fc2": "feed_forward.output_dense",
    "final_layer_norm": "final_layer_norm",
}


def _conv_spec(s: str) -> list[tuple[int, int, int]]:
    """The unilm ``conv_feature_layers`` string, e.g. ``[(512,10,5)] + [(512,3,2)] * 4``."""
    import ast

    out: list[tuple[int, int, int]] = []
    for part in s.split("+"):
        part = part.strip()
        mult = 1
        if "*" in part:
            part, m = part.rsplit("*", 1)
            mult = int(m.strip())
        out += [tuple(x) for x in ast.literal_eval(part.strip())] * mult
    return out


def hf_config_from_unilm(cfg: dict[str, Any]):
    from transformers import WavLMConfig

    conv = _conv_spec(cfg.get("conv_feature_layers", "[(512,10,5)] + [(512,3,2)] * 4 + [(512,2,2)] * 2"))
    return WavLMConfig(
        hidden_size=cfg.get("encoder_embed_dim", 768), num_hidden_layers=cfg.get("encoder_layers", 12),
        num_attention_heads=cfg.get("encoder_attention_heads", 12),
        intermediate_size=cfg.get("encoder_ffn_embed_dim", 3072),
        conv_dim=[c[0] for c in conv], conv_kernel=[c[1] for c in conv], conv_stride=[c[2] for c in conv],
        conv_bias=bool(cfg.get("conv_bias", False)),
        feat_extract_norm="layer" if cfg.get("extractor_mode", "default") == "layer_norm" else "group",
        do_stable_layer_norm=bool(cfg.get("layer_norm_first", False)),
        num_conv_pos_embeddings=cfg.get("conv_pos", 128), num_conv_pos_embedding_groups=cfg.get("conv_pos_groups", 16),
        num_buckets=cfg.get("num_buckets", 320), max_bucket_distance=cfg.get("max_distance", 800),
        hidden_act=cfg.get("activation_fn", "gelu"))


def unilm_key_to_hf(name: str, group_norm: bool) -> str | None:
    """Map one microsoft/unilm WavLM state-dict key to the transformers layout (None: unused)."""
    if name.startswith("feature_extractor.conv_layers."):
        rest = name[len("feature_extractor.conv_layers."):].split(".")
        layer, kind, leaf = rest[0], int(rest[1]), rest[-1]
        if kind == 0:
            return f"feature_extractor.conv_layers.{layer}.conv.{leaf}"
        if kind == 2 and (not group_norm or layer == "0"):
            return f"feature_extractor.conv_layers.{layer}.layer_norm.{leaf}"
        return None
    if name.startswith("layer_norm."):
        return "feature_projection." + name
    if name.startswith("encoder.layer_norm."):
        return name
    if name == "mask_emb":
        return "masked_spec_embed"
    if name.startswith("encoder.pos_conv.0."):
        return "encoder.pos_conv_embed.conv." + name.split(".")[-1]
    if name.startswith("post_extract_proj."):
        return "feature_projection.projection." + name.split(".")[-1]
    if name.startswith("encoder.layers."):
        parts = name.split(".")
        idx, rest = parts[2], ".".join(parts[3:])
        for src, dst in _UNILM_TO_HF.items():
            if rest.startswith(src + ".") or rest == src:
                return f"encoder.layers.{idx}.{dst}{rest[len(src):]}"
    return None


def wavlm_from_unilm(checkpoint: dict[str, Any]):
    """A ``transformers.WavLMModel`` holding the weights of an original (unilm) checkpoint."""
    from transformers import WavLMModel

    config = hf_config_from_unilm(checkpoint["cfg"])
    model = WavLMModel(config)
    target = model.state_dict()
    group = config.feat_extract_norm == "group"
    mapped: dict[str, Any] = {}
    for k, v in checkpoint["model"].items():
        hk = unilm_key_to_hf(k, group)
        if hk is None:
            continue
        if k.endswith((".weight_g", ".weight_v")):
            base = hk.rsplit(".", 1)[0]
            new = f"{base}.parametrizations.weight.original{0 if k.endswith('_g') else 1}"
            hk = new if new in target else hk
        mapped[hk] = v
    missing = [k for k in target if k not in mapped]
    if missing:
        raise ValueError(f"WavLM checkpoint lacks {len(missing)} weights, e.g. {missing[:3]}")
    model.load_state_dict(mapped, strict=False)
    return model.eval()


def load_wavlm(path: Path):
    import torch

    path = Path(path)
    if path.is_dir():
        from transformers import WavLMModel

        return WavLMModel.from_pretrained(str(path)).eval()
    ckpt = torch.load(str(path), map_location="cpu", weights_only=False)
    return wavlm_from_unilm(ckpt)


# ----------------------------------------------------------------------------- engine
class KnnVC:
    """kNN-VC behind the voice-conversion protocol (target: reference audio)."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        self.folder = Path(folder)
        self.threads = threads
        self.info = VCEngineInfo(name="knn-vc", input_rate=SAMPLE_RATE, target="reference_audio", languages=None,
                                 streams=False, deterministic=True)
        self._lock = threading.Lock()
        self._wavlm = None
        self._hifigan = None
        self._sets: dict[str, Any] = {}

    def load(self) -> None:
        with self._lock:
            if self._wavlm is not None:
                return
            try:
                import torch
            except ImportError as e:
                raise RuntimeError("kNN-VC needs 'torch' and 'transformers' (pip install 'polyvox[models]')") from e
            if self.threads:
                torch.set_num_threads(self.threads)
            wl = _find(self.folder, WAVLM_FILES)
            hg = _find(self.folder, HIFIGAN_FILES)
            if wl is None or hg is None:
                raise RuntimeError(f"kNN-VC weights not found in {self.folder} (need one of {WAVLM_FILES} and one "
                                   f"of {HIFIGAN_FILES})")
            cfg_path = self.folder / "config_v1_wavlm.json"
            config = json.loads(cfg_path.read_text()) if cfg_path.is_file() else None
            self._hifigan, _ = load_hifigan(hg, config)
            self._wavlm = load_wavlm(wl)
            logger.info("kNN-VC loaded from %s", self.folder)

    def unload(self) -> None:
        with self._lock:
            self._wavlm = self._hifigan = None
            self._sets.clear()

    def features(self, wav: np.ndarray):
        """WavLM layer-6 features (frames, dim) of 16 kHz audio."""
        import torch

        self.load()
        x = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))[None]
        with torch.inference_mode():
            out = self._wavlm(x, output_hidden_states=True)
        return out.hidden_states[LAYER][0]

    def matching_set(self, references: list[np.ndarray]):
        import torch

        h = hashlib.sha1()
        for r in references:
            h.update(np.ascontiguousarray(r, dtype=np.float32).tobytes())
        key = h.hexdigest()
        cached = self._sets.get(key)
        if cached is None:
            cached = torch.cat([self.features(r) for r in references if len(r) >= 400], dim=0)
            self._sets[key] = cached
        return cached

    def match(self, query, matching, k: int = TOP_K) -> np.ndarray:
        import torch

        with torch.inference_mode():
            qn = torch.nn.functional.normalize(query, dim=-1)
            mn = torch.nn.functional.normalize(matching, dim=-1)
            dist = 1 - qn @ mn.T
            best = dist.topk(k=min(k, matching.shape[0]), largest=False, dim=-1).indices
            feats = matching[best].mean(dim=1)
            wav = self._hifigan(feats[None]).squeeze()
        return wav.numpy().astype(np.float32)

    def convert(self, request: ConversionRequest) -> Conversion:
        src = np.asarray(request.source, dtype=np.float32).reshape(-1)
        if src.size == 0:
            raise ValueError("the source audio is empty")
        if not request.references:
            raise ValueError("kNN-VC needs recordings of the target voice")
        matching = self.matching_set(request.references)
        n = len(src)

        def run():
            y = self.match(self.features(src), matching)
            y = y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))
            from polyvox.audio import dsp

            yield dsp.peak_limit(dsp.match_loudness(y, SAMPLE_RATE, -20.0), rate=SAMPLE_RATE)

        return Conversion(run(), SAMPLE_RATE, n, request.language)


__all__ = ["HIFIGAN_DEFAULTS", "KnnVC", "fold_weight_norm", "hf_config_from_unilm", "installed", "load_hifigan",
           "load_wavlm", "unilm_key_to_hf", "wavlm_from_unilm"]
