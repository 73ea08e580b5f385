#!/bin/sh
# The Rasa server's entry point in the container image: Rasa's HTTP API (conversations, the
# model) is never served without a token, and browsers may call it only from CORS_ORIGINS.
set -eu
token="${RASA_API_TOKEN:-${RASA_TOKEN:-}}"
if [ -z "$token" ]; then
    echo "RASA_API_TOKEN is not set: refusing to start Rasa with its HTTP API unguarded" >&2
    exit 64
fi
case " $* " in
    *" --auth-token"*) ;;
    *) set -- "$@" "--auth-token=$token" ;;
esac
if [ -n "${CORS_ORIGINS:-}" ]; then
    # shellcheck disable=SC2086  # one origin per word
    set -- "$@" --cors $CORS_ORIGINS
fi
exec rasa "$@"
