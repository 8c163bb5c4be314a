"""Caption Studio's own captioner, and the tools around it.

    model/   the network (ViT encoder, GPT decoder with cross-attention) and the decoding reference
    data/    procedural training scenes, their COCO-style captions, the word tokenizer
    train/   the training loop (`python -m captioner.train`), evaluation and the model card
    export/  ONNX export in the Hugging Face layout (`python -m captioner.export`), parity goldens,
             and interface-faithful test bundles of public models
"""
