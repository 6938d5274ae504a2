"""Helpers for tests and benchmarks that drive a real `tanggap serve` process.

Nothing here is imported by the application; it must never be needed at run time.
"""

# The bound on a test's wait for something on its way (an event, a websocket message, a server
# coming up): long enough for a loaded machine, never a measure of speed. A wait ends as soon as
# its condition holds; only a hang runs into this.
WAIT_SECONDS = 60
