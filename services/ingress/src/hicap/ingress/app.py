"""Composition root of ingress: the HTTP edge on uvicorn (uvloop, httptools)."""

from __future__ import annotations

from hicap.ingress.http import build_app
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import IngressSettings


async def setup(rt: Runtime[IngressSettings]) -> None:
    s = rt.settings
    await serve_http(rt, build_app(), host=s.ingress_host, port=s.ingress_port)


def main() -> None:
    run_service("ingress", IngressSettings, setup)
