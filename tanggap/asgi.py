"""ASGI entry point: websockets through Channels (session-authenticated), signed webhooks, the
common inbound API call and a machine's claim through their fast paths
(tanggap/connectors/intake.py, tanggap/api/intake.py, tanggap/api/fastclaim.py), other HTTP
through Django's WSGI handler in a thread pool.

Why WSGI for HTTP: every view and middleware here is synchronous. Under Django's ASGI handler each
request pays for several sync/async hops and a fresh thread (ThreadSensitiveContext), which
profiling showed to be most of a request's cost; the WSGI handler in a2wsgi's pool runs the same
code directly, several requests at a time.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

get_asgi_application()  # django.setup() before the imports below touch models

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from tanggap.api import fastclaim  # noqa: E402
from tanggap.api import intake as inbound_intake  # noqa: E402
from tanggap.conf.handler import DeskWSGIHandler  # noqa: E402
from tanggap.conf.warmpool import WarmPool  # noqa: E402
from tanggap.connectors import intake  # noqa: E402
from tanggap.live.fanout import remember_server_loop  # noqa: E402
from tanggap.live.origin import SameOriginValidator  # noqa: E402
from tanggap.live.routing import websocket_urlpatterns  # noqa: E402

http_application = WSGIMiddleware(DeskWSGIHandler(), workers=8)
# The thread that finished last takes the next request, its SQLite connection's page cache the
# one still current (tanggap.conf.warmpool); a2wsgi hands each request to `executor` with
# run_in_executor (tanggap/conf/tests/test_warmpool.py checks that it still does).
http_application.executor = WarmPool(8, "wsgi")
webhook_intake = intake.WebhookIntake()


async def _django(scope, receive, send):
    # Looked up at each call, so that tests can stand in for it.
    await http_application(scope, receive, send)


fast_inbound = inbound_intake.InboundIntake(_django)
fast_claim = fastclaim.ClaimIntake(_django)


async def http(scope, receive, send):
    remember_server_loop()
    taken = intake.takes(scope)
    if taken is not None:
        await webhook_intake(taken, receive, send)
        return
    inbound = inbound_intake.takes(scope)
    if inbound is not None:
        await fast_inbound(scope, inbound, receive, send)
        return
    claim = fastclaim.takes(scope)
    if claim is not None:
        await fast_claim(scope, claim, receive, send)
        return
    await http_application(scope, receive, send)


async def websocket(scope, receive, send):
    remember_server_loop()
    await websocket_application(scope, receive, send)


websocket_application = SameOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)

application = ProtocolTypeRouter({"http": http, "websocket": websocket})

# What is alive now (Django, the apps, NumPy, scikit-learn: some 100,000 objects the cyclic
# collector tracks) lives as long as the process, and every full collection walked all of it:
# 23-31 ms at an idle moment on the development machine, inside whatever request triggered it
# (one in a few hundred inbox pages). Frozen, a full collection walks only what came after.
gc.freeze()
