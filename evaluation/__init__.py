"""Measured NLU quality: this pipeline against Rasa's stock pipeline and a plain baseline."""
