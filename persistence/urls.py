"""Where conversations are stored; read by the tracker store and by the console's dashboard."""
import os
from pathlib import Path

DEFAULT_SQLITE_PATH = Path(__file__).resolve().parent.parent / "var" / "tracker.db"


def tracker_db_url() -> str:
    return os.environ.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
