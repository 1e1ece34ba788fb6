"""How an operator command reaches the platform's services: one bus connection for the
command's work (`on_bus`), and a command to a service over it (`ask`). Shared by `hicap
keys`, `hicap reservations` and `hicap deployments`. Imports hicap.bus only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from hicap.bus import Bus, commands, connect

__all__ = ["COMMAND_TIMEOUT_S", "CONNECT_TIMEOUT_S", "ask", "on_bus"]

CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 10.0  # an accepted command is appended and read back before it answers

T = TypeVar("T")
Rep = TypeVar("Rep", bound=Message)


async def on_bus(nats_url: str, client: str, work: Callable[[Bus], Awaitable[T]]) -> T:
    """Run `work` on a connection named `hicap-cli-<client>`, closed however it ends."""
    bus = await connect(nats_url, name=f"hicap-cli-{client}", timeout_s=CONNECT_TIMEOUT_S)
    try:
        return await work(bus)
    finally:
        await bus.close()


async def ask(bus: Bus, service: str, command: str, message: Message, reply_type: type[Rep]) -> Rep:
    """`command` of `service`, answered with `reply_type` or raised as its HicapError."""
    subject = commands.command_subject(service, command)
    return await commands.request(bus, subject, message, reply_type, timeout_s=COMMAND_TIMEOUT_S)
