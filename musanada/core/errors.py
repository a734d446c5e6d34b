"""Domain errors: a stable code for machines, a translated message for people.

Every refusal of the domain raises one of these; views, the API, the mail intake and the jobs turn them into
a page, a problem document or an answer. Messages are lazy so they render in the reader's language.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every stable code a refusal carries: API clients and the mail intake match on these, never on text."""

    ALREADY_ASSIGNED = "already_assigned"
    ALREADY_LINKED = "already_linked"
    ALREADY_RATED = "already_rated"
    CONFLICT = "conflict"
    CSRF_FAILED = "csrf_failed"
    DUPLICATE_MAILBOX = "duplicate_mailbox"
    DUPLICATE_VIEW = "duplicate_view"
    EMPTY_BODY = "empty_body"
    EMPTY_FILE = "empty_file"
    EMPTY_PASSWORD = "empty_password"
    FILE_DISGUISED = "file_disguised"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE_REFUSED = "file_type_refused"
    FOLLOWS_INCIDENT = "follows_incident"
    FORBIDDEN = "forbidden"
    HTTP_ERROR = "http_error"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ILLEGAL_TRANSITION = "illegal_transition"
    INACTIVE_USER = "inactive_user"
    INVALID = "invalid"
    INVALID_ASSIGNEE = "invalid_assignee"
    INVALID_CATEGORY = "invalid_category"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_COUNT = "invalid_count"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_DATE = "invalid_date"
    INVALID_DESK = "invalid_desk"
    INVALID_FOLDER = "invalid_folder"
    INVALID_INCIDENT = "invalid_incident"
    INVALID_KIND = "invalid_kind"
    INVALID_PRIORITY = "invalid_priority"
    INVALID_RATING = "invalid_rating"
    INVALID_SCHEME = "invalid_scheme"
    INVALID_TICKET = "invalid_ticket"
    INVALID_TOKEN = "invalid_token"
    INVALID_UNIT = "invalid_unit"
    INVALID_URL = "invalid_url"
    MAILBOX_REMOVED = "mailbox_removed"
    MALFORMED_REQUEST = "malformed_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_A_DESK = "not_a_desk"
    NOT_A_MEMBER = "not_a_member"
    NOT_SAME_REQUESTER = "not_same_requester"
    NOT_FOUND = "not_found"
    NOT_UNDER_DESK = "not_under_desk"
    NO_GENERATED_STAFF = "no_generated_staff"
    NO_ORG_TREE = "no_org_tree"
    NO_PROVINCE = "no_province"
    NO_REFERRER = "no_referrer"
    PASSWORD_IN_URL = "password_in_url"
    RATE_LIMITED = "rate_limited"
    REFERRER_UNSTAFFED = "referrer_unstaffed"
    REOPEN_DELAY_PASSED = "reopen_delay_passed"
    REQUIRED = "required"
    STAFF_WITHOUT_SCHOOLS = "staff_without_schools"
    TOO_LONG = "too_long"
    TOO_MANY_FILES = "too_many_files"
    TOO_MANY_TICKETS = "too_many_tickets"
    TOO_MANY_TOKENS = "too_many_tokens"
    TOO_MANY_VIEWS = "too_many_views"
    OWN_DESK_RATING = "own_desk_rating"
    TOO_MANY_SCHOOLS = "too_many_schools"
    TOP_LEVEL = "top_level"
    UNAUTHENTICATED = "unauthenticated"
    UNIT_OUT_OF_REACH = "unit_out_of_reach"
    UNKNOWN_ACADEMY = "unknown_academy"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_DESK = "unknown_desk"
    UNKNOWN_TICKET = "unknown_ticket"


class DomainError(Exception):
    """A refused action. `code` is stable (API clients rely on it); `message` is for people."""

    code: str = ErrorCode.INVALID
    status = 400

    def __init__(self, message, *, code: ErrorCode | None = None, field: str | None = None, params=None):
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
    code: str = ErrorCode.INVALID
    status = 422


class NotFound(DomainError):
    """Also what a user gets for a ticket they may not see: it must not reveal that it exists."""

    code = ErrorCode.NOT_FOUND
    status = 404


class Forbidden(DomainError):
    """The user may see the ticket but may not do this to it."""

    code = ErrorCode.FORBIDDEN
    status = 403


class IllegalTransition(DomainError):
    code = ErrorCode.ILLEGAL_TRANSITION
    status = 409


class Conflict(DomainError):
    """Someone else changed the ticket since the user read it."""

    code = ErrorCode.CONFLICT
    status = 409
