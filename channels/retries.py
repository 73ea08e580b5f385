"""A client's retry of a message is answered, not handled twice.

A REST client that lost the response (an instance killed mid-turn: nginx answers 502)
cannot know whether its message was stored. It sends it again with the same
``message_id``; if the conversation already holds that message, the replies it got are
read back from the store. The check runs under the conversation's lock, so a retry also
waits for a first delivery still being handled.
"""

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


def replies_to(
    tracker: DialogueStateTracker | None, message_id: str
) -> list[dict[str, Any]] | None:
    """The bot's messages after the customer message ``message_id``; None when not stored."""
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events if tracker else []:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            message = {"recipient_id": tracker.sender_id, "text": event.text, **(event.data or {})}
            replies.append({key: value for key, value in message.items() if value is not None})
    return replies


async def handle_once(agent: Any, message: UserMessage) -> None:
    """Rasa's ``Agent.handle_message``, except for a message the conversation already holds."""
    if not agent.is_ready():
        return
    async with agent.lock_store.lock(message.sender_id):
        earlier = replies_to(
            await agent.tracker_store.retrieve(message.sender_id), message.message_id
        )
        if earlier is None:
            await agent.processor.handle_message(message)
        elif isinstance(message.output_channel, CollectingOutputChannel):
            message.output_channel.messages.extend(earlier)
