"""Capacity-scheduler's one projection of the CAPACITY stream: the catalogue and the
reservations together (`CapacityState`), folded by `evolve_capacity`, which applies both
libs/catalog folds (`hicap.catalog.evolve`, `evolve_reservations`) to each event.

Pure: no I/O, no clock, no validation. Deciding against one state that holds both halves
is what keeps "never more reserved TPM promised than bought" true: a deployment's TPM and
what is allocated on it are read at the same stream position. Imports hicap.catalog only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.message import Message

from hicap.catalog import Catalog, Reservations, evolve, evolve_reservations
from hicap.events import Event

__all__ = ["CapacityState", "evolve_capacity"]


@dataclass(frozen=True, slots=True)
class CapacityState:
    catalog: Catalog
    reservations: Reservations = field(default_factory=Reservations)


def evolve_capacity(state: CapacityState, event: Event[Message]) -> CapacityState:
    catalog = evolve(state.catalog, event)
    reservations = evolve_reservations(state.reservations, event)
    if catalog is state.catalog and reservations is state.reservations:
        return state
    return CapacityState(catalog, reservations)
