"""`gpurisk web`'s server: textual-serve with its tabs bounded, sized, guarded and stopped.

Why not textual-serve as it comes (1.1.x): a tab's size is whatever the page asks
(``/ws?width=9999&height=9999`` made 3 GB dashboards), tabs are unbounded, a tab whose
socket closed keeps its dashboard running (it is sent a "quit" it may never read), and
stopping the server waits on those dashboards forever. Here:

- each tab's screen is clamped to :data:`MAX_WIDTH` x :data:`MAX_HEIGHT` (at start and on
  every resize);
- at most ``max_tabs`` dashboards run; one more tab is told so on its screen and closed;
- a tab's dashboard runs in its own process group (no shell), and when its socket closes
  it is asked to quit, then SIGTERM, then SIGKILL: gone within :data:`TAB_STOP_S` seconds;
- with a page token (``--public``), every page needs it: ``/?token=...`` once (an HttpOnly
  cookie keeps it), or ``Authorization: Bearer ...``;
- SIGTERM/SIGINT stop every tab the same way, then the server.

Imported only by :func:`gpurisk.web.cmd_web` (textual-serve and aiohttp are heavy).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import shlex
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

MAX_WIDTH, MAX_HEIGHT = 500, 200
MIN_WIDTH, MIN_HEIGHT = 20, 5
DEFAULT_MAX_TABS = 8
TAB_STOP_S = 5.0  # a closed tab's dashboard is gone within this
QUIT_WAIT_S = 1.5  # ... first asked to quit, then SIGTERM, then (after TERM_WAIT_S) SIGKILL
TERM_WAIT_S = 1.5
MAX_MESSAGE = 64 * 1024  # a browser message: keys, a resize, a ping
COOKIE = "gpurisk_web_token"


def clamp_size(width: Any, height: Any) -> tuple[int, int]:
    """A screen size a tab may have: numbers within the bounds, else the default 80 x 24."""
    def num(v: Any, default: int, lo: int, hi: int) -> int:
        try:
            n = int(str(v)[:12])
        except (TypeError, ValueError):
            n = default
        return max(lo, min(hi, n))
    return num(width, 80, MIN_WIDTH, MAX_WIDTH), num(height, 24, MIN_HEIGHT, MAX_HEIGHT)


class Tab(AppService):
    """One browser tab's dashboard: exec'd without a shell, in its own process group."""

    def __init__(self, argv: list[str], say: Callable[[str], None], **kw: Any) -> None:
        super().__init__(shlex.join(argv), **kw)
        self.argv = argv
        self.say = say
        self._stopped: asyncio.Future[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        self._process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
            start_new_session=True)
        self._stdin = self._process.stdin
        return self._process

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(*clamp_size(width, height))

    async def run(self) -> None:
        await super().run()
        try:  # the dashboard ended (q, a crash) or its page went: close the page's socket too
            await self.remote_close()
        except Exception:
            pass

    async def stop(self) -> None:
        """Quit, SIGTERM, SIGKILL: the process group is gone within TAB_STOP_S. Idempotent."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def _stop(self) -> None:
        proc = self._process
        try:
            await asyncio.wait_for(self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id),
                                   0.3)
            await asyncio.wait_for(self.send_meta({"type": "quit"}), 0.3)
        except (TimeoutError, Exception):
            pass
        if proc is not None:
            for sig, wait in ((None, QUIT_WAIT_S), (signal.SIGTERM, TERM_WAIT_S), (signal.SIGKILL, 5.0)):
                if sig is not None:
                    try:
                        os.killpg(proc.pid, sig)
                    except (ProcessLookupError, PermissionError):
                        pass
                    if sig == signal.SIGKILL:
                        self.say(f"a tab's dashboard (pid {proc.pid}) did not stop; killed")
                try:
                    await asyncio.wait_for(proc.wait(), wait)
                    break
                except TimeoutError:
                    continue
            try:  # whatever it started in its group goes with it
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 1.0)
            except (TimeoutError, asyncio.CancelledError, Exception):
                pass
            self._task = None


