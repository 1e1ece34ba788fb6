"""Entry point: `python -m hicap.provider_sim`."""

from hicap.provider_sim.app import main

main()
