"""Entry point: `python -m hicap.spot_exchange`."""

from hicap.spot_exchange.app import main

main()
