"""Settings for the test suite: the real settings, in debug mode, with fast password hashing.

pytest-django imports settings before any conftest runs, so the environment defaults that the
tests rely on are set here.
"""

import os

os.environ.setdefault("ATTAIN_DEBUG", "1")

from config.settings import *  # noqa: F403

# Hashing with production strength costs ~0.3 s a login; tests create many.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
