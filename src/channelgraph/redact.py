"""Credentials never reach a person's screen: redaction of secrets inside URIs and messages.

A Neo4j URI may carry a user and password (``bolt://neo4j:s3cret@host:7687``); channelgraph
accepts it but prints only ``bolt://neo4j:***@host:7687``. :func:`redact` is applied to every
message that may quote a URI (server failures, the last-resort error line).

>>> redact_uri("neo4j+s://neo4j:s3cret@db.example.com:7687")
'neo4j+s://neo4j:***@db.example.com:7687'
>>> redact("could not reach bolt://u:p%40ss@127.0.0.1:7687 (refused)")
'could not reach bolt://u:***@127.0.0.1:7687 (refused)'
>>> redact("no secret in bolt://127.0.0.1:7687")
'no secret in bolt://127.0.0.1:7687'
"""

from __future__ import annotations

import re

# scheme://user:password@   (the password is anything up to the last '@' before the host part)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s:/@]*):(?P<secret>[^\s/]*)@")


def redact_uri(uri: str) -> str:
    """*uri* with the password of its user-info part replaced by ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri)


def redact(text: str, *secrets: str | None) -> str:
    """*text* with URI passwords and each of the given *secrets* (non-empty) replaced by ``***``."""
    out = redact_uri(text)
    for s in secrets:
        if s:
            out = out.replace(s, "***")
    return out
