"""Entry point: `python -m hicap.provider_egress`."""

from hicap.provider_egress.app import main

main()
