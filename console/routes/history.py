"""Every ticket, searchable: /agent/history, and the same list as CSV at /agent/history.csv
(console/history.py has the filters, the paging and the CSV's lines)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from console import history
from console.deps import CurrentAgent
from console.pages import render

router = APIRouter()


@router.get("/agent/history", response_class=HTMLResponse)
def history_page(request: Request, agent: CurrentAgent):
    return render(
        request, "history.html", agent, **history.page_context(dict(request.query_params))
    )


@router.get("/agent/history.csv")
def history_csv(request: Request, agent: CurrentAgent):
    found = history.exported_rows(dict(request.query_params), agent["id"])
    return StreamingResponse(
        history.csv_lines(iter(found)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{history.csv_name()}"'},
    )
