"""Which job names exist, the function that runs each one, and which of them run on a schedule.

Pure Python with no database access, so that each app's `jobs.py` can import it while Django loads the apps.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

_handlers: dict[str, Callable[[dict], object]] = {}
_periodic: dict[str, "Periodic"] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta

    def slot(self, now: datetime) -> int:
        """The number of the time slot that `now` falls in: one run per slot, whoever schedules it."""
        return int(now.timestamp() // self.every.total_seconds())

    def key(self, now: datetime) -> str:
        return f"periodic:{self.name}:{self.slot(now)}"


def job(name: str, *, every: timedelta | None = None):
    """Register the decorated function as the handler of the job `name`; it receives the payload (a dict).

    With `every`, the job also runs periodically, once per slot of that length (the payload is then empty).
    Handlers run at least once and possibly more (a worker that dies mid-run is taken over after the
    lease), so they must be idempotent; those that act on tickets act as `musanada.core.actors.SYSTEM`.
    """
    if every is not None and every.total_seconds() < 1:
        raise ValueError("A periodic job needs an interval of at least one second.")

    def register(function):
        if name in _handlers and _handlers[name] is not function:
            raise ValueError(f"The job {name!r} is already registered.")
        _handlers[name] = function
        if every is not None:
            _periodic[name] = Periodic(name, every)
        return function

    return register


def handler(name: str) -> Callable[[dict], object]:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"No job handler is registered under {name!r}.") from None


def names() -> list[str]:
    return sorted(_handlers)


def periodic(name: str) -> Periodic:
    try:
        return _periodic[name]
    except KeyError:
        raise LookupError(f"No periodic job is registered under {name!r}.") from None


def periodic_jobs() -> list[Periodic]:
    return sorted(_periodic.values(), key=lambda periodic: periodic.name)
