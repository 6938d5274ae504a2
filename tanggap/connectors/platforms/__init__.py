"""One sub-package per platform, each with the same files (platforms.base), an adapter object
per platform in platforms.registry, its capabilities in platforms.capabilities;
docs/platforms.md, "Adding a platform"."""
