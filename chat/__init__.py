"""What people can say to the bot: parse, check who may do it, apply it to the store, word the answer.

The callback layer calls `handle(userid, text, msgid=…, now=…, config=…)` and sends `ChatResult.notify`
through the outbox; `handle_message` returns only the answer text.
"""

from chat.handler import ChatResult, handle, handle_message

__all__ = ["ChatResult", "handle", "handle_message"]
