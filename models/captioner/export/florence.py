"""A tiny Florence-2 with the onnx-community export's interface, for interface-faithful test bundles.

Four sessions, as `models/fixtures/florence-2-base/INTERFACE.md` describes them: `vision_encoder`
(pixel_values [B,3,768,768] -> image_features [B,577,768]: a pooled token, then the 24 x 24 grid),
`embed_tokens` (input_ids -> inputs_embeds [B,L,768]), `encoder_model` (inputs_embeds + attention_mask
-> last_hidden_state) and the decoder (inputs_embeds + encoder_attention_mask + encoder_hidden_states
+ `past_key_values.{0..5}.decoder|encoder.key|value` [B,12,*,64] -> logits [B,T,51289] + presents),
merged behind `use_cache_branch`. Widths inside are small (the graphs keep the interface's 768, 12
heads of 64, 6 decoder layers and the 51,289-token vocabulary); weights are random, deterministic.
The captioning prompt goes through the real tokenizer (`PROMPTS`: ids from INTERFACE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from .tiny import Attention, Linear, Numerics, TinyConfig, cached_step, decoder_blocks, with_eos_ramp

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "florence-2-base"
# task -> the prompt's token ids with <s> ... </s> (INTERFACE.md section 6; the tests check the
# studio's tokenizer gives the same)
PROMPTS = {
    "caption": [0, 2264, 473, 5, 2274, 6190, 116, 2],
    "detailed": [0, 47066, 21700, 11, 4617, 99, 16, 2343, 11, 5, 2274, 4, 2],
    "more-detailed": [0, 47066, 21700, 19, 10, 17818, 99, 16, 2343, 11, 5, 2274, 4, 2],
}


def florence_config(real: bool = False) -> TinyConfig:
    """The interface's dims; inside, small widths (tests) or Florence-2-base's (benchmarks: `real`)."""
    inner = dict(enc_width=768, width=768, cross_rank=0) if real else {}
    return TinyConfig(vocab=51289, image=768, patch=32, layers=6, eos=2, eos_ramp=1.2, eos_start=3.0, **inner)


class _Layer(nn.Module):
    """Pre-LN self-attention + MLP: the real-shape model's vision and encoder layers."""

    def __init__(self, c: TinyConfig, num: Numerics, ffn: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(c.width), nn.LayerNorm(c.width)
        self.attn = Attention(c, num, c.width)
        self.fc, self.proj = Linear(c.width, ffn, num), Linear(ffn, c.width, num)

    def forward(self, x):
        h = self.ln1(x)
        k, v = self.attn.kv(h)
        x = x + self.attn(h, k, v, causal=False)
        return x + self.proj(torch.nn.functional.gelu(self.fc(self.ln2(x))))


class TinyFlorence(nn.Module):
    """`real=True`: Florence-2-base's widths and depths around the same interface (about 210 M random
    weights: 4 vision layers, 6 encoder layers, 6 decoder layers with MLPs, width 768), for benchmarks."""

    def __init__(self, numerics: str = "fp32", seed: int = 1, real: bool = False):
        super().__init__()
        torch.manual_seed(seed)
        c = self.c = florence_config(real)
        self.num = num = Numerics(numerics)
        ffn = 4 * c.width if real else 0
        # vision_encoder
        self.patch = nn.Conv2d(3, c.enc_width, c.patch, stride=c.patch)
        self.vpos = nn.Parameter(torch.randn(1, (c.image // c.patch) ** 2, c.enc_width) * 0.5)
        self.vlayers = nn.ModuleList(_Layer(c, num, ffn) for _ in range(4 if real else 0))
        self.vproj = Linear(c.enc_width, c.hidden, num)
        # embed_tokens: a lookup in a small table, projected to 768
        self.table = nn.Parameter(torch.randn(c.vocab, c.enc_width) * 8.0)  # large: a short prompt still weighs
        self.eproj = Linear(c.enc_width, c.hidden, num)
        # encoder_model: one small self-attention layer over [image ; prompt] (6 full ones when real)
        self.ein = Linear(c.hidden, c.width, num)
        self.eattn = Attention(c, num, c.width)
        self.ectx = Linear(c.width, c.width, num, std=2.0)  # the whole input's mean, so the prompt matters everywhere
        self.elayers = nn.ModuleList(_Layer(c, num, ffn) for _ in range(6 if real else 0))
        self.eout = Linear(c.width, c.hidden, num)
        # decoder
        self.din = Linear(c.hidden, c.width, num)
        self.dpos = nn.Parameter(torch.randn(c.positions + 2, c.width) * 0.1)
        self.blocks = nn.ModuleList(_Block(c, num, ffn) for _ in range(c.layers))
        self.ln = nn.LayerNorm(c.width)
        self.head = Linear(c.width, c.vocab, num, std=0.35)
        if numerics == "fp16-weights":
            with torch.no_grad():
                for p in self.parameters():
                    p.copy_(p.half().float())

    def vision(self, px):  # (B, 3, 768, 768) -> (B, 577, 768)
        x = self.patch(px).flatten(2).transpose(1, 2) + self.vpos  # (B, 576, enc_width)
        for layer in self.vlayers:
            x = layer(x)
        x = torch.cat([x.mean(1, keepdim=True), x], dim=1)  # pooled token first
        return self.vproj(x)

    def embed(self, ids):  # (B, L) -> (B, L, 768)
        return self.eproj(self.table[ids])

    def encode(self, embeds, mask):  # (B, S, 768), (B, S) -> (B, S, 768)
        h = self.ein(embeds)
        k, v = self.eattn.kv(h)
        h = h + self.eattn(h, k, v, causal=False) + self.ectx(h.mean(1, keepdim=True)) + 0.0 * mask.float().mean()
        for layer in self.elayers:
            h = layer(h)
        return self.eout(h)

    def decode(self, embeds, enc, past=None, cross=None):
        """-> logits (B, T, V), decoder presents [(k, v)], encoder presents [(k, v)]."""
        past_len = past[0][0].size(2) if past is not None else 0
        T = embeds.size(1)
        pos = torch.arange(past_len, past_len + T)
        x = self.din(embeds) + self.dpos[pos + 2]  # BART's learned positions start at offset 2
        mlp = lambda blk, h: blk.proj(torch.nn.functional.gelu(blk.fc(blk.ln3(h)))) if blk.fc is not None else None
        x, presents, crosses = decoder_blocks(self.blocks, x, enc, past, cross, mlp)
        return with_eos_ramp(self.head(self.ln(x)), pos, self.c), presents, crosses

    def step(self, pixel_values: torch.Tensor, task: str):
        """The decoder step for `generation.greedy`/`beam_search`, as the four ONNX files compute it."""
        io = self.num.io
        B = pixel_values.size(0)
        ids = torch.tensor([PROMPTS[task]] * B)
        embeds = torch.cat([io(self.vision(io(pixel_values))), io(self.embed(ids))], dim=1)
        mask = torch.ones(embeds.shape[:2], dtype=torch.long)
        decode = lambda tokens, enc, past, cross: self.decode(io(self.embed(tokens)), enc, past, cross)
        return cached_step(io(self.encode(embeds, mask)), decode, io, keep_cross=True)


class _Block(nn.Module):
    def __init__(self, c: TinyConfig, num: Numerics, ffn: int = 0):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(c.width), nn.LayerNorm(c.width), nn.LayerNorm(c.width)
        self.self_attn = Attention(c, num, c.width)
        self.cross = Attention(c, num, c.hidden, c.cross_rank)
        self.fc = Linear(c.width, ffn, num) if ffn else None
        self.proj = Linear(ffn, c.width, num) if ffn else None


# ---- ONNX export of the four sessions ---------------------------------------------------------------

OPSET = 14


class _Part(nn.Module):
    """One session of the model for export (the model is registered, so its weights are initializers)."""

    def __init__(self, m: nn.Module, fn):
        super().__init__()
        self.m, self.fn = m, fn

    def forward(self, *args):
        return self.fn(*args)


def export(m: TinyFlorence, out: Path, merge) -> None:
    """vision_encoder, embed_tokens, encoder_model, decoder_model, decoder_with_past_model and
    decoder_model_merged (.onnx, fp32)."""
    c = m.c
    px = torch.randn(2, 3, c.image, c.image)
    B = {0: "batch_size"}
    torch.onnx.export(_Part(m, m.vision), (px,), out / "vision_encoder.onnx", opset_version=OPSET,
                      input_names=["pixel_values"], output_names=["image_features"],
                      dynamic_axes={"pixel_values": {**B, 2: "height", 3: "width"}, "image_features": B})
    ids = torch.tensor([PROMPTS["caption"]] * 2)
    torch.onnx.export(_Part(m, m.embed), (ids,), out / "embed_tokens.onnx", opset_version=OPSET,
                      input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {**B, 1: "sequence_length"}, "inputs_embeds": {**B, 1: "sequence_length"}})
    embeds = torch.cat([m.vision(px), m.embed(ids)], dim=1)
    mask = torch.ones(embeds.shape[:2], dtype=torch.long)
    seq = {**B, 1: "encoder_sequence_length"}
    torch.onnx.export(_Part(m, m.encode), (embeds, mask), out / "encoder_model.onnx", opset_version=OPSET,
                      input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"inputs_embeds": seq, "attention_mask": seq, "last_hidden_state": seq})
    enc = m.encode(embeds, mask)
    L = c.layers
    dec_names = lambda p: [f"{p}.{i}.decoder.{kv}" for i in range(L) for kv in ("key", "value")]
    all_names = lambda p: [f"{p}.{i}.{s}.{kv}" for i in range(L) for s in ("decoder", "encoder") for kv in ("key", "value")]
    axes = {"inputs_embeds": {**B, 1: "decoder_sequence_length"}, "encoder_attention_mask": seq,
            "encoder_hidden_states": seq, "logits": {**B, 1: "decoder_sequence_length"}}
    for n in all_names("present"):
        axes[n] = {**B, 2: "encoder_sequence_length_out" if ".encoder." in n else "past_decoder_sequence_length + 1"}
    for n in all_names("past_key_values"):
        axes[n] = {**B, 2: "encoder_sequence_length_out" if ".encoder." in n else "past_decoder_sequence_length"}

    def first(embeds, mask, enc):
        logits, pres, crosses = m.decode(embeds, enc)
        flat = [t for i in range(L) for t in (*pres[i], *crosses[i])]
        return (logits + 0.0 * mask.float().mean(), *flat)

    def with_past(embeds, mask, *flat):
        past = [(flat[4 * i], flat[4 * i + 1]) for i in range(L)]
        cross = [(flat[4 * i + 2], flat[4 * i + 3]) for i in range(L)]
        logits, pres, _ = m.decode(embeds, None, past, cross)
        return (logits + 0.0 * mask.float().mean(), *[t for kv in pres for t in kv])

    tok = m.embed(torch.tensor([[c.eos], [c.eos]]))
    torch.onnx.export(_Part(m, first), (tok, mask, enc), out / "decoder_model.onnx", opset_version=OPSET,
                      input_names=["inputs_embeds", "encoder_attention_mask", "encoder_hidden_states"],
                      output_names=["logits", *all_names("present")], dynamic_axes=axes)
    S = enc.size(1)
    past = [torch.randn(2, c.heads, S if ".encoder." in n else 3, c.head_dim) for n in all_names("past_key_values")]
    torch.onnx.export(_Part(m, with_past), (tok, mask, *past), out / "decoder_with_past_model.onnx", opset_version=OPSET,
                      input_names=["inputs_embeds", "encoder_attention_mask", *all_names("past_key_values")],
                      output_names=["logits", *dec_names("present")], dynamic_axes=axes)
    merge(out / "decoder_model.onnx", out / "decoder_with_past_model.onnx", out / "decoder_model_merged.onnx")


# ---- the processor's post-processing, for the reference text ------------------------------------------


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte <-> printable character table, inverted (byte-level BPE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


CLEAN_UP = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


def post_process(tokens: list[int], tokenizer_json: Path = FIXTURE / "tokenizer.json") -> str:
    """decode(skip_special_tokens=False) with the tokenizer's clean_up_tokenization_spaces (true in its
    tokenizer_config.json), then every <s> and </s> removed: Florence2Processor's `pure_text`
    post-processing (caption tasks), written out here from the tokenizer's tables."""
    t = json.loads(tokenizer_json.read_text())
    vocab = {i: tok for tok, i in t["model"]["vocab"].items()}
    added = {a["id"]: a["content"] for a in t["added_tokens"]}
    bd = _byte_decoder()
    out, pending = [], bytearray()
    for i in [2, *tokens]:  # the generated ids follow the decoder start token </s>
        if i in added:
            out.append(pending.decode("utf-8", errors="replace"))
            pending = bytearray()
            out.append(added[i])
        else:
            pending += bytes(bd[ch] for ch in vocab[i])
    out.append(pending.decode("utf-8", errors="replace"))
    text = "".join(out)
    for a, b in CLEAN_UP:
        text = text.replace(a, b)
    return text.replace("</s>", "").replace("<s>", "")
