"""Domain errors: a stable code for machines, a translated message for people.

Every refusal of the domain raises one of these; views, the API, the mail intake and the jobs turn them into
a page, a problem document or an answer. Messages are lazy so they render in the reader's language.
"""


class DomainError(Exception):
    """A refused action. `code` is stable (API clients rely on it); `message` is for people."""

    code = "invalid"
    status = 400

    def __init__(self, message, *, code: str | None = None, field: str | None = None, params=None):
        self.message = message
        self.params = params or {}
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class InvalidInput(DomainError):
    code = "invalid"
    status = 422


class NotFound(DomainError):
    """Also what a user gets for a ticket they may not see: it must not reveal that it exists."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The user may see the ticket but may not do this to it."""

    code = "forbidden"
    status = 403


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class Conflict(DomainError):
    """Someone else changed the ticket since the user read it."""

    code = "conflict"
    status = 409
