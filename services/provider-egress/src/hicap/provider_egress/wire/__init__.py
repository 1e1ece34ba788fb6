"""Wire formats: one module set per provider adapter and per API surface, all pure.

`base` holds the interfaces; `registry` maps a provider kind to its adapter and a surface
to its codec. Nothing here does I/O or imports aiohttp, nats or fastapi.
"""
