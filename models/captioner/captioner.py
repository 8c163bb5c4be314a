"""The captioner: ViT encoder + GPT decoder, with greedy and beam-search decoding.

Decoding follows Hugging Face `generate` for encoder-decoder models (transformers >= 4.50):
  * the decoder starts from `decoder_start_token_id`; `max_length` counts that token;
  * per step: log-softmax of the last logits, then the processors in a fixed order
    (min length -> repetition penalty -> no-repeat n-gram), then the running beam score is added;
  * the top 2 * num_beams candidates go to the scorer; an EOS candidate ranked below num_beams
    is skipped; a finished hypothesis scores sum_logprobs / generated_len ** length_penalty, where
    generated_len counts every generated token including the EOS (not the start token);
  * initial beam scores are [0, -1e9, ...] so the beams of one image do not start identical.
This module is the reference the TypeScript engine is tested against (`tests/test_parity.py` writes
the golden n-best lists that `electron/core/inference` must reproduce).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from .gpt import GPTConfig, GPTDecoder
from .vit import ViT, ViTConfig


@dataclass
class GenerationConfig:
    decoder_start_token_id: int = 1
    bos_token_id: int = 1
    eos_token_id: int = 2
    pad_token_id: int = 0
    max_length: int = 24
    min_length: int = 0
    num_beams: int = 1
    num_return_sequences: int = 1
    length_penalty: float = 1.0
    early_stopping: bool | str = False
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0


@dataclass
class Hypothesis:
    tokens: list[int]  # generated tokens, EOS included when finished
    token_logprobs: list[float]
    sum_logprobs: float
    score: float


class Captioner(nn.Module):
    def __init__(self, enc: ViTConfig, dec: GPTConfig):
        super().__init__()
        self.encoder = ViT(enc)
        self.decoder = GPTDecoder(dec)

    def loss(self, pixel_values, input_ids, labels, pad_id: int):
        return self.decoder.loss(input_ids, labels, self.encoder(pixel_values), pad_id)

    # ---- decoding -------------------------------------------------------------------------------

    @staticmethod
    def process_logprobs(scores: torch.Tensor, seqs: torch.Tensor, gen: GenerationConfig) -> torch.Tensor:
        """Logits processors on (N, V) scores given the sequences so far (N, L), in HF's order."""
        scores = scores.clone()
        gen_len = seqs.size(1) - 1  # tokens generated so far (excluding the start token)
        if gen.min_length and seqs.size(1) < gen.min_length:
            scores[:, gen.eos_token_id] = float("-inf")
        if gen.repetition_penalty != 1.0:
            prev = scores.gather(1, seqs)
            prev = torch.where(prev < 0, prev * gen.repetition_penalty, prev / gen.repetition_penalty)
            scores.scatter_(1, seqs, prev)
        n = gen.no_repeat_ngram_size
        if n and gen_len + 1 >= n:
            for row in range(seqs.size(0)):
                s = seqs[row].tolist()
                prefix = tuple(s[len(s) - n + 1 :]) if n > 1 else ()
                for i in range(len(s) - n + 1):
                    if tuple(s[i : i + n - 1]) == prefix:
                        scores[row, s[i + n - 1]] = float("-inf")
        return scores

    @torch.no_grad()
    def greedy(self, pixel_values: torch.Tensor, gen: GenerationConfig) -> list[Hypothesis]:
        enc = self.encoder(pixel_values)
        B = enc.size(0)
        seqs = torch.full((B, 1), gen.decoder_start_token_id, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        logps: list[list[float]] = [[] for _ in range(B)]
        past = None
        while seqs.size(1) < gen.max_length and not done.all():
            logits, past, _ = self.decoder(seqs[:, -1:], enc, past)
            # HF greedy applies processors to the raw logits, then takes the arg-max
            scores = self.process_logprobs(logits[:, -1, :], seqs, gen)
            nxt = scores.argmax(-1)
            lp = scores.log_softmax(-1).gather(1, nxt[:, None])[:, 0]
            nxt = torch.where(done, torch.full_like(nxt, gen.pad_token_id), nxt)
            for b in range(B):
                if not done[b]:
                    logps[b].append(float(lp[b]))
            seqs = torch.cat([seqs, nxt[:, None]], dim=1)
            done |= nxt == gen.eos_token_id
        out = []
        for b in range(B):
            toks = [t for t in seqs[b, 1:].tolist()][: len(logps[b])]
            s = sum(logps[b])
            out.append(Hypothesis(toks, logps[b], s, s / max(1, len(toks)) ** gen.length_penalty))
        return out

    @torch.no_grad()
    def beam_search(self, pixel_values: torch.Tensor, gen: GenerationConfig) -> list[list[Hypothesis]]:
        """n-best lists per image, best first, with HF `generate` semantics (see module docstring)."""
        K = gen.num_beams
        enc = self.encoder(pixel_values)
        B, S, E = enc.size()
        enc = enc.unsqueeze(1).expand(B, K, S, E).reshape(B * K, S, E)  # (B*K, S, E)
        seqs = torch.full((B * K, 1), gen.decoder_start_token_id, dtype=torch.long)
        beam_scores = torch.zeros(B, K)
        beam_scores[:, 1:] = -1e9
        beam_scores = beam_scores.view(-1)  # (B*K,)
        token_lps: list[list[float]] = [[] for _ in range(B * K)]
        finished: list[list[Hypothesis]] = [[] for _ in range(B)]
        done = [False] * B
        past = None
        while seqs.size(1) < gen.max_length:
            logits, past, _ = self.decoder(seqs[:, -1:], enc, past)
            logp = self.process_logprobs(logits[:, -1, :].log_softmax(-1), seqs, gen)  # (B*K, V)
            V = logp.size(-1)
            total = (logp + beam_scores[:, None]).view(B, K * V)
            top_scores, top_idx = total.topk(2 * K, dim=1)  # (B, 2K)
            gen_len = seqs.size(1)  # generated tokens once this step's token is appended
            new_beams: list[tuple[float, int, int]] = []  # (score, token, source row)
            for b in range(B):
                if done[b]:
                    new_beams += [(0.0, gen.pad_token_id, b * K)] * K
                    continue
                chosen: list[tuple[float, int, int]] = []
                for rank in range(2 * K):
                    score, idx = float(top_scores[b, rank]), int(top_idx[b, rank])
                    row, tok = b * K + idx // V, idx % V
                    if tok == gen.eos_token_id:
                        if rank >= K:
                            continue
                        lps = token_lps[row] + [float(logp[row, tok])]
                        self._add(finished[b], Hypothesis(seqs[row, 1:].tolist() + [tok], lps, score,
                                                          score / gen_len**gen.length_penalty), K)
                    else:
                        chosen.append((score, tok, row))
                    if len(chosen) == K:
                        break
                new_beams += chosen
                best_running = float(top_scores[b].max())
                done[b] = self._is_done(finished[b], best_running, gen_len, gen)
            if all(done):
                break
            rows = torch.tensor([r for _, _, r in new_beams])
            toks = torch.tensor([t for _, t, _ in new_beams])
            token_lps = [token_lps[r] + [float(logp[r, t])] for _, t, r in new_beams]
            beam_scores = torch.tensor([s for s, _, _ in new_beams])
            seqs = torch.cat([seqs[rows], toks[:, None]], dim=1)
            past = [(k[rows], v[rows]) for k, v in past]  # reorder the cache by source beam
        for b in range(B):
            if done[b]:
                continue
            gen_len = seqs.size(1) - 1
            for k in range(K):
                row = b * K + k
                s = float(beam_scores[row])
                self._add(finished[b], Hypothesis(seqs[row, 1:].tolist(), token_lps[row], s,
                                                  s / gen_len**gen.length_penalty), K)
        return [sorted(f, key=lambda h: -h.score)[: gen.num_return_sequences] for f in finished]

    @staticmethod
    def _add(hyps: list[Hypothesis], h: Hypothesis, K: int) -> None:
        """Keep the K best finished hypotheses; a newcomer must beat the worst when full."""
        if len(hyps) < K or h.score > min(x.score for x in hyps):
            hyps.append(h)
            if len(hyps) > K:
                hyps.remove(min(hyps, key=lambda x: x.score))

    @staticmethod
    def _is_done(hyps: list[Hypothesis], best_running: float, cur_len: int, gen: GenerationConfig) -> bool:
        if len(hyps) < gen.num_beams:
            return False
        if gen.early_stopping is True:
            return True
        if gen.early_stopping == "never" and gen.length_penalty > 0:
            best_possible = best_running / (gen.max_length - 1) ** gen.length_penalty
        else:
            best_possible = best_running / cur_len**gen.length_penalty
        return min(h.score for h in hyps) >= best_possible


# ---- bundle configs (Hugging Face names) -----------------------------------------------------------


def hf_config(enc: ViTConfig, dec: GPTConfig, gen: GenerationConfig) -> dict:
    return {
        "model_type": "vision-encoder-decoder",
        "architectures": ["VisionEncoderDecoderModel"],
        "is_encoder_decoder": True,
        "tie_word_embeddings": True,
        "decoder_start_token_id": gen.decoder_start_token_id,
        "pad_token_id": gen.pad_token_id,
        "eos_token_id": gen.eos_token_id,
        "encoder": {
            "model_type": "vit", "image_size": enc.image_size, "patch_size": enc.patch_size,
            "num_channels": enc.num_channels, "hidden_size": enc.hidden_size,
            "num_hidden_layers": enc.num_layers, "num_attention_heads": enc.num_heads,
            "intermediate_size": enc.mlp_ratio * enc.hidden_size, "layer_norm_eps": enc.layer_norm_eps,
        },
        "decoder": {
            "model_type": "gpt2", "add_cross_attention": True, "is_decoder": True,
            "vocab_size": dec.vocab_size, "n_positions": dec.max_positions, "n_embd": dec.hidden_size,
            "n_layer": dec.num_layers, "n_head": dec.num_heads, "n_inner": dec.mlp_ratio * dec.hidden_size,
            "layer_norm_epsilon": dec.layer_norm_eps, "bos_token_id": gen.bos_token_id,
            "eos_token_id": gen.eos_token_id, "pad_token_id": gen.pad_token_id,
        },
        "caption_studio": {"architecture": "captioner-v1", "encoder": asdict(enc), "decoder": asdict(dec)},
    }


def preprocessor_config(enc: ViTConfig) -> dict:
    return {
        "image_processor_type": "ViTImageProcessor",
        "do_resize": True, "size": {"height": enc.image_size, "width": enc.image_size}, "resample": 2,
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    }


def load_captioner(bundle: str | Path) -> tuple[Captioner, GenerationConfig]:
    """The PyTorch model of a bundle we trained: configs from config.json, weights from model.pt."""
    bundle = Path(bundle)
    cfg = json.loads((bundle / "config.json").read_text())["caption_studio"]
    model = Captioner(ViTConfig(**cfg["encoder"]), GPTConfig(**cfg["decoder"]))
    model.load_state_dict(torch.load(bundle / "model.pt", map_location="cpu"))
    model.eval()
    known = GenerationConfig.__dataclass_fields__
    gen = json.loads((bundle / "generation_config.json").read_text())
    return model, GenerationConfig(**{k: v for k, v in gen.items() if k in known})
