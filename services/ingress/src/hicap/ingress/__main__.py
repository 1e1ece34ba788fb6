"""Entry point: `python -m hicap.ingress`."""

from hicap.ingress.app import main

main()
