"""`wxpub publish`: publish what is on main to WeChat, exactly once, at allowed times.

With `--sandbox` it talks to the built-in local WeChat sandbox (started in-process when
none is running), so the whole pipeline runs on a machine without any WeChat account.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import secrets
import sys
import urllib.request
from pathlib import Path
from typing import Callable, Iterator, Mapping

import pygit2

from pipeline.changes import open_repository, resolve_commit
from pipeline.errors import ExitCode, UserError
from pipeline.forge import forge_from_env
from pipeline.ledger import Ledger
from pipeline.policies import Account, Policies, load_policies
from pipeline.progress import Progress, bar_wanted
from pipeline.messages import LedgerState
from pipeline.provenance import Provenance
from pipeline.publish import (
    DEFAULT_LEASE, Outcome, Plan, Run, articles_on, execute, newer_on_remote, plan, refuse_older_commit, refuse_rewound_ledger,
    refuse_slow_clock, refuse_wrong_clock, resume, summarize, unwitnessed_moves,
)
from pipeline.snapshot import CommitTree
from pipeline.wechat import WECHAT_API, Credentials, WeChat, WeChatError, credentials_for, server_time

LEDGER_REF = "refs/wxpub/ledger"
SANDBOX_LEDGER_REF = "refs/wxpub/sandbox-ledger"  # sandbox runs never mark real articles as published
SANDBOX_STATE = Path(".wxpub/sandbox.sqlite3")


def sandbox_state(root: Path) -> Path:
    """The sandbox's state file in the repository, in a folder that keeps itself out of Git.

    `git add -A` in a school's repository (whose .gitignore wxpub init wrote without it) would
    otherwise commit the sandbox's database and the sandbox credentials beside it.
    """
    state = root / SANDBOX_STATE
    state.parent.mkdir(parents=True, exist_ok=True)
    ignore = state.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# wxpub's local WeChat sandbox: state and sandbox credentials, never committed\n*\n",
                          encoding="utf-8")
    return state

_LABELS = {"published": "已发表", "drafted": "已存草稿", "mass_sent": "已群发", "queued": "排队中", "moved": "已移动",
           "retracted": "已撤回", "failed": "失败"}


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("publish", help=help_text, description=help_text)
    add_connection_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="只显示计划,不调用微信接口")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.add_argument("--rev", default="HEAD", help="从哪个提交发布(默认 HEAD,即 CI 检出的 main)")
    p.add_argument("--now", metavar="TIME", help="按此时间判断发布时段(YYYY-MM-DD HH:MM,策略时区;只写 HH:MM 表示策略时区的今天);默认当前时间")
    p.add_argument("--push", metavar="REMOTE",
                   help="与该远端共享发布记录(CI 中用 origin):每次调用微信前先推送意图,连不上远端则不发布")
    p.add_argument("--branch", metavar="NAME", default="main",
                   help="发布所用的分支(默认 main):与 --push 同用时,远端该分支若有更新的提交,本次不予发布")
    p.add_argument("--lease", metavar="SECONDS", type=_seconds, default=DEFAULT_LEASE,
                   help=f"另一次运行中断后,等待多少秒再接管它未完成的消息(默认 {int(DEFAULT_LEASE)})")
    p.add_argument("--require-approvals", action="store_true",
                   help="只发布经合并请求且各阶段均已批准的文章(通过 GitHub 接口核对;CI 中必开)")
    p.add_argument("--trusted-commit", metavar="SHA", default=os.environ.get("WXPUB_TRUSTED_COMMIT") or None,
                   help="可信起点:该提交(完整提交号)及之前的历史视为已批准,用于启用 wxpub 之前没有合并请求的历史"
                        "(默认取环境变量 WXPUB_TRUSTED_COMMIT)")
    p.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是秒数:{text}") from None
    if not 0 <= value <= 7 * 24 * 3600:
        raise argparse.ArgumentTypeError(f"应在 0 到 {7 * 24 * 3600} 秒之间:{text}")
    return value


def timeout_from(environ: Mapping[str, str]) -> float:
    """WXPUB_WECHAT_TIMEOUT: seconds to wait for one WeChat answer (default 30)."""
    text = environ.get("WXPUB_WECHAT_TIMEOUT", "")
    try:
        return float(text) if text else 30.0
    except ValueError:
        raise UserError(f"环境变量 WXPUB_WECHAT_TIMEOUT 不是秒数:{text}", hint="例如 WXPUB_WECHAT_TIMEOUT=30") from None


def _now(value: str | None, policies: Policies) -> datetime.datetime:
    """--now: a date and time in the policy's time zone, or only a time: today where the
    school is (the machine's clock is often UTC, a day behind Beijing before 08:00)."""
    if not value:
        return datetime.datetime.now(datetime.timezone.utc)
    try:
        if ":" in value and "-" not in value:
            today = datetime.datetime.now(policies.tz).date()
            return datetime.datetime.combine(today, datetime.time.fromisoformat(value), policies.tz)
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--now 的时间格式不对:{value}", hint="写作 YYYY-MM-DD HH:MM,或只写 HH:MM(策略时区的今天)") from None
    return moment.replace(tzinfo=policies.tz) if moment.tzinfo is None else moment


def _head(root: Path, rev: str) -> tuple[pygit2.Repository, pygit2.Commit]:
    hint = "在内容仓库中运行,并确认 --rev 正确"
    repo = open_repository(root, hint)
    return repo, resolve_commit(repo, rev, hint)


def _sandbox(args: argparse.Namespace, root: Path, policies: Policies) -> tuple[str, Callable[[Account], Credentials]]:
    """A sandbox base URL, and sandbox credentials per account (registered with it)."""
    from pipeline import sandbox  # only sandbox runs need the server code

    base = args.sandbox_url
    state = sandbox_state(root)
    if not base:
        server, base = sandbox.start_in_thread(state)
        args.sandbox_server = server
    secret_file = state.with_suffix(".secrets.json")

    def credentials(account: Account) -> Credentials:
        appid = f"wxsandbox{account.id.replace('-', '')}"
        # Two sandbox runs started together (a preview and a publish, two previews) would each
        # make a secret for a new account, and the one registered last made the other's token
        # calls fail (40125): the secret is made, stored and registered under one lock
        with _locked(secret_file.with_suffix(".lock")):
            known = json.loads(secret_file.read_text(encoding="utf-8")) if secret_file.exists() else {}
            if appid not in known:  # a random secret, so even sandbox runs exercise redaction
                known[appid] = secrets.token_hex(16)
                written = secret_file.with_suffix(".tmp")
                written.write_text(json.dumps(known), encoding="utf-8")
                os.chmod(written, 0o600)
                os.replace(written, secret_file)
            _admin(base, "/sandbox/accounts", {"appid": appid, "secret": known[appid], "name": account.name,
                                               "type": account.type})
        return Credentials(appid, known[appid])

    return base.rstrip("/") + "/cgi-bin/", credentials


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if missing) for as long as the block runs."""
    import fcntl

    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _admin(base: str, path: str, payload: Mapping[str, object]) -> None:
    request = urllib.request.Request(base.rstrip("/") + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def connect(args: argparse.Namespace, root: Path, policies: Policies) -> tuple[str, str, Callable[[Account], Credentials]]:
    """(WeChat API base, ledger ref, credentials per account): the sandbox's, or the real ones."""
    if args.sandbox or args.sandbox_url:
        api, credentials = _sandbox(args, root, policies)
        return api, SANDBOX_LEDGER_REF, credentials
    return args.api, LEDGER_REF, lambda account: credentials_for(account, os.environ)


