"""Bookings: list, create, cancel, availability, weekly template preview and apply."""

from ninja import Router

router = Router(tags=["Réservations"])
