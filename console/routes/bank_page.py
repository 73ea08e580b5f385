"""The demo bank page at /, the widget's files, the page's settings and demo login tokens."""

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from console.bank_page import BANK_PAGE, WIDGET_FILES, demo_customer_id, demo_mode, socket_urls
from overdue.bank_login import mint_token

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def bank_page():
    return FileResponse(BANK_PAGE)


@router.get("/widget/{name:path}")
async def widget_file(name: str):
    path = WIDGET_FILES.get(name)
    if path is None or not path.exists():
        raise HTTPException(status_code=404, detail="not found")
    return FileResponse(path)


@router.get("/bank-page-config.js")
def page_config() -> Response:
    settings = {"socketUrls": socket_urls(), "demoLogin": demo_mode()}
    body = f"window.BankPageSettings = {json.dumps(settings)};\n"
    return Response(
        body, media_type="application/javascript", headers={"Cache-Control": "no-store"}
    )


@router.get("/demo/bank-login-token")
def demo_login_token(customer: str = "") -> JSONResponse:
    if not demo_mode():
        raise HTTPException(status_code=404, detail="not found")
    customer_id = demo_customer_id(customer)
    if customer_id is None:
        raise HTTPException(status_code=404, detail="no such demo customer")
    return JSONResponse({"token": mint_token(customer_id)}, headers={"Cache-Control": "no-store"})
