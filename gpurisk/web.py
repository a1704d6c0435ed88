"""`gpurisk web`: the dashboard in a browser, through textual-serve.

textual-serve runs one copy of a command per browser tab and relays its screen over a
websocket. Here that command is ``gpurisk --connect URL``: every tab is a client of one
collector (``gpurisk serve``), so ten open tabs still send each source one set of
requests. Without ``--connect`` we start that collector ourselves, as a child process on
a free loopback port (same ``--config``/``--live``/``--no-history``), wait for its
``/healthz``, and stop it when the web server stops.

Security: textual-serve has no login, so anyone who reaches the port drives a dashboard
(read-only data, but acknowledging alerts is a key away). Binding to anything but
loopback is refused unless ``--public`` says the operator means it, and ``--public``
needs a token (``--token-env NAME``): every page then asks for it (web_tabs.py). The
collector we start listens on loopback only and always wants a token: the operator's,
or one made up for this run. A token reaches the children through the environment only;
command lines (visible to every user in ``ps``) carry the variable's name, never its value.
Tabs are bounded (``--max-tabs``), their screens clamped, and each tab's dashboard ends
with its socket (web_tabs.py).

Kept light at import: textual-serve (aiohttp, jinja2) is imported only in :func:`cmd_web`.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from engine.errors import GpuriskError
from feeds.textsafe import safe

DEFAULT_PORT = 8000
COLLECTOR_START_S = 60.0  # the collector's first answer on /healthz (about 2 s; more on a loaded machine)
COLLECTOR_STOP_S = 10.0  # SIGTERM, then this long to flush history, then SIGKILL
OWN_TOKEN_ENV = "GPURISK_WEB_COLLECTOR_TOKEN"  # our collector's token when the operator gave none


class WebError(GpuriskError):
    """A usage problem (exit 2) or a collector that would not start (exit 1)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def say(message: object) -> None:
    print(f"gpurisk web: {safe(message)}", file=sys.stderr, flush=True)


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 and ::1 are loopback; names that resolve elsewhere are not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel's choice; a small race until it is bound)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def check_bindable(host: str, port: int) -> None:
    """Raise OSError now if the port is taken, before a collector is started for nothing."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds it
        s.bind(addr)


def public_url(host: str, port: int) -> str:
    """The address the page's websocket dials: a wildcard bind is reached by this machine's name."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn() or "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def python_command() -> list[str]:
    """This very gpurisk, whatever the PATH of the child shell says."""
    return [sys.executable, "-m", "gpurisk"]


def _path(path: str) -> str:
    """A file named on this command line, for a child that may start elsewhere: ``~`` expanded
    (as ``load_config`` does), made absolute."""
    return os.path.abspath(os.path.expanduser(path))


def tab_command(connect: str, token_env: str | None, config: str | None = None) -> str:
    """The shell command textual-serve runs per tab (it uses a shell: every part quoted).
    ``config``: the file ``web`` was given, so that a tab lays its panels out by its
    ``[layout]`` as the terminal dashboard does."""
    argv = python_command()
    if config:
        argv += ["--config", _path(config)]
    argv += ["--connect", connect]
    if token_env:
        argv += ["--token-env", token_env]
    return shlex.join(argv)


def _data_options(args: Any) -> list[str]:
    argv: list[str] = []
    if getattr(args, "config", None):
        argv += ["--config", _path(args.config)]
    if getattr(args, "live", False):
        argv.append("--live")
    if getattr(args, "no_history", False):
        argv.append("--no-history")
    if getattr(args, "log", None):
        argv += ["--log", _path(args.log)]
    return argv


def collector_argv(args: Any, port: int) -> list[str]:
    """`gpurisk serve` on loopback with this command's data options."""
    argv = python_command() + _data_options(args)
    argv += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if getattr(args, "token_env", None):
        argv += ["--token-env", args.token_env]
    return argv


def _healthy(url: str, token: str | None, timeout: float = 2.0) -> bool:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url.rstrip("/") + "/healthz")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (OSError, ValueError, urllib.error.URLError):
        return False


class Collector:
    """The child `gpurisk serve` of a `gpurisk web` without ``--connect``."""

    def __init__(self, args: Any, token: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = collector_argv(args, self.port)
        self.token = token
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait_s: float = COLLECTOR_START_S) -> None:
        """Start it (its log lines go to our stderr) and wait for /healthz; raise WebError if it
        exits or stays silent."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     start_new_session=True)  # a ^C in our terminal is ours to relay
        end = time.monotonic() + wait_s
        while time.monotonic() < end:
            code = self.proc.poll()
            if code is not None:
                raise WebError(f"the collector (gpurisk serve) exited with status {code} before it answered", 1)
            if _healthy(self.url, self.token, timeout=1.0):
                return
            time.sleep(0.1)
        self.stop()
        raise WebError(f"the collector (gpurisk serve) did not answer {self.url}/healthz within {wait_s:g} s", 1)

    def stop(self, wait_s: float = COLLECTOR_STOP_S) -> int | None:
        """SIGTERM (it saves its history), then SIGKILL after ``wait_s``. Returns its exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                return proc.wait(wait_s)
            except subprocess.TimeoutExpired:
                proc.kill()
            except ProcessLookupError:
                pass
        return proc.wait()


