"""The action server as we run it: rasa-sdk's app on loopback, answering only the Rasa server.

    python -m action_server --port 5055      # what Procfile, bin/run, launcher/ and deploy/ run

rasa-sdk listens on every interface and runs any action for anyone who can reach its port,
with whatever tracker they send (``verified: true`` and any ``customer_id`` included). Here
it listens on ``ACTION_SERVER_HOST`` (127.0.0.1 unless told otherwise), and every call but
``/health`` must carry ``ACTION_SERVER_TOKEN``: Rasa sends it as the ``token`` query parameter
(``token:`` under ``action_endpoint`` in endpoints.yml; rasa.utils.endpoints.EndpointConfig).
"""

import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from settings import current

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})  # probes; it says nothing but "ok"


class MissingToken(RuntimeError):
    """Raised at start-up: an action server without a secret would answer anyone."""


def presented_token(request: Request) -> str:
    """The secret the caller sent: Rasa's ``?token=``, or an ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.args.get("token", "") or ""


def require_token(app: Sanic, token: str) -> Sanic:
    """Refuses (401) every request but the health check that lacks ``token``."""
    expected = token.encode()

    @app.middleware("request")
    async def check_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        if not hmac.compare_digest(presented_token(request).encode(), expected):
            logger.warning(
                "refused an action-server call without the shared secret from %s", request.ip
            )
            return response.json({"error": "unauthorised"}, status=401)
        return None

    return app


def build_app(actions_package: str = "actions", token: str | None = None) -> Sanic:
    """rasa-sdk's app for ``actions_package``, behind the shared-secret check."""
    token = token if token is not None else current().action_server_token
    if not token:
        raise MissingToken(
            f"{TOKEN_VARIABLE} is not set: the action server refuses to start without it"
        )
    # No CORS: only the Rasa server calls it, never a browser.
    return require_token(create_app(actions_package, cors_origins=None), token)
