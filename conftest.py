"""Root conftest: test runs get a secret key so they exercise production-like settings."""

import os

os.environ.setdefault(
    "ATTAIN_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789abcdef"
)
os.environ.setdefault("ATTAIN_SSL_REDIRECT", "0")
