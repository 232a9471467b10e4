"""Request authentication as Binance does it: API key, timestamp window and signature.

The signed payload ("totalParams") is the raw query string followed by the raw body, exactly as
received and without a separator, minus the `signature` parameter. HMAC-SHA256 signatures are hex
(compared case-insensitively); RSA (PKCS#1 v1.5, SHA-256) and Ed25519 signatures are base64, sent
URL-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache
from typing import TYPE_CHECKING

from . import errors as e
from .accounts import Account, Credential
from .backend import Backend
from .params import Params

if TYPE_CHECKING:  # cryptography is imported where an RSA or Ed25519 key is first met (~30 ms a process)
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

DEFAULT_RECV_WINDOW = 5000
_SHA256_BLOCK = 64
MAX_RECV_WINDOW = 60000


def identify(backend: Backend, api_key: str | None) -> tuple[Account, Credential]:
    """The account named by X-MBX-APIKEY (USER_STREAM needs only this)."""
    if not api_key:
        raise e.BAD_API_KEY_FMT.reject()  # missing or empty X-MBX-APIKEY
    hit = backend.lookup_key(api_key)
    if hit is None:
        raise e.REJECTED_MBX_KEY.reject()
    return hit


def strip_signature(raw: str) -> str:
    """The raw parameter string without its `signature=` field."""
    first = raw.find("signature=")
    if first < 0:
        return raw
    if first > 0 and raw[first - 1] == "&" and raw.find("&", first) < 0:  # the last field, as clients send it
        return raw[:first - 1]
    return "&".join(p for p in raw.split("&") if not p.startswith("signature="))


@lru_cache(maxsize=64)
def _public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("only RSA and Ed25519 public keys are supported")
    return key


def load_public_key(pem: str) -> None:
    """Validate a PEM public key (RSA or Ed25519) up front."""
    _public_key(pem)


@lru_cache(maxsize=256)
def _hmac_states(secret: str) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states that absorbed RFC 2104's inner and outer padded keys of `secret`: hashed once per
    secret, copied per request (hmac.new hashes both pads again every time)."""
    key = secret.encode()
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def _verify_asymmetric(pem: str | None, payload: str, signature: str) -> bool:
    """True when the base64 `signature` signs `payload` under the credential's RSA or Ed25519 key."""
    if pem is None:
        return False
    try:
        raw = base64.b64decode(signature.replace(" ", "+"), validate=True)
    except (binascii.Error, ValueError):
        return False
    key = _public_key(pem)  # imported cryptography
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(raw, payload.encode())
    except InvalidSignature:
        return False
    return True


def authenticate_signed(
    backend: Backend, api_key: str | None, params: Params, raw_query: str, raw_body: str, now_ms: int | None = None
) -> Account:
    """TRADE / USER_DATA, in Binance's order: the key (-2014/-2015), the timestamp window against `now_ms`
    (default the clock): -1102 timestamp missing, -1100 malformed, -1131 recvWindow too large, -1021
    outside the window or ahead; then the signature (-1102 missing, -1100 too long, -1022 not valid)."""
    hit = backend.lookup_key(api_key) if api_key else None
    acc, cred = hit if hit is not None else identify(backend, api_key)  # (identify: the key's rejection)
    values = params.values
    ts = params.req_integer("timestamp")
    recv_window = params.req_integer("recvWindow") if values.get("recvWindow") else DEFAULT_RECV_WINDOW
    if recv_window > MAX_RECV_WINDOW:
        raise e.BAD_RECV_WINDOW.reject()
    now = backend.clock.now_ms() if now_ms is None else now_ms
    if ts >= now + 1000:
        raise e.TIMESTAMP_AHEAD.reject()
    if now - ts > recv_window:
        raise e.TIMESTAMP_OUTSIDE_WINDOW.reject()
    signature = values.get("signature")
    if not signature:
        raise e.MANDATORY_PARAM.reject(name="signature")
    if len(signature) > 1024:
        raise e.ILLEGAL_CHARS.reject(name="signature", legal="^[A-Za-z0-9+/=]{1,1024}$")
    # As clients send it, the query's last field (then it is the only field named signature: a second
    # one is -1101, and the parsed value equals the raw one); else `strip_signature` finds it.
    payload, _, last = raw_query.rpartition("&signature=")
    if last != signature or raw_body:
        payload = strip_signature(raw_query) + strip_signature(raw_body)
    secret = cred.secret
    if secret is None:
        if not _verify_asymmetric(cred.public_key_pem, payload, signature):
            raise e.INVALID_SIGNATURE.reject()
        return acc
    # 64 hex digits, either case (fromhex refuses anything else, or makes it short)
    try:
        sent = bytes.fromhex(signature) if len(signature) == 64 else b""
    except ValueError:
        sent = b""
    # HMAC-SHA256 of the payload: the secret's padded keys come absorbed (`_hmac_states`); here all C calls
    inner, outer = _hmac_states(secret)
    state = inner.copy()
    state.update(payload.encode())
    mac = outer.copy()
    mac.update(state.digest())
    if not hmac.compare_digest(mac.digest(), sent):
        raise e.INVALID_SIGNATURE.reject()
    return acc
