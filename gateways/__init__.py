"""Clients of the services the adapters share: Rasa's HTTP API and WeChat's API.

The console, the reminders and the WeChat channel each talk to these; one client each
here, so none of them reaches into another's internals. Depends on the core and the
settings only."""


class SendFailed(Exception):
    """A message did not reach the conversation or the customer; ``reason`` is what the
    reminder log records (``rasa_unavailable``, ``wechat_43004`` ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
