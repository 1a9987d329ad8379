"""ASGI entry point: HTTP through Django, websockets through Channels' router."""

from django.core.asgi import get_asgi_application

from vsm_site import use_default_settings

use_default_settings()
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from streams.auth import TokenOrSessionAuthMiddleware  # noqa: E402
from streams.routing import websocket_urlpatterns as board_routes  # noqa: E402
from vsm_site.bodies import BoundedBodies  # noqa: E402
from workitems.routing import websocket_urlpatterns as flow_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BoundedBodies(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            TokenOrSessionAuthMiddleware(URLRouter(board_routes + flow_routes))
        ),
    }
)
