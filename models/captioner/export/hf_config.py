"""The Hugging Face config files of a bundle we export: `config.json` (VisionEncoderDecoder with a
ViT encoder and a GPT-2 decoder, plus our own architecture block) and `preprocessor_config.json`."""

from __future__ import annotations

from dataclasses import asdict

from ..model.generation import GenerationConfig
from ..model.gpt import GPTConfig
from ..model.vit import ViTConfig


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
        # what it can describe: the studio warns before captioning photos with it
        "caption_studio": {"architecture": "captioner-v1", "domain": "synthetic-scenes",
                           "encoder": asdict(enc), "decoder": asdict(dec)},
    }


def preprocessor_config(enc: ViTConfig) -> dict:
    return {
        "image_processor_type": "ViTImageProcessor",
        "do_resize": True, "size": {"height": enc.image_size, "width": enc.image_size}, "resample": 2,
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    }