def add_connection_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", action="store_true", help="使用内置的本地微信沙箱(无需公众号)")
    p.add_argument("--sandbox-url", metavar="URL", default=os.environ.get("WXPUB_SANDBOX_URL"),
                   help="已在运行的沙箱地址(默认在本进程内启动一个)")
    p.add_argument("--api", metavar="URL", default=os.environ.get("WXPUB_WECHAT_API", WECHAT_API),
                   help="微信接口地址(默认 api.weixin.qq.com)")


def run(args: argparse.Namespace) -> int:
    # one bar for the messages this run sends (on a terminal only), erased however the run ends
    with Progress.start("发布消息", "条", shown=bar_wanted(args.format) and not args.dry_run) as bar:
        return _publish(args, bar)


def _publish(args: argparse.Namespace, bar: Progress) -> int:
    root: Path = args.root
    timeout = timeout_from(os.environ)
    repo, head = _head(root, args.rev)
    source = CommitTree(head.tree)  # articles, media, policy, word lists and themes as committed
    policies = load_policies(root, source)
    now = _now(args.now, policies)
    api, ledger_ref, credentials = connect(args, root, policies)
    ledger = Ledger.open(root, ref=ledger_ref)
    if args.push:  # a run that cannot reach the shared ledger publishes nothing
        newer = None if args.dry_run else newer_on_remote(repo, head, args.push, args.branch)
        if newer is not None:
            raise UserError(f"本次检出的提交 {str(head.id)[:12]} 之后,{args.branch} 已有更新的提交 {newer[:12]}:"
                            "只有最新的提交发布(由它的运行完成),本次不予发布、不撤回任何文章",
                            hint="这通常是旧的工作流被重新运行或启动得晚;无需处理。若要发布,请运行最新提交的工作流")
        ledger.fetch(args.push)
        if not args.dry_run:
            ledger.sync(args.push)  # entries a previous run could not push go first
    if not args.dry_run:
        refuse_older_commit(repo, head, ledger.entries)
        # A time given with --now is the operator's choice; the wall clock is checked against WeChat's
        server = None if args.now else server_time(api, timeout)
        refuse_wrong_clock(now, server)
        ahead = refuse_slow_clock(now, ledger.entries, clock_checked=server is not None)
        if ahead:
            print(f"提示:发布记录中有 {len(ahead)} 条时间晚于现在的记录(最晚 {max(e.at for e in ahead)[:16]} UTC),"
                  "来自时钟错误或用 --now 模拟时间的运行;本机时钟与微信服务器一致,已忽略它们的时间", file=sys.stderr)
    gate = None
    if args.require_approvals:
        gate = Provenance(repo, head, forge_from_env(os.environ), trusted=args.trusted_commit)
    publish_run = Run(root=root, policies=policies, ledger=ledger, commit=str(head.id), gate=gate,
                      source=source,
                      now=now, simulated=bool(args.now),
                      clients=lambda account: WeChat(credentials(account), base_url=api, timeout=timeout),
                      progress=bar,
                      remote=None if args.dry_run else args.push, lease=args.lease, known_lines=len(ledger.entries))
    exhausted: dict[str, WeChatError] = {}
    unchecked: Outcome | None = None
    paths = articles_on(root, head)
    the_plan = plan(publish_run, paths)
    if not args.dry_run:
        _check_credentials(policies, the_plan, publish_run.state, credentials)
        # accounts that may send, and those with a move to record (their anchor witnesses it)
        sending_accounts = {c.account.id for batch in the_plan.batches for c in batch} | {
            m.account for m in publish_run.state.messages.values() if m.live and m.account in policies.accounts} | {
            account for _, _, account in the_plan.moves if account in policies.accounts} | {
            account for account in unwitnessed_moves(ledger.entries) if account in policies.accounts}
        try:  # a ledger that lost lines would send again what WeChat already has
            refuse_rewound_ledger(publish_run, sending_accounts,
                                  lambda: ledger.fetch(args.push) if args.push else None)
        except WeChatError as error:  # not checked: nothing is sent (the error says what to do)
            unchecked = Outcome("failed", "", "", f"{error}(无法核对发布记录是否完整,本次不发送任何文章)")
        if unchecked is None:
            try:  # finish what earlier runs left, then plan again from the new ledger
                resume(publish_run, exhausted)
            except WeChatError as error:
                publish_run.outcomes.append(Outcome("failed", "", "", str(error)))
            the_plan = plan(publish_run, paths)
    if args.dry_run:
        outcomes = [*(Outcome("planned", c.path, c.account.id, f"将发布({c.account.publish_mode})")
                      for batch in the_plan.batches for c in batch),
                    *(Outcome("planned", r.path, r.account, "将撤回") for r in the_plan.retractions),
                    *(Outcome("planned", b, "", "继续上次未完成的发布") for b in the_plan.in_flight),
                    *the_plan.queued, *the_plan.failed]
    else:
        try:
            outcomes = [unchecked] if unchecked is not None else execute(publish_run, the_plan, exhausted)
        except WeChatError as error:
            outcomes = [*publish_run.outcomes, Outcome("failed", "", "", str(error))]
        finally:
            bar.close()  # erased before the report is printed
            server = getattr(args, "sandbox_server", None)
            if server is not None:
                server.shutdown()
    _report(outcomes, args.format, dry_run=args.dry_run)
    return ExitCode.FINDINGS if any(o.status == "failed" for o in outcomes) else ExitCode.OK


