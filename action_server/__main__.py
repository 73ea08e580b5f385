"""``python -m action_server [--host H] [--port P] [--actions actions]``: see the package docstring."""
import argparse
import logging
import os

from rasa_sdk.plugin import plugin_manager

from action_server import HOST_VARIABLE, build_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the action server (shared secret required).")
    parser.add_argument("--host", default=os.environ.get(HOST_VARIABLE) or "127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = build_app(args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logging.getLogger(__name__).info("action server on http://%s:%s (shared secret required)", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
