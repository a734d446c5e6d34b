"""A fixed-window request counter per token (or per signed-in user), kept in Django's cache.

With the default local-memory cache each process counts on its own; production points CACHE_URL at Redis so
that every process shares the counters (docs/api.md).
"""

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int


def parse_rate(text: str) -> Rate:
    """Parse "120/minute" into Rate(120, 60); a malformed value is a configuration error, said loudly."""
    match = _RATE.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"MUSANADA_API_RATE must look like 120/minute (or /second, /hour, /day), not {text!r}."
        )
    return Rate(int(match.group(1)), _PERIODS[match.group(2)])


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(retry_after)


def hit(identity: str, *, now: float | None = None) -> None:
    """Count one request for `identity`; raise RateLimited once the window's allowance is spent."""
    rate = parse_rate(settings.MUSANADA_API_RATE)
    now = time.time() if now is None else now
    window = int(now // rate.period)
    key = f"musanada:api-rate:{identity}:{window}"
    # add() then incr() is atomic on Redis and within a process on locmem: no lost counts between workers.
    cache.add(key, 0, timeout=rate.period + 1)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this request opens a new window.
        cache.add(key, 1, timeout=rate.period + 1)
        count = 1
    if count > rate.limit:
        retry_after = max(1, int((window + 1) * rate.period - now + 0.999))
        raise RateLimited(retry_after)
