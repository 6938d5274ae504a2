"""Run the `tanggap` command in a fresh process, as an operator would, with only the variables a
test gives it (none of the test run's own TANGGAP_*, DJANGO_*, SECRET_KEY, ...)."""

from __future__ import annotations

import os
import subprocess
import sys

_OURS = ("TANGGAP_", "DJANGO_")
_ALSO = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "DEBUG",
         "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_COOKIES"}


def clean_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS) and k not in _ALSO}
    env.update(variables)
    return env


def tanggap(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tanggap.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def python(code: str, *, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() with the real settings."""
    prelude = ("import os, django\nos.environ['DJANGO_SETTINGS_MODULE'] = 'tanggap.settings'\n"
               "django.setup()\n")
    return subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True,
                          text=True, timeout=120)
