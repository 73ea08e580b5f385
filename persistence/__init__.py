"""Storage plugged into the Rasa server (the conversation tracker store)."""
