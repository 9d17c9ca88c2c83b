"""Settings for the test suite: the real settings, in debug mode, with fast password hashing.

pytest-django imports settings before any conftest runs, so the environment defaults that the
tests rely on are set here.
"""

import os

os.environ.setdefault("ATTAIN_DEBUG", "1")

from config.settings import *  # noqa: F403

# Hashing with production strength costs ~0.3 s a login; tests create many.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Login throttling is off for the suite (Django's test Client.login() calls authenticate() without
# a request, which django-axes refuses); tests/web/test_password_reset_throttle.py turns it on.
AXES_ENABLED = False