def _check_credentials(policies: Policies, the_plan: Plan, state: LedgerState,
                       credentials: Callable[[Account], Credentials]) -> None:
    """Every account with work must have its credentials before anything is sent (no half runs)."""
    accounts = {c.account.id for batch in the_plan.batches for c in batch} | {r.account for r in the_plan.retractions}
    accounts |= {account for _, _, account in the_plan.moves if account in policies.accounts}  # a recorded move updates the account's anchor
    accounts |= {m.account for m in state.messages.values() if m.live and m.account in policies.accounts}
    for account_id in sorted(accounts):
        credentials(policies.accounts[account_id])


def _report(outcomes: list[Outcome], fmt: str, *, dry_run: bool) -> None:
    if fmt == "json":
        groups = summarize(o for o in outcomes if o.status != "planned")
        if dry_run:
            groups["planned"] = [o.as_dict() for o in outcomes if o.status == "planned"]
        sys.stdout.write(json.dumps(groups, ensure_ascii=False, indent=2) + "\n")
    else:
        for o in outcomes:
            label = _LABELS.get(o.status, "计划")
            detail = " ".join(part for part in (o.url, o.message) if part)
            print(f"{label}\t{o.path or '-'}\t{detail}")
        counts = {status: sum(1 for o in outcomes if o.status == status) for status in _LABELS}
        print("本次:" + ",".join(f"{_LABELS[s]} {n} 篇" for s, n in counts.items() if n) if outcomes else "本次:没有需要发布的文章")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(job_summary(outcomes))


def job_summary(outcomes: list[Outcome]) -> str:
    lines = ["## wxpub publish 发布结果", "", "| 状态 | 文章 | 账号 | 链接 / 说明 |", "|---|---|---|---|"]
    for o in outcomes:
        link = f"[{o.url}]({o.url})" if o.url else o.message.replace("|", "\\|")
        lines.append(f"| {_LABELS.get(o.status, '计划')} | `{o.path or '-'}` | {o.account} | {link} |")
    return "\n".join(lines) + "\n\n"
