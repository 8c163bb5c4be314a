"""Greedy and beam-search decoding with Hugging Face `generate` semantics, over any decoder step.

Decoding follows Hugging Face `generate` for encoder-decoder models (transformers >= 4.50, the
vectorised `_beam_search`):
  * the decoder starts from `decoder_start_token_id`; `max_length` counts that token;
  * per step: log-softmax of the last logits, then the processors in a fixed order
    (min length -> repetition penalty -> no-repeat n-gram -> forced BOS -> forced EOS), then the
    running beam score is added; greedy search applies the processors to the raw logits;
  * the top 2 * num_beams candidates go to the scorer; an EOS candidate ranked below num_beams
    is skipped; a finished hypothesis scores sum_logprobs / generated_len ** length_penalty, where
    generated_len counts every generated token including the EOS (not the start token);
  * initial beam scores are [0, -1e9, ...] so the beams of one image do not start identical;
  * an image is done once it has num_beams finished hypotheses and the best beam still *running*
    (EOS candidates excluded) cannot beat the worst of them: `_check_early_stop_heuristic`.
    transformers 4.38-4.48 (`BeamHypotheses.is_done`) bounded with the best of all 2 * num_beams
    candidates, EOS included, and searched on longer in some cases.

This is the reference the TypeScript engine is tested against, for our captioner
(`model/captioner.py`) and for the interface-faithful fixtures of public models
(`export/fixtures.py`): each supplies a `Step`, the loop is shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


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
    # the first generated token is this one (BART-style decoders such as Florence-2)
    forced_bos_token_id: int | None = None
    # the token at max_length - 1 is this one, so a sequence cut at the limit still ends properly
    forced_eos_token_id: int | None = None


@dataclass
class Hypothesis:
    tokens: list[int]  # generated tokens, EOS included when finished
    token_logprobs: list[float]  # raw: log_softmax of the logits, before the processors
    sum_logprobs: float  # sum of the chosen tokens' processed log-probs
    # as HF reports it: beams' sequences_scores (sum / generated_len ** length_penalty),
    # greedy's sum of processed log-probs (no length penalty)
    score: float


# One decoder step: the newest token of every row (N, 1), and for each row the row of the previous
# step it continues (on the first step: the index of its image) -> next-token logits (N, V).
# The step owns its KV cache and reorders it by those rows.
Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def process_scores(scores: torch.Tensor, seqs: torch.Tensor, gen: GenerationConfig) -> torch.Tensor:
    """Logits processors on (N, V) scores given the sequences so far (N, L), in their fixed order."""
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
    # HF's forced-token processors leave one token possible, with score 0
    for forced, at in ((gen.forced_bos_token_id, 1), (gen.forced_eos_token_id, gen.max_length - 1)):
        if forced is not None and seqs.size(1) == at:
            scores[:] = float("-inf")
            scores[:, forced] = 0.0
    return scores


@torch.no_grad()
def greedy(step: Step, batch: int, gen: GenerationConfig) -> list[Hypothesis]:
    B = batch
    seqs = torch.full((B, 1), gen.decoder_start_token_id, dtype=torch.long)
    rows = torch.arange(B)
    done = torch.zeros(B, dtype=torch.bool)
    logps: list[list[float]] = [[] for _ in range(B)]
    raw_lps: list[list[float]] = [[] for _ in range(B)]
    while seqs.size(1) < gen.max_length and not done.all():
        logits = step(seqs[:, -1:], rows)
        # HF greedy applies processors to the raw logits, then takes the arg-max
        scores = process_scores(logits, seqs, gen)
        nxt = scores.argmax(-1)
        lp = scores.log_softmax(-1).gather(1, nxt[:, None])[:, 0]
        raw = logits.log_softmax(-1).gather(1, nxt[:, None])[:, 0]
        nxt = torch.where(done, torch.full_like(nxt, gen.pad_token_id), nxt)
        for b in range(B):
            if not done[b]:
                logps[b].append(float(lp[b]))
                raw_lps[b].append(float(raw[b]))
        seqs = torch.cat([seqs, nxt[:, None]], dim=1)
        done |= nxt == gen.eos_token_id
    out = []
    for b in range(B):
        toks = seqs[b, 1:].tolist()[: len(logps[b])]
        s = sum(logps[b])
        out.append(Hypothesis(toks, raw_lps[b], s, s))
    return out


def _add(hyps: list[Hypothesis], h: Hypothesis, K: int) -> None:
    """Keep the K best finished hypotheses; a newcomer must beat the worst when full."""
    if len(hyps) < K or h.score > min(x.score for x in hyps):
        hyps.append(h)
        if len(hyps) > K:
            hyps.remove(min(hyps, key=lambda x: x.score))


def _best_running(top_scores: torch.Tensor, chosen: list[tuple[float, int, int]]) -> float:
    """The score the stopping bound starts from: the best beam that goes on (transformers >= 4.50)."""
    return chosen[0][0] if chosen else float("-inf")


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


@torch.no_grad()
def beam_search(step: Step, batch: int, gen: GenerationConfig) -> list[list[Hypothesis]]:
    """n-best lists per image, best first (see the module docstring)."""
    B, K = batch, gen.num_beams
    rows = torch.arange(B).repeat_interleave(K)  # every image's K beams start from the image
    seqs = torch.full((B * K, 1), gen.decoder_start_token_id, dtype=torch.long)
    beam_scores = torch.zeros(B, K)
    beam_scores[:, 1:] = -1e9
    beam_scores = beam_scores.view(-1)  # (B*K,)
    token_lps: list[list[float]] = [[] for _ in range(B * K)]
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    done = [False] * B
    while seqs.size(1) < gen.max_length:
        logits = step(seqs[:, -1:], rows)
        raw = logits.log_softmax(-1)
        logp = process_scores(raw, seqs, gen)  # (B*K, V)
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
                    lps = token_lps[row] + [float(raw[row, tok])]
                    _add(finished[b], Hypothesis(seqs[row, 1:].tolist() + [tok], lps, score,
                                                 score / gen_len**gen.length_penalty), K)
                else:
                    chosen.append((score, tok, row))
                if len(chosen) == K:
                    break
            new_beams += chosen
            done[b] = _is_done(finished[b], _best_running(top_scores[b], chosen), gen_len, gen)
        if all(done):
            break
        rows = torch.tensor([r for _, _, r in new_beams])
        toks = torch.tensor([t for _, t, _ in new_beams])
        token_lps = [token_lps[r] + [float(raw[r, t])] for _, t, r in new_beams]
        beam_scores = torch.tensor([s for s, _, _ in new_beams])
        seqs = torch.cat([seqs[rows], toks[:, None]], dim=1)
    for b in range(B):
        if done[b]:
            continue
        gen_len = seqs.size(1) - 1
        for k in range(K):
            row = b * K + k
            s = float(beam_scores[row])
            _add(finished[b], Hypothesis(seqs[row, 1:].tolist(), token_lps[row], s,
                                         s / gen_len**gen.length_penalty), K)
    return [sorted(f, key=lambda h: -h.score)[: gen.num_return_sequences] for f in finished]
