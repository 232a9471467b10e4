"""Independent verification of Binance signatures over the query string as received."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa


def split_signature(query: str) -> tuple[bytes, str]:
    payload, _, signature = query.rpartition("&signature=")
    return payload.encode(), signature


def hmac_valid(query: str, secret: str) -> bool:
    payload, signature = split_signature(query)
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def rsa_valid(query: str, public_key: rsa.RSAPublicKey) -> bool:
    payload, signature = split_signature(query)
    try:
        public_key.verify(base64.b64decode(unquote(signature)), payload, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


def ed25519_valid(query: str, public_key: ed25519.Ed25519PublicKey) -> bool:
    payload, signature = split_signature(query)
    try:
        public_key.verify(base64.b64decode(unquote(signature)), payload)
    except Exception:
        return False
    return True
