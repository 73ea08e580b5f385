"""Components that run inside the Rasa server's NLU pipeline (the action server never imports them)."""
