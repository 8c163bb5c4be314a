"""Train the default captioner on procedurally generated scenes, on CPU.

    /usr/bin/python3 -m captioner.train --data data --out runs/default

Deterministic given --seed; writes `ckpt.pt` (model, optimiser, step, RNG state) after every epoch
and resumes from it when present. Logs train/validation loss and greedy + beam samples.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import asdict
from pathlib import Path

import torch

from ..model.captioner import Captioner
from ..model.generation import GenerationConfig
from ..data.coco import CocoCaptions
from ..model.gpt import GPTConfig
from ..data.scenes import write_split
from ..data.tokenizer import WordTokenizer
from ..model.vit import ViTConfig


def ensure_split(data: Path, split: str, count: int) -> Path:
    path = data / f"captions_{split}.json"
    if path.exists() and len(json.loads(path.read_text())["images"]) == count:
        return path
    return write_split(data, split, count)


@torch.no_grad()
def evaluate_loss(model: Captioner, ds: CocoCaptions, tok: WordTokenizer, max_len: int, bs: int = 256) -> float:
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(ds), bs):
        idx = list(range(i, min(i + bs, len(ds))))
        px, inp, lab = ds.batch(idx, tok, None, max_len)
        total += float(model.loss(px, inp, lab, tok.pad_id)) * len(idx)
        n += len(idx)
    model.train()
    return total / n


@torch.no_grad()
def val_exact_match(model: Captioner, ds: CocoCaptions, tok: WordTokenizer, gen: GenerationConfig, n: int = 500) -> float:
    """Share of greedy captions equal to one of the image's references."""
    hits = 0
    for i in range(0, min(n, len(ds)), 100):
        idx = list(range(i, min(i + 100, n, len(ds))))
        px, _, _ = ds.batch(idx, tok, None, 32)
        hits += sum(tok.decode(h.tokens) in ds.references[j] for j, h in zip(idx, model.greedy(px, gen)))
    return hits / min(n, len(ds))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("data"))
    p.add_argument("--out", type=Path, default=Path("runs/default"))
    p.add_argument("--train-count", type=int, default=60_000)
    p.add_argument("--val-count", type=int, default=1_000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (after a checkpoint) past this")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    train = CocoCaptions(ensure_split(args.data, "train", args.train_count), ViTConfig.image_size)
    val = CocoCaptions(ensure_split(args.data, "val", args.val_count), ViTConfig.image_size)
    tok_path = args.out / "tokenizer.json"
    if tok_path.exists():
        tok = WordTokenizer.load(tok_path)
    else:
        tok = WordTokenizer.build([c for refs in train.references for c in refs])
        tok.save(tok_path)
    enc_cfg = ViTConfig()
    dec_cfg = GPTConfig(vocab_size=len(tok.vocab))
    gen = GenerationConfig(decoder_start_token_id=tok.bos_id, bos_token_id=tok.bos_id,
                           eos_token_id=tok.eos_id, pad_token_id=tok.pad_id)
    model = Captioner(enc_cfg, dec_cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))
    steps_per_epoch = len(train) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    warmup = min(500, total_steps // 10)

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to 5 %
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, total_steps - warmup)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))

    step, epoch, log = 0, 0, []
    ckpt_path = args.out / "ckpt.pt"
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, epoch, log = ck["step"], ck["epoch"], ck["log"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {ckpt_path} at epoch {epoch}, step {step}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.2f} M parameters, {len(tok.vocab)} tokens, {steps_per_epoch} steps/epoch")

    started = time.time()
    model.train()
    while epoch < args.epochs:
        rng = random.Random(args.seed * 1000 + epoch)  # epoch order and reference draws: resumable
        order = list(range(len(train)))
        rng.shuffle(order)
        t0, running = time.time(), 0.0
        for i in range(steps_per_epoch):
            idx = order[i * args.batch_size : (i + 1) * args.batch_size]
            px, inp, lab = train.batch(idx, tok, rng, dec_cfg.max_positions)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            loss = model.loss(px, inp, lab, tok.pad_id)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            running += float(loss)
            if (i + 1) % 100 == 0:
                rate = (i + 1) * args.batch_size / (time.time() - t0)
                print(f"epoch {epoch} step {step} loss {running / 100:.4f} lr {lr_at(step):.2e} {rate:.0f} img/s",
                      flush=True)
                running = 0.0
        epoch += 1
        val_loss = evaluate_loss(model, val, tok, dec_cfg.max_positions)
        model.eval()
        exact = val_exact_match(model, val, tok, gen)
        px, _, _ = val.batch(list(range(4)), tok, None, dec_cfg.max_positions)
        greedy = [tok.decode(h.tokens) for h in model.greedy(px, gen)]
        beam = [tok.decode(n[0].tokens) for n in model.beam_search(px, GenerationConfig(**{**asdict(gen), "num_beams": 3}))]
        model.train()
        log.append({"epoch": epoch, "step": step, "val_loss": val_loss, "val_exact_match": exact,
                    "minutes": (time.time() - started) / 60})
        print(f"== epoch {epoch}: val loss {val_loss:.4f}, greedy exact match {exact:.3f}")
        for ref, g, b in zip(val.references[:4], greedy, beam):
            print(f"   ref: {ref[0]}\n   greedy: {g}\n   beam-3: {b}")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "epoch": epoch,
                    "log": log, "torch_rng": torch.get_rng_state(),
                    "enc_cfg": asdict(enc_cfg), "dec_cfg": asdict(dec_cfg), "gen": asdict(gen)},
                   ckpt_path.with_suffix(".tmp"))
        ckpt_path.with_suffix(".tmp").replace(ckpt_path)
        if args.max_minutes and (time.time() - started) / 60 > args.max_minutes:
            print("time budget reached; run again to resume")
            break


if __name__ == "__main__":
    main()