def check_args(args: Any) -> str | None:
    """Refuse what cannot work or is unsafe; returns the token (or None). Raises WebError (exit 2)."""
    if not is_loopback(args.host):
        if not args.public:
            raise WebError(f"--host {args.host}: textual-serve has no login, so anyone who reaches this port gets "
                           "the dashboard (and can acknowledge alerts); add --public if that is what you want, or "
                           "put it behind a proxy that authenticates and keep --host 127.0.0.1")
    if getattr(args, "public", False) and not args.token_env:
        raise WebError("--public needs a token: set one in an environment variable and name it with --token-env "
                       "NAME (every page then asks for it: open /?token=... once)")
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env) or None
        if token is None:
            raise WebError(f"--token-env {args.token_env}: that environment variable is not set or empty")
        from feeds.textsafe import register_secret

        register_secret(token)  # redacted by value from whatever we print or log
    if args.connect and not args.connect.lower().startswith(("http://", "https://")):
        raise WebError(f"--connect {args.connect}: not an http:// or https:// URL")
    return token


def own_token() -> str:
    """A token for the collector we start when the operator gave none: in our environment
    (the collector and the tabs inherit it), never on a command line."""
    import secrets

    from feeds.textsafe import register_secret

    token = secrets.token_urlsafe(32)
    os.environ[OWN_TOKEN_ENV] = token
    register_secret(token)
    return token


def make_server(command: str, host: str, port: int, collector: Collector | None = None,
                max_tabs: int = 8, page_token: str | None = None) -> Any:
    """The tab server (web_tabs.py) that announces itself on stderr in one plain line (not its
    logo) and says so if our collector child dies (the tabs then show DISCONNECTED)."""
    import asyncio

    from rich.console import Console

    from .web_tabs import make_tab_server

    async def watch(proc: subprocess.Popen[bytes]) -> None:
        while proc.poll() is None:
            await asyncio.sleep(1.0)
        say(f"the collector exited (status {proc.returncode}); open tabs show DISCONNECTED. "
            "Stop this server and start it again")

    watching: list[asyncio.Task[None]] = []

    async def on_startup(server: Any, app: Any) -> None:
        say(f"the dashboard is at {server.public_url} (one `gpurisk --connect` per browser tab, at most "
            f"{max_tabs}; ^C stops)" + (" — open it once with ?token=... (the page token)" if page_token else ""))
        if collector is not None and collector.proc is not None:
            watching.append(asyncio.ensure_future(watch(collector.proc)))

    async def on_shutdown(server: Any, app: Any) -> None:
        for t in watching:
            t.cancel()

    server = make_tab_server(command, host, port, public_url(host, port), max_tabs=max_tabs, page_token=page_token,
                             say=say, on_startup=on_startup, on_shutdown=on_shutdown)
    server.console = Console(stderr=True)  # its log lines, never on our stdout
    return server


def cmd_web(args: Any) -> int:
    """Serve until SIGINT/SIGTERM. Exit 0, 1 (collector would not start / port taken), 2 (usage)."""
    for name in ("connect", "token_env"):
        if not hasattr(args, name):
            setattr(args, name, None)
    try:
        token = check_args(args)
    except WebError as exc:
        say(exc)
        return exc.code
    if not is_loopback(args.host):
        say(f"WARNING: serving on {args.host}:{args.port} (--public); anyone who reaches it and has the token "
            "can watch and acknowledge alerts; the token travels in clear unless a TLS proxy is in front")
    collector: Collector | None = None
    connect = args.connect
    page_token = token if args.public else None
    try:
        check_bindable(args.host, args.port)
        if connect is None:
            if not args.token_env:  # our collector is never open, even on loopback
                token, args.token_env = own_token(), OWN_TOKEN_ENV
            collector = Collector(args, token)
            say(f"starting the collector: gpurisk serve on {collector.url}")
            collector.start()
            connect = collector.url
        elif not _healthy(connect, token):
            say(f"the collector at {connect} does not answer /healthz yet; tabs will show DISCONNECTED "
                "until it does")
        server = make_server(tab_command(connect, args.token_env, getattr(args, "config", None)), args.host,
                             args.port, collector,
                             getattr(args, "max_tabs", 8), page_token)
        say(f"tabs attach to the collector at {connect}")
        server.serve()
        return 0
    except WebError as exc:
        say(exc)
        return exc.code
    except OSError as exc:  # the port is taken, or not ours to bind
        say(f"cannot serve on {args.host}:{args.port}: {exc}")
        return 1
    finally:
        if collector is not None:
            code = collector.stop()
            say(f"collector stopped (exit status {code})")


def add_parser(sub: Any, common: Any) -> None:
    """The `web` subcommand's arguments (called by gpurisk.cli.build_parser)."""
    import argparse

    w = sub.add_parser("web", help="the dashboard in a browser (textual-serve); each tab attaches to one collector")
    common(w, suppress=True)
    # SUPPRESS: `gpurisk --connect URL web` (the dashboard's own options) means the same
    w.add_argument("--connect", metavar="URL", default=argparse.SUPPRESS,
                   help="the collector (`gpurisk serve`) the tabs attach to; default: start one on loopback")
    w.add_argument("--token-env", metavar="NAME", default=argparse.SUPPRESS,
                   help="environment variable holding the collector's token (passed on through the environment)")
    w.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    w.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    w.add_argument("--public", action="store_true",
                   help="allow a non-loopback --host; needs --token-env (every page then asks for that token)")
    w.add_argument("--max-tabs", type=_int_in(1, 64, "a number"), default=8,
                   help="dashboards run at once, one per browser tab (default 8; 1-64); more are refused")


def _int_in(lo: int, hi: int, what: str) -> Any:
    """An argparse type: an integer within [lo, hi]."""
    def parse(text: str) -> int:
        import argparse

        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo}-{hi}, got {text!r}")
        return v
    return parse


_port = _int_in(1, 65535, "a port number")
