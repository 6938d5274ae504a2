"""The web server's start-up heap is kept out of the cyclic collector's full collections."""

import os
import subprocess
import sys


def test_importing_the_server_freezes_what_it_loaded():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tanggap.test_settings"}
    code = "import gc; import tanggap.asgi; print(gc.get_freeze_count())"
    frozen = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    # Django, the apps and their libraries: tens of thousands of tracked objects.
    assert int(frozen.stdout) > 20_000
