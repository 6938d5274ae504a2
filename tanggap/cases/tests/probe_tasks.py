"""A task used only by the worker tests: it appends one line per execution to a file, so a test
can count how often each job really ran."""

import os

from django.tasks import task


@task()
def record_run(path: str, job: int) -> None:
    # O_APPEND writes of one short line are atomic, so concurrent workers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{job}\n".encode())
    finally:
        os.close(fd)
