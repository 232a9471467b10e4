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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from .accounts import Account, Credential
from .backend import Backend
from .errors import BinanceError, illegal_chars, mandatory
from .params import Params

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def _bad_key_format() -> BinanceError:
    """-2014 BAD_API_KEY_FMT (missing or empty X-MBX-APIKEY)."""
    return BinanceError(-2014, "API-key format invalid.", 401)


def _rejected_key() -> BinanceError:
    """-2015 REJECTED_MBX_KEY."""
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def _bad_signature() -> BinanceError:
    """-1022 INVALID_SIGNATURE."""
    return BinanceError(-1022, "Signature for this request is not valid.")


def identify(backend: Backend, api_key: str | None) -> tuple[Account, Credential]:
    """The account named by X-MBX-APIKEY (USER_STREAM needs only this)."""
    if not api_key:
        raise _bad_key_format()
    hit = backend.lookup_key(api_key)
    if hit is None:
        raise _rejected_key()
    return hit


def strip_signature(raw: str) -> str:
    """The raw parameter string without its `signature=` field."""
    if "signature=" not in raw:
        return raw
    return "&".join(p for p in raw.split("&") if not p.startswith("signature="))


def check_timestamp(params: Params, now_ms: int) -> None:
    """-1102 missing timestamp, -1131 recvWindow too large, -1021 outside the window or ahead."""
    ts = params.integer("timestamp", required=True)
    assert ts is not None
    rw = params.integer("recvWindow")
    recv_window = DEFAULT_RECV_WINDOW if rw is None else rw
    if recv_window > MAX_RECV_WINDOW:
        # -1131 BAD_RECV_WINDOW
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    if ts >= now_ms + 1000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - ts > recv_window:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


@lru_cache(maxsize=64)
def _public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("only RSA and Ed25519 public keys are supported")
    return key


def load_public_key(pem: str) -> None:
    """Validate a PEM public key (RSA or Ed25519) up front."""
    _public_key(pem)


def verify_signature(cred: Credential, payload: str, signature: str) -> bool:
    """True when `signature` signs `payload` under the credential."""
    if cred.secret is not None:
        expected = hmac.new(cred.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.lower().encode())  # bytes: any text compares
    if cred.public_key_pem is None:
        return False
    try:
        raw = base64.b64decode(signature.replace(" ", "+"), validate=True)
    except (binascii.Error, ValueError):
        return False
    key = _public_key(cred.public_key_pem)
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
    """TRADE / USER_DATA: key, timestamp window (against `now_ms`, default the clock), then signature."""
    acc, cred = identify(backend, api_key)
    check_timestamp(params, backend.clock.now_ms() if now_ms is None else now_ms)
    signature = params.get("signature")
    if signature is None:
        raise mandatory("signature")
    if len(signature) > 1024:
        raise illegal_chars("signature", "^[A-Za-z0-9+/=]{1,1024}$")
    payload = strip_signature(raw_query) + strip_signature(raw_body)
    if not verify_signature(cred, payload, signature):
        raise _bad_signature()
    return acc
