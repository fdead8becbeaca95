"""Credentials never reach a person's screen: redaction of secrets inside URIs and messages.

A Neo4j URI may carry a user and password (``bolt://neo4j:s3cret@host:7687``); channelgraph
accepts it but prints only ``bolt://neo4j:***@host:7687``. A URI mistyped so that no scheme
parses (``bolt:/neo4j:s3cret@host``, ``neo4j:s3cret@host``) or so that the password holds a
``/`` or ``#`` is masked all the same: whatever follows the first ``:`` of the part before the
last ``@`` is the password. :func:`redact` is applied to every message that may quote a URI
(server failures, the last-resort error line).

>>> redact_uri("neo4j+s://neo4j:s3cret@db.example.com:7687")
'neo4j+s://neo4j:***@db.example.com:7687'
>>> redact_uri("bolt:/neo4j:s3cret@127.0.0.1:7687")
'bolt:/neo4j:***@127.0.0.1:7687'
>>> redact_uri("neo4j:s3cret@db.example.com")
'neo4j:***@db.example.com'
>>> redact_uri("bolt://neo4j:s3/cr#et@db.example.com")
'bolt://neo4j:***@db.example.com'
>>> redact("could not reach bolt://u:p%40ss@127.0.0.1:7687 (refused)")
'could not reach bolt://u:***@127.0.0.1:7687 (refused)'
>>> redact("no secret in bolt://127.0.0.1:7687 nor in bolt://neo4j@127.0.0.1:7687")
'no secret in bolt://127.0.0.1:7687 nor in bolt://neo4j@127.0.0.1:7687'
"""

from __future__ import annotations

import re

# the scheme a URI starts with, typed right (bolt://) or not (bolt:/), after any quote or bracket
_HEAD = re.compile(r"^(?:.*?://|[^A-Za-z0-9]*[A-Za-z][A-Za-z0-9+.\-]*:/(?!/))")
# a word holding an '@': the only place a user:password@ can be in a message
_WORD_WITH_AT = re.compile(r"\S*@\S*")


def redact_uri(uri: str) -> str:
    """*uri* with the password of its user-info part replaced by ``***``.

    The user-info is everything before the last ``@`` after the scheme (``scheme://`` or a
    mistyped ``scheme:/``); its password, everything after its first ``:``. A URI too
    broken to parse is masked as well: nothing after that ``:`` is ever kept.
    """
    userinfo, at, host = uri.rpartition("@")
    if not at:
        return uri
    m = _HEAD.match(userinfo)
    head = m.group(0) if m else ""
    user, colon, _ = userinfo[len(head) :].partition(":")
    return f"{head}{user}:***@{host}" if colon else uri


def redact(text: str, *secrets: str | None) -> str:
    """*text* with URI passwords and each of the given *secrets* (non-empty) replaced by ``***``."""
    out = text
    for s in secrets:
        if s:
            out = out.replace(s, "***")
    return _WORD_WITH_AT.sub(lambda m: redact_uri(m.group(0)), out)
