"""``python -m action_server [--host H] [--port P] [--actions actions]``.

See the package docstring.
"""

import argparse
import logging

from rasa_sdk.plugin import plugin_manager

from action_server import build_app
from settings import current


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the action server (shared secret required).")
    parser.add_argument("--host", default=current().action_server_host)
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args()
    logging.basicConfig(
        level=current().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    app = build_app(args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logging.getLogger(__name__).info(
        "action server on http://%s:%s (shared secret required)", args.host, args.port
    )
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
