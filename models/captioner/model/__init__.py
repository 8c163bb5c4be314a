"""The captioner network and the Hugging Face-semantics decoding reference."""

from .captioner import Captioner, load_captioner
from .generation import GenerationConfig, Hypothesis, beam_search, greedy

__all__ = ["Captioner", "GenerationConfig", "Hypothesis", "beam_search", "greedy", "load_captioner"]
