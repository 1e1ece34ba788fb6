"""Entry point: `python -m hicap.capacity_scheduler`."""

from hicap.capacity_scheduler.app import main

main()
