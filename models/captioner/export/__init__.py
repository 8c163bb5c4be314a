"""From a trained model to a Hugging Face-layout ONNX bundle, and the files the parity tests check."""
