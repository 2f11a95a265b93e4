"""The app server: Streamlit's pages (main.py) plus the production API under /api/v1/.

`streamlit run app/server.py` finds `app` (an `st.App`) and serves both with uvicorn. Handlers
only translate HTTP: every rule is in `pilot.review.api` and `pilot.readiness.api`.
"""

from __future__ import annotations

import os

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import warmup
from pilot.core import web_sessions
from pilot.core.store import Store
from pilot.readiness.api import get_guard
from pilot.review.api import post_outputs


async def outputs(request: Request) -> JSONResponse:
    body = await request.body()
    store = Store(os.environ.get("PILOT_DB"))
    status, data = await run_in_threadpool(
        post_outputs, store, request.headers.get("authorization"), body
    )
    return JSONResponse(data, status_code=status)


async def guard(request: Request) -> JSONResponse:
    store = Store(os.environ.get("PILOT_DB"))
    params = request.query_params
    status, data = await run_in_threadpool(
        get_guard,
        store,
        request.headers.get("authorization"),
        params.get("action"),
        params.get("consequential"),
    )
    return JSONResponse(data, status_code=status)


async def session(request: Request) -> Response:
    """Trade the one-time ticket the app handed out at sign-in for the session cookie."""
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        return Response(status_code=403)  # only the app's own pages may open a session
    try:
        ticket = str((await request.json()).get("ticket", ""))
    except (ValueError, AttributeError):
        return Response(status_code=400)
    store = Store(os.environ.get("PILOT_DB"))
    value = await run_in_threadpool(web_sessions.redeem, store, ticket)
    if value is None:
        return Response(status_code=403)
    response = Response(status_code=204)
    secure = request.url.scheme == "https"
    response.headers["set-cookie"] = web_sessions.cookie_header(value, secure=secure)
    return response


warmup.start()  # import what the pages use now, not on each page's first visit

app = st.App(
    "main.py",
    routes=[
        Route("/api/v1/outputs", outputs, methods=["POST"]),
        Route("/api/v1/guard", guard, methods=["GET"]),
        Route("/auth/session", session, methods=["POST"]),
    ],
)
