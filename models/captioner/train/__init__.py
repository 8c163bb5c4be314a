"""Training, evaluation and the model card of the default bundle."""
