"""hicap.metering: usage rows in ClickHouse (chDB embedded by default), aggregates, billing."""
