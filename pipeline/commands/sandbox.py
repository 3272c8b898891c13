"""`wxpub sandbox serve`: run the local WeChat sandbox (the /cgi-bin/ API, admin and pages).

The first line on standard output is the base URL (`http://127.0.0.1:PORT`), flushed at
once, so a script that asked for port 0 can read where the sandbox is.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
from pathlib import Path
from types import FrameType

from pipeline.commands import arguments
from pipeline.commands.publish import SANDBOX_STATE, sandbox_state
from pipeline.errors import ExitCode, UserError, os_reason
from pipeline.sandbox import base_url, make_server

DEFAULT_PORT = 8765


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("sandbox", help=help_text, description=help_text)
    actions = p.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="启动沙箱 HTTP 服务(Ctrl-C 停止)", description="启动沙箱 HTTP 服务(Ctrl-C 停止)")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址(默认 127.0.0.1)")
    serve.add_argument("--port", type=arguments.port, default=DEFAULT_PORT, metavar="N",
                       help=f"监听端口(默认 {DEFAULT_PORT};0 表示任选空闲端口)")
    serve.add_argument("--state", type=Path, metavar="FILE",
                       help=f"状态文件(SQLite,默认 仓库根目录/{SANDBOX_STATE})")
    serve.add_argument("-v", "--verbose", action="store_true", help="打印请求日志(已隐去访问令牌与密钥)")
    serve.set_defaults(run=run)


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    state: Path = args.state if args.state is not None else sandbox_state(args.root)
    try:
        server = make_server(state, args.host, args.port, verbose=args.verbose)
    except (ValueError, sqlite3.Error) as exc:
        raise UserError(f"无法使用沙箱状态文件:{exc}", where=str(state),
                        hint="换一个 --state 文件,或删除这个沙箱状态文件(其中只有沙箱数据)") from None
    except OSError as exc:
        raise UserError(f"无法在 {args.host}:{args.port} 启动沙箱:{os_reason(exc)}",
                        hint="换一个端口(--port N),或用 --port 0 任选空闲端口") from None
    print(base_url(server), flush=True)
    print(f"沙箱已启动,状态文件 {state};按 Ctrl-C 停止", file=sys.stderr, flush=True)
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started in the background (SIGINT ignored)
        signal.signal(signum, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("沙箱已停止", file=sys.stderr)
    finally:
        server.server_close()
    return ExitCode.OK
