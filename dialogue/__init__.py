"""Dialogue policies of the assistant, run inside the Rasa server."""
