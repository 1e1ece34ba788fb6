"""The admin API under `/v1/admin/orgs/{org_id}/...`: an org's owner or admin key reads and
manages its org's teams, apps and API keys, reads its usage (`/v1/admin/usage`, for the
key's own org; deleting usage takes the owner key) and manages its reservations of
throughput (`/v1/admin/reservations`, for the key's own org). Ingress checks the caller (a
key of another org is answered 404, exactly like an org that does not exist; a key without
a managing role 403) and then asks auth (or metering, or capacity-scheduler) over the bus;
the owner checks again and owns every change.
"""

from __future__ import annotations

from hicap.ingress.admin.routes import build_admin_router

__all__ = ["build_admin_router"]
