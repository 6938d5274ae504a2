"""One sub-package per platform, each with the same files (see platforms.base and
docs/platforms.md, "Adding a platform"). `adapter_for` is the registry delivery uses."""

from __future__ import annotations

from types import ModuleType


def adapter_for(platform: str) -> ModuleType | None:
    from tanggap.connectors.platforms.facebook import client as facebook
    from tanggap.connectors.platforms.instagram import client as instagram
    from tanggap.connectors.platforms.whatsapp import client as whatsapp
    from tanggap.connectors.platforms.x import client as x

    return {"facebook": facebook, "instagram": instagram, "whatsapp": whatsapp,
            "x": x}.get(platform)
