"""`wxpub backup`: export what WeChat holds for each account (R17), and report where it has
drifted from the ledger: published by hand, deleted, or edited in the back end (DRIFT0xx).

Exit codes (the contract in pipeline/errors.py): 0 exported, no drift; 1 exported, and drift
found; 2 nothing usable exported for an account (credentials, an unwritable folder, WeChat
refusing), said in Chinese with the fix.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

from pipeline.audit import Disagreement, against_wechat
from pipeline.backup import Downloader, Export, export, failed, writable
from pipeline.changes import open_repository, resolve_commit
from pipeline.commands.publish import LEDGER_REF, add_connection_arguments, connect, timeout_from
from pipeline.errors import ExitCode, UserError
from pipeline.ledger import Ledger
from pipeline.policies import load_policies
from pipeline.snapshot import CommitTree
from pipeline.wechat import WeChat, WeChatError, server_time

DEFAULT_DIR = Path(".wxpub-backup")


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("backup", help=help_text, description=help_text)
    add_connection_arguments(p)
    p.add_argument("-o", "--output", type=Path, default=None, metavar="DIR",
                   help=f"导出到哪个目录(默认仓库根目录下的 {DEFAULT_DIR}/,它不会进入 Git);"
                        "每个账号每天一个文件夹 DIR/<账号>/<日期>/")
    p.add_argument("--account", action="append", default=None, metavar="ID",
                   help="只备份这个账号(可重复;默认 policies.yaml 中的全部账号)")
    p.add_argument("--full", action="store_true", help="不沿用上次的导出,全部重新下载")
    p.add_argument("--fetch", metavar="REMOTE", default=None,
                   help="先从远程获取发布记录(CI 的检出不含 refs/wxpub/ledger),例如 origin")
    p.add_argument("--rev", default="HEAD", help="从哪个提交读取 policies.yaml(默认 HEAD)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    hint = "在内容仓库中运行,并确认 --rev 正确"
    head = resolve_commit(open_repository(root, hint), args.rev, hint)
    policies = load_policies(root, CommitTree(head.tree))  # the committed policy, as the publisher reads it
    chosen = args.account or sorted(policies.accounts)
    unknown = [a for a in chosen if a not in policies.accounts]
    if unknown:
        raise UserError(f"policies.yaml 中没有账号 {', '.join(unknown)}", where="policies.yaml",
                        hint=f"可选的账号:{', '.join(sorted(policies.accounts))}")
    out = (args.output if args.output is not None else root / DEFAULT_DIR).resolve()
    timeout = timeout_from(os.environ)
    api, ledger_ref, credentials = connect(args, root, policies)
    try:
        keys = {account: credentials(policies.accounts[account]) for account in chosen}  # all, before any call
        writable(out)
        ledger = Ledger.open(root, ref=ledger_ref)
        if args.fetch:
            ledger.fetch(args.fetch)
        state = ledger.state(policies.tz)
        sandboxed = ledger_ref != LEDGER_REF
        images = Downloader(proxy=api.removesuffix("/").removesuffix("/cgi-bin") if sandboxed else None, timeout=timeout)
        day = datetime.datetime.now(policies.tz).date()

        def wechat_clock() -> float | None:
            told = server_time(api, timeout)
            return None if told is None else told.timestamp()

        exports: list[Export] = []
        drift: list[Disagreement] = []
        errors: list[UserError] = []
        for account in chosen:  # one account's failure does not cost the others their backup
            client = WeChat(keys[account], base_url=api, timeout=timeout)
            try:
                done = export(client, account, out, day, images, full=args.full, clock=wechat_clock)
            except (WeChatError, OSError) as error:
                errors.append(failed(account, error))
                continue
            publications = None if done.publications is None else list(done.publications)
            found = against_wechat(state, account, list(done.drafts), publications)
            _record_drift(done, found)
            exports.append(done)
            drift += found
    finally:
        server = getattr(args, "sandbox_server", None)
        if server is not None:
            server.shutdown()
    _report(exports, drift, args.format)
    for problem in errors:
        print(f"错误:{problem}", file=sys.stderr)
    if errors:  # an account without its backup is the graver news: it outranks drift
        return ExitCode.USAGE
    return ExitCode.FINDINGS if drift else ExitCode.OK


def _record_drift(done: Export, found: list[Disagreement]) -> None:
    """The drift found is kept beside the export it was found in."""
    (done.folder / "drift.json").write_text(json.dumps([d.as_dict() for d in found], ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")


def _summary(done: Export) -> dict[str, object]:
    counts = done.manifest["counts"]
    return {"account": done.account, "folder": str(done.folder), "counts": counts,
            "fetched": dict(done.fetched), "reused": dict(done.reused),
            "missing_images": [{"url": url, "why": why} for url, why in done.missing_images],
            "published_unavailable": str(done.manifest.get("published_unavailable", ""))}


def _report(exports: list[Export], drift: list[Disagreement], fmt: str) -> None:
    if fmt == "json":
        body = {"exports": [_summary(e) for e in exports], "drift": [d.as_dict() for d in drift]}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    for done in exports:
        counts = done.manifest["counts"]
        fetched = "、".join(f"{_NAMES[k]} {v}" for k, v in done.fetched.items() if v) or "无"
        reused = "、".join(f"{_NAMES[k]} {v}" for k, v in done.reused.items() if v) or "无"
        print(f"账号 {done.account}:已导出到 {done.folder}(已发表 {counts['published']} 条、草稿 {counts['drafts']} 条、"
              f"永久图片素材 {counts['materials']} 个、正文图片 {counts['images']} 张);本次下载:{fetched};沿用上次导出:{reused}")
        if "published_unavailable" in done.manifest:
            print(f"提示 {done.account}:{done.manifest['published_unavailable']}")
        for url, why in done.missing_images:
            print(f"警告 BACKUP001 {done.account}:图片 {url} 未备份({why})")
    for d in drift:
        print(f"{d.code}\t{d.account}\t{d.path or '-'}\t{d.message}")
    print("核对结果:微信中的内容与发布记录一致" if not drift else f"核对结果:{len(drift)} 处偏差(见上)")


_NAMES = {"articles": "已发表消息", "drafts": "草稿", "materials": "素材", "images": "图片"}
