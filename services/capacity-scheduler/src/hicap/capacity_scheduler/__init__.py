"""hicap.capacity_scheduler: provider deployments, reservations, capacity leases."""
