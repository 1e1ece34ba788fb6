"""Entry point: `python -m hicap.auth`."""

from hicap.auth.app import main

main()
