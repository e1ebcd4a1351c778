"""Secrets out of text: the one redactor behind every answer, manifest, report, error and log.

A store URL (or any URL, DSN or message quoting one) keeps its shape, with each password
replaced by ``***``: the password of the user-info part (``scheme://user:secret@host``) and
the value of a password-like key (``?password=``, ``&pwd=``, ``password=`` in a libpq DSN).
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_USERINFO_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*):[^\s/?#@]*@")
_KEYED_SECRET = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|sslpassword|secret|token|access[_-]?key|secret[_-]?key)=)"
    r"(?:'[^']*'|\"[^\"]*\"|[^\s&#;,]*)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every password of a URL or DSN in it replaced by ``***``.

    >>> redact("postgresql+psycopg://tl:s3cret@db:5432/lineage")
    'postgresql+psycopg://tl:***@db:5432/lineage'
    >>> redact("postgresql://db/lineage?user=tl&password=x&sslmode=require")
    'postgresql://db/lineage?user=tl&password=***&sslmode=require'
    >>> redact("cannot open store host=db password='p w' dbname=x")
    'cannot open store host=db password=*** dbname=x'
    >>> redact("sqlite:///lineage.db")
    'sqlite:///lineage.db'
    """
    hidden = _USERINFO_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    return _KEYED_SECRET.sub(rf"\g<key>{MASK}", hidden)


class RedactingFilter(logging.Filter):
    """A log filter that redacts each record's message (arguments included) before it is
    written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_logs(*logger_names: str) -> None:
    """Put a :class:`RedactingFilter` on every handler of the root logger and of the named
    loggers (e.g. uvicorn's), once."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name or None).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
