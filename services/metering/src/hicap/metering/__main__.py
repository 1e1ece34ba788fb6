"""Entry point: `python -m hicap.metering`."""

from hicap.metering.app import main

main()
