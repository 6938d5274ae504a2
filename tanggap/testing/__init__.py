"""Helpers for tests and benchmarks that drive a real `tanggap serve` process.

Nothing here is imported by the application; it must never be needed at run time.
"""
