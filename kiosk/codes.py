"""Random identifiers: the public badge code, the private attendee key, kiosk tokens.

The badge code is printed in the QR and identifies; it never authorises. The
private key (in /me/ links) and kiosk tokens authorise, so they are long and
separate from the code.
"""

import hashlib
import re
import secrets

# Crockford base32 without I, L, O, U: every character is in QR alphanumeric mode
# and none is mistaken for another when a person reads a badge aloud.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 13  # 13 x 5 = 65 random bits
_CODE_AT_END = re.compile(r"(?:^|/B/)([%s]{%d})/?$" % (CROCKFORD, CODE_LENGTH))


def new_badge_code():
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def new_private_key():
    return secrets.token_urlsafe(24)  # 192 bits


def new_kiosk_token():
    return secrets.token_urlsafe(32)


def token_hash(token):
    """Kiosk tokens are random and long, so a fast hash is enough (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()



def parse_badge_code(text):
    """The badge code in a typed code or a scanned badge URL (any case, any host);
    None when the text holds no well-formed code."""
    text = (text or "").strip().upper()
    match = _CODE_AT_END.search(text)
    return match.group(1) if match else None
