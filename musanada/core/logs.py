"""Logs that can be followed across processes: every line carries the id of the request it belongs to (or of
the job, which keeps the id of the request that queued it), and production writes them as JSON lines that a
log collector reads without parsing (docs/operations.md, "Logs").
"""

import contextvars
import json
import logging
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

# "-" outside any request or job (a command, the server's own lines).
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("musanada_request_id", default="-")

# What a request id from the proxy may look like (nginx's $request_id is 32 hex digits): anything else is
# replaced, so that a client cannot write what it wants into the logs.
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_request_id(offered: str | None = None) -> str:
    """The id of a request: the one the reverse proxy gave (X-Request-ID) when it looks like one, else new."""
    if offered and _VALID_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request or job this code runs for ("-" outside both)."""
    return _request_id.get()


@contextmanager
def request_id_bound(value: str):
    """Run the block as part of the request or job `value`: its log lines carry that id."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


def begin_request(value: str) -> None:
    """The request `value` begins in this thread: its lines carry that id until `end_request`. Not a block
    around the middleware chain, as Django logs a failed response's line (django.request) after it."""
    _request_id.set(value)


def end_request(**_signal) -> None:
    """The request is over (Django's request_finished): lines are no longer its."""
    _request_id.set("-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the formatters print it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# The attributes every LogRecord has: what is left are the `extra` fields a caller passed.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, the caller's
    `extra` fields, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
