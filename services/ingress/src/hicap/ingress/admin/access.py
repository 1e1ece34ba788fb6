"""Who may call the admin API of an org: a live owner or admin key of THAT org.

The caller's key is found in the request headers and authenticated against ingress's own
key projection. A key of another org is answered exactly as an org that does not exist
(404, the same message), so org ids do not leak; a key of the org without a managing role
(member, viewer, any app key) is refused with 403. Auth checks the same again when it
decides. Imports fastapi (the dependency) and ingress's key modules; never auth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from hicap.errors import NotFound, PermissionDenied
from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.ingress.keys import KeyRecord, KeyRing
from hicap.ingress.request_auth import presented_key

MANAGERS = frozenset({auth_pb2.ROLE_OWNER, auth_pb2.ROLE_ADMIN})

CallerCheck = Callable[[str, Request], Awaitable[cmd.Actor]]


def admin_actor(record: KeyRecord, org_id: str) -> cmd.Actor:
    """The actor auth is asked as, once `record` may manage `org_id`."""
    if record.org_id != org_id:
        raise NotFound(f"org {org_id} not found")
    if record.role not in MANAGERS or record.team_id or record.app_id:
        raise PermissionDenied("the admin API needs an owner or admin key of this org")
    return cmd.Actor(org_id=org_id, key_id=record.key_id)


def caller_check(keys: KeyRing) -> CallerCheck:
    """A FastAPI dependency: the path's org and the presented key -> the acting Actor."""

    async def admin_caller(org_id: str, request: Request) -> cmd.Actor:
        raw_key = presented_key(request.headers, request.scope.get("query_string", b""))
        return admin_actor(keys.authenticate(raw_key), org_id)

    return admin_caller
