import torch
from torch.nn import functional as F

from captioner.model import Captioner, GenerationConfig
from captioner.model.gpt import GPTConfig, GPTDecoder
from captioner.model.vit import PatchEmbedding, ViT, ViTConfig

torch.manual_seed(0)
ENC = ViTConfig(hidden_size=32, num_layers=2, num_heads=2)
DEC = GPTConfig(vocab_size=20, hidden_size=32, encoder_hidden_size=32, num_layers=2, num_heads=2)


def test_patch_embedding_is_one_projection_per_patch():
    pe = PatchEmbedding(ENC)
    x = torch.randn(2, 3, 96, 96)
    out = pe(x)
    assert out.shape == (2, 36, 32)
    # patch (row 1, col 2) is the conv of exactly that 16 x 16 window
    window = x[:, :, 16:32, 32:48]
    expected = (pe.proj.weight.flatten(1) @ window.flatten(1).T).T + pe.proj.bias
    # the conv and this matmul sum 768 float32 products in other orders: ~1e-6 on values ~1
    assert torch.allclose(out[:, 1 * 6 + 2], expected, atol=1e-5)


def test_forward_features_returns_class_token_then_patches():
    vit = ViT(ENC)
    assert vit.forward_features(torch.randn(3, 3, 96, 96)).shape == (3, 37, 32)


def test_loss_ignores_padding():
    dec = GPTDecoder(DEC)
    enc = torch.randn(2, 65, 32)
    ids = torch.tensor([[1, 5, 6, 7, 0, 0], [1, 8, 9, 10, 11, 12]])
    labels = torch.tensor([[5, 6, 7, 2, 0, 0], [8, 9, 10, 11, 12, 2]])
    loss = dec.loss(ids, labels, enc, pad_id=0)
    logits, _, _ = dec(ids, enc)
    mask = labels != 0
    manual = F.cross_entropy(logits[mask], labels[mask])
    # allclose's defaults (rtol 1e-5): the same cross-entropy, reduced in another order
    assert torch.allclose(loss, manual)
    # what the padded positions' inputs are does not matter (causal: nothing real comes after them)
    ids2 = ids.clone()
    ids2[0, 4:] = torch.tensor([13, 14])
    assert torch.allclose(dec.loss(ids2, labels, enc, pad_id=0), loss)


def test_kv_cache_matches_full_forward():
    dec = GPTDecoder(DEC).eval()
    enc = torch.randn(2, 65, 32)
    ids = torch.randint(3, 20, (2, 7))
    full, _, full_cross = dec(ids, enc)
    past, steps, crosses = None, [], []
    for t in range(7):
        logits, past, cross = dec(ids[:, t : t + 1], enc, past)
        steps.append(logits)
        crosses.append(cross[-1])
    # cached and full attention sum the same float32 terms in other orders: ~1e-6 on logits ~1
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
    assert torch.allclose(torch.cat(crosses, 2), full_cross[-1], atol=1e-5)
    assert past[0][0].shape == (2, 2, 7, 16)


def test_cross_attention_weights_are_distributions_over_image_tokens():
    dec = GPTDecoder(DEC).eval()
    _, _, crosses = dec(torch.randint(3, 20, (2, 4)), torch.randn(2, 65, 32))
    assert len(crosses) == 2 and crosses[0].shape == (2, 2, 4, 65)
    # a float32 sum of 65 probabilities: ~65 x 6e-8 of rounding
    assert torch.allclose(crosses[0].sum(-1), torch.ones(2, 2, 4), atol=1e-5)


def _tiny_model():
    torch.manual_seed(3)
    return Captioner(ENC, DEC).eval()


def test_beam_search_n_best_sorted_and_scored():
    m = _tiny_model()
    gen = GenerationConfig(max_length=8, num_beams=4, num_return_sequences=4, length_penalty=1.5)
    nbest = m.beam_search(torch.randn(2, 3, 96, 96), gen)
    assert [len(n) for n in nbest] == [4, 4]
    for n in nbest:
        assert [h.score for h in n] == sorted((h.score for h in n), reverse=True)
        assert len({tuple(h.tokens) for h in n}) == 4
        for h in n:
            # score and sum come from float32 tensors (rounding ~1e-7 on values ~1-10); the sum
            # of per-token log-probs adds up to 8 such roundings, each on a larger running value
            assert abs(h.score - h.sum_logprobs / len(h.tokens) ** 1.5) < 1e-5
            assert abs(sum(h.token_logprobs) - h.sum_logprobs) < 1e-4


def test_no_repeat_ngram_blocks_repeats_in_the_reference():
    m = _tiny_model()
    px = torch.randn(4, 3, 96, 96)
    plain = m.greedy(px, GenerationConfig(max_length=12))
    assert any(len(set(h.tokens)) < len(h.tokens) for h in plain), "an untrained model repeats itself"
    for h in m.greedy(px, GenerationConfig(max_length=12, no_repeat_ngram_size=1)):
        assert len(set(h.tokens)) == len(h.tokens)
