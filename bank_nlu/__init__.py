"""Components that run inside the Rasa server's NLU pipeline.

The action server never imports them.
"""
