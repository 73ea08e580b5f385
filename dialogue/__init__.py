"""Dialogue policies of the assistant, run inside the Rasa server."""

from dialogue.action_calls import install_from_environment

# Loaded with the model's policies, so every Rasa server validates action answers the fast way.
install_from_environment()
