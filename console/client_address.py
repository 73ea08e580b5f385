"""The address a login came from. Behind a reverse proxy every request comes from the proxy:
only when it is one of ``CONSOLE_TRUSTED_PROXIES`` is its ``X-Forwarded-For`` believed (the
right-most address no trusted proxy added); anyone else could write any address there."""

from starlette.requests import Request

from settings import current


def trusted_proxies(setting: str | None = None) -> frozenset[str]:
    value = setting if setting is not None else current().console_trusted_proxies
    return frozenset(value.replace(",", " ").split())


def client_address(request: Request, proxies: frozenset[str]) -> str:
    peer = request.client.host if request.client else "-"
    if peer not in proxies:
        return peer
    forwarded = [
        part.strip()
        for part in request.headers.get("x-forwarded-for", "").split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if address not in proxies:
            return address
    return peer
