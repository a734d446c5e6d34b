"""Counting events per key in fixed windows, in the cache: how many sign-in failures, reset requests or bad
tokens one address or one account made lately.

The cache is Redis in production (`CACHE_URL`), shared by every process, so a limit holds across the
deployment; without Redis each process counts on its own (docs/operations.md, "Sign-in and accounts").
"""

from django.core.cache import cache
from django.utils import timezone


def _key(scope: str, ident: str | None, window: int) -> str:
    # Requests whose address cannot be read are counted together, under "None".
    slot = int(timezone.now().timestamp()) // window
    return f"musanada:throttle:{scope}:{ident}:{slot}"


def count(scope: str, ident: str | None, window: int) -> int:
    """How many events `ident` had in the current window of `window` seconds."""
    return cache.get(_key(scope, ident, window), 0)


def record(scope: str, ident: str | None, window: int) -> int:
    """Count one more event for `ident` in the current window; returns the count with it."""
    key = _key(scope, ident, window)
    # add() is atomic: the first event of a window creates the counter, with the window as its lifetime.
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        # Expired between add() and incr(): this event opens the next window.
        cache.add(key, 1, timeout=window)
        return 1


def exceeded(scope: str, ident: str | None, limit: int, window: int) -> bool:
    """Whether `ident` already had `limit` events in the current window."""
    return count(scope, ident, window) >= limit
