"""The agent console: a web app where bank agents take over conversations."""
