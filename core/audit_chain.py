"""The keyed hash chain of the audit log: one canonical form of a row and its digest.

Each audit row stores ``digest = HMAC-SHA256(key, prev_digest || canonical(row))`` where
``prev_digest`` is the digest of the row before it (``GENESIS`` for the first) and
``canonical(row)`` is the JSON below. Changing, removing, inserting or reordering rows
breaks the chain for anyone who does not hold ``settings.AUDIT_HMAC_KEY``.

The canonical form is frozen: every stored digest depends on it, and the data migration
``core.0003`` chained the existing rows with it. A change (a new hashed field) needs a new
``version`` and a migration that chains the rows again. ``personal`` is deliberately not part
of it, so that personal data can be erased while the chain still verifies.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from django.conf import settings

GENESIS = "0" * 64
CANONICAL_VERSION = 1
# pg_advisory_xact_lock's key for "the end of the audit chain": the first 8 bytes of
# sha256("tacit.audit_chain") as a signed bigint, unlikely to clash with another lock.
CHAIN_LOCK_ID = int.from_bytes(
    hashlib.sha256(b"tacit.audit_chain").digest()[:8], "big", signed=True
)


class ChainedRow(Protocol):
    """The fields of an audit row that its digest covers (a model or a named tuple)."""

    sequence: int
    actor_pk: int | None
    action: str
    target_type: str
    target_id: str
    scope: str
    details: Mapping
    created_at: datetime


class UnhashableDetailsError(ValueError):
    """``details`` holds a value whose stored JSON would not read back the same."""


def audit_key() -> bytes:
    """The HMAC key of the chain, from the ``AUDIT_HMAC_KEY`` setting."""
    return settings.AUDIT_HMAC_KEY.encode()


def canonical_created_at(value: datetime) -> str:
    """The hashed form of ``created_at``: UTC ISO 8601 with microseconds."""
    if value.tzinfo is None:
        raise ValueError("An audit row's created_at must be an aware datetime.")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_details(details: Mapping) -> dict:
    """``details`` as the database will give it back, or ``UnhashableDetailsError``.

    A JSON round trip turns tuples into lists and keys into strings, as storing does. Floats
    are refused: jsonb keeps numbers as ``numeric``, so ``1e+20`` comes back as an integer
    and the digest would not match. Details hold ids, counts, states and dates as text.
    """
    try:
        text = json.dumps(details, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise UnhashableDetailsError(f"Audit details must be plain JSON: {error}") from None
    plain = json.loads(text)
    _refuse_floats(plain)
    return plain


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise UnhashableDetailsError(
            f"Audit details hold ids, counts and states; {value!r} is a float."
        )
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_floats(item)


def canonical_bytes(row: ChainedRow) -> bytes:
    """The row's hashed fields as compact, key-sorted UTF-8 JSON."""
    payload = {
        "v": CANONICAL_VERSION,
        "sequence": row.sequence,
        "actor": row.actor_pk,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "scope": row.scope,
        "details": row.details,
        "created_at": canonical_created_at(row.created_at),
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def chain_digest(row: ChainedRow, *, prev_digest: str, key: bytes) -> str:
    """HMAC-SHA256 of the previous digest followed by the row's canonical form, as hex."""
    message = prev_digest.encode() + canonical_bytes(row)
    return hmac.new(key, message, hashlib.sha256).hexdigest()
