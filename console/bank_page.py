"""The demo bank page's settings, its widget files, and (in demo mode only) its bank-login tokens.

``/bank-page-config.js`` tells the page which socket servers its web chat may use
(``WIDGET_SOCKET_URLS``, space-separated; the first is used), so no link can point the bank's
page at another server. ``BANK_LOGIN_DEMO=1`` (bin/run sets it; production never does) lets
the page's "已登录网银" switch ask for a short-lived login token for one demo customer; the
real bank's login server mints these in production (overdue/bank_login.py). The routes are
in console/routes/bank_page.py.
"""

from pathlib import Path

from sqlalchemy import select

from loandb.models import Customer
from loandb.session import session_scope
from settings import current

DEFAULT_SOCKET_URL = "http://localhost:5005"
WIDGET = Path(__file__).resolve().parent.parent / "widget"
BANK_PAGE = WIDGET / "index.html"
# The customer page and the widget's files: named one by one, so nothing else is served.
WIDGET_FILES = {
    "widget.js": WIDGET / "widget.js",
    "widget.css": WIDGET / "widget.css",
    "avatar.svg": WIDGET / "avatar.svg",
    "vendor/socket.io.min.js": WIDGET
    / "node_modules"
    / "socket.io-client"
    / "dist"
    / "socket.io.min.js",
}


def demo_mode() -> bool:
    return current().bank_login_demo


def socket_urls() -> list:
    return current().widget_socket_url_list or [DEFAULT_SOCKET_URL]


def demo_customer_id(name: str) -> int | None:
    """The id of the demo customer of that name; None for anyone else (real customers too)."""
    with session_scope() as session:
        found = (
            session.execute(
                select(Customer).where(Customer.name == name[:20], Customer.is_demo.is_(True))
            )
            .scalars()
            .first()
        )
        return found.id if found is not None else None