def token_ok(request: web.Request, token: str) -> bool:
    scheme, _, cred = request.headers.get("Authorization", "").strip().partition(" ")
    for got in (request.query.get("token"), request.cookies.get(COOKIE),
                cred.strip() if scheme.lower() == "bearer" else None):
        if got and hmac.compare_digest(got.encode("utf-8", "replace"), token.encode()):
            return True
    return False


def make_tab_server(command: str, host: str, port: int, public_url: str, *, max_tabs: int = DEFAULT_MAX_TABS,
                    page_token: str | None = None, say: Callable[[str], None] = print,
                    on_startup: Any = None, on_shutdown: Any = None) -> Server:
    argv = shlex.split(command)

    class TabServer(Server):
        tabs: set[Tab]

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            self.tabs = set()
            if page_token:
                app.middlewares.append(self.need_token)
            app.on_shutdown.append(self.stop_tabs)
            return app

        @web.middleware
        async def need_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
            if request.path.startswith("/static/"):
                return await handler(request)
            if not token_ok(request, page_token or ""):
                return web.Response(status=401, text="401: this dashboard needs its token: open "
                                    "/?token=TOKEN once (the browser keeps it for this site)\n",
                                    headers={"WWW-Authenticate": 'Bearer realm="gpurisk web"'})
            resp = await handler(request)
            if request.query.get("token") and request.path == "/":
                resp.set_cookie(COOKIE, request.query["token"], httponly=True, samesite="Strict",
                                secure=public_url.startswith("https"))
            return resp

        async def on_startup(self, app: web.Application) -> None:
            if on_startup is not None:
                await on_startup(self, app)

        async def on_shutdown(self, app: web.Application) -> None:
            if on_shutdown is not None:
                await on_shutdown(self, app)

        async def stop_tabs(self, app: web.Application) -> None:
            if self.tabs:
                say(f"stopping {len(self.tabs)} tab(s)")
            await asyncio.gather(*(t.stop() for t in list(self.tabs)), return_exceptions=True)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
            width, height = clamp_size(request.query.get("width", "80"), request.query.get("height", "24"))
            await ws.prepare(request)
            if len(self.tabs) >= max_tabs:
                say(f"a tab was refused: {max_tabs} already open (--max-tabs)")
                await ws.send_bytes(f"\r\ngpurisk web: {max_tabs} tabs are open, the most this server runs "
                                    "(--max-tabs); close one and reload this page.\r\n".encode())
                await ws.close(code=1013, message=b"too many tabs")
                return ws
            tab = Tab(argv, say, write_bytes=ws.send_bytes, write_str=ws.send_str, close=ws.close,
                      download_manager=self.download_manager, debug=self.debug)
            self.tabs.add(tab)
            try:
                await tab.start(width, height)
                await self._process_messages(ws, tab)
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                say(f"a tab ended: {type(exc).__name__}: {exc}")
            finally:
                try:
                    await tab.stop()
                finally:
                    self.tabs.discard(tab)
                    if not ws.closed:
                        await ws.close()
            return ws

        async def _process_messages(self, ws: web.WebSocketResponse, tab: Any) -> None:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    kind, data = json.loads(message.data)[:2]
                except (ValueError, TypeError):
                    continue
                if kind == "stdin" and isinstance(data, str):
                    await tab.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    await tab.set_terminal_size(data.get("width"), data.get("height"))
                elif kind == "ping":
                    await ws.send_json(["pong", data])
                elif kind == "blur":
                    await tab.blur()
                elif kind == "focus":
                    await tab.focus()

        def serve(self, debug: bool = False) -> None:
            """Server.serve with a bounded shutdown (the tabs are stopped in on_shutdown)."""
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_exit)
            try:
                web.run_app(self._make_app(), host=host, port=port, handle_signals=False, loop=loop,
                            print=lambda *a: None, shutdown_timeout=TAB_STOP_S + 1)
            finally:
                if not loop.is_closed():
                    loop.close()

    return TabServer(command, host=host, port=port, title="gpurisk", public_url=public_url)
