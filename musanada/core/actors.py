"""The SYSTEM actor: scheduled jobs and intakes act as it, explicitly, never as `None`."""


class _SystemActor:
    is_system = True
    is_authenticated = True
    is_active = True
    pk = None
    username = "system"

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "SYSTEM"


SYSTEM = _SystemActor()


def is_system(actor) -> bool:
    return actor is SYSTEM
