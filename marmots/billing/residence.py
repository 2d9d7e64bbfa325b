"""Residents of the commune: a family is resident when a guardian's city is one of the
structure's `BillingSettings.resident_cities` (used by pricing and by the allocation of places).
Pure: no database access."""


def city_key(name):
    """A city name as compared: case, hyphens and extra spaces ignored."""
    return " ".join((name or "").replace("-", " ").split()).casefold()


def cities(text):
    """The set of city keys in a comma-separated list ("Mieussy, Taninges")."""
    return {city_key(c) for c in (text or "").split(",") if c.strip()}


def is_resident(guardian_cities, residents):
    """True when one of `guardian_cities` is among `residents` (a set from `cities`)."""
    return any(city_key(c) in residents for c in guardian_cities)
