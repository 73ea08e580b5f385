"""Customer channels served by the Rasa server (REST now; WeChat and web widget build on it)."""
