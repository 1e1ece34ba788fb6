"""hicap.cli: the `hicap` command (up, status, events tail, ...). Imports libs, never a
service: services are started as processes (`python -m hicap.<name>`)."""
