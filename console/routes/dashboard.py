"""The dashboard at /agent/dashboard, its figures as JSON, and the chart library's file
(console/dashboard.py counts the figures)."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from console.dashboard import ECHARTS, figures_for
from console.deps import CurrentAgent
from console.pages import render

router = APIRouter()


@router.get("/agent/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, agent: CurrentAgent):
    found = figures_for(agent)
    return render(request, "dashboard.html", agent, figures=found)


@router.get("/agent/api/dashboard")
def dashboard_api(agent: CurrentAgent):
    return figures_for(agent)


@router.get("/agent/vendor/echarts.min.js")
def echarts(agent: CurrentAgent):
    if not ECHARTS.exists():
        raise HTTPException(status_code=404, detail="ECharts is not installed: run bin/setup")
    return FileResponse(ECHARTS, media_type="text/javascript")
