# Shared environment of the project's commands (sourced, not run).
export RASA_TELEMETRY_ENABLED=false
export LOAN_DB_URL="${LOAN_DB_URL:-sqlite:///$PWD/var/loans.db}"
export LOAN_POLICY_PATH="${LOAN_POLICY_PATH:-$PWD/policy.yml}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export PATH="$PWD/.venv/bin:$PATH"
# The WeChat channel reads these through credentials.yml; empty means not configured.
for name in WECHAT_TOKEN WECHAT_APP_ID WECHAT_APP_SECRET WECHAT_ENCODING_AES_KEY WECHAT_API_BASE_URL WECHAT_REDIS_URL; do
    export "$name=${!name:-}"
done
export WECHAT_REPLY_TIMEOUT="${WECHAT_REPLY_TIMEOUT:-4}"
# Rasa's HTTP API (tracker events, /model/parse) takes this token; the console uses it too.
# Without one, anyone who reaches port 5005 could write into conversations.
export RASA_API_TOKEN="${RASA_API_TOKEN:-$(python3 -c 'import secrets; print(secrets.token_hex(24))')}"
# The Rasa server sends this to the action server, which refuses any call without it.
export ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$(python3 -c 'import secrets; print(secrets.token_hex(24))')}"
# Sign web chat session ids and the bank page's login tokens (channels/web_sessions.py, bank_login.py).
export WEBCHAT_SESSION_SECRET="${WEBCHAT_SESSION_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
export BANK_LOGIN_TOKEN_SECRET="${BANK_LOGIN_TOKEN_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# Pages allowed to call Rasa from a browser (the web chat): space-separated origins.
export CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:8080 http://127.0.0.1:8080}"
