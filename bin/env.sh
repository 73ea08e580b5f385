# Shared environment of the project's commands (sourced, not run).
export RASA_TELEMETRY_ENABLED=false
export LOAN_DB_URL="${LOAN_DB_URL:-sqlite:///$PWD/var/loans.db}"
export LOAN_POLICY_PATH="${LOAN_POLICY_PATH:-$PWD/policy.yml}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export PATH="$PWD/.venv/bin:$PATH"
