"""`wxpub preview`: phone previews of articles as standalone HTML pages (light and dark mode).

Each article becomes DIR/<account>--<department>--<bundle>.html with its images embedded,
so the folder can be zipped, uploaded as a CI artifact and opened from disk anywhere;
DIR/index.html lists them.

With `--wechat ARTICLE --to NAME...` the article goes to reviewers' phones instead, through
WeChat's preview message (pipeline/wechat_preview.py, R13). The previewers come from the
policy of the checkout (in CI: the base branch, so a pull request cannot add its own), the
article from the working tree or, with `--rev`, from a commit (the pull request's head,
read as data: its code is never run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pipeline.changes import changed_since
from pipeline.content import Article, find_bundles, load_article
from pipeline.errors import ExitCode, UserError, os_reason
from pipeline.policies import Policies, load_policies
from pipeline.progress import Progress, bar_wanted
from pipeline.preview import IndexEntry, build_index, build_preview, index_entry, preview_file_name
from pipeline.snapshot import WorkTree

if TYPE_CHECKING:  # the WeChat client is imported only when --wechat is used
    from pipeline.wechat_preview import Previewed, Receiver

DEFAULT_OUTPUT = Path("build") / "preview"
INDEX_FILE = "index.html"


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("preview", help=help_text, description=help_text)
    p.add_argument("articles", nargs="*", type=Path, metavar="ARTICLE",
                   help="文章目录、index.md 或其上级目录(默认 content/ 下全部文章)")
    p.add_argument("-o", "--output", type=Path, metavar="DIR", help=f"输出目录(默认 仓库根目录/{DEFAULT_OUTPUT.as_posix()}/)")
    p.add_argument("--changed-since", metavar="REV", help="只预览自 REV 以来改动过的文章")
    p.add_argument("--theme", metavar="NAME", help="使用 themes/ 下的其他主题(默认按账号设置)")
    wechat = p.add_argument_group("发到审核人手机(微信预览)")
    wechat.add_argument("--wechat", action="store_true",
                        help="把一篇文章放入公众号草稿箱(每篇只建一次草稿,之后更新),并用微信预览接口发给 --to 中的人")
    wechat.add_argument("--to", nargs="+", metavar="NAME", default=[],
                        help="接收预览的人:policies.yaml 中该账号「可接收预览的人」(accounts.<账号>.previewers)下的姓名")
    wechat.add_argument("--rev", metavar="REV", help="从该提交读取文章(如合并请求的最新提交);默认读工作区")
    wechat.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    from pipeline.commands.publish import add_connection_arguments  # the same connection options as publish
    add_connection_arguments(wechat)
    p.set_defaults(run=run)


def select_bundles(root: Path, paths: list[Path], since: str | None) -> list[PurePosixPath]:
    """index.md of every article named by `paths` (default: all), limited to changes since `since`."""
    absolute: list[Path] = []
    for path in paths:
        full = (path if path.is_absolute() else Path.cwd() / path).resolve()
        if not full.exists():
            raise UserError(f"路径不存在:{path}", hint="给出文章目录、index.md 或 content/ 下的目录")
        if not full.is_relative_to(root.resolve()):
            raise UserError(f"路径不在仓库 {root} 之内:{path}", hint="只能预览仓库中的文章")
        absolute.append(full)
    found = list(find_bundles(root.resolve(), absolute or None))
    if absolute and not found:
        raise UserError(f"{' '.join(str(p) for p in paths)} 中没有文章(index.md)",
                        hint="文章位于 content/<账号>/<部门>/<日期-短名>/index.md")
    if since is None:
        return found
    changes = changed_since(root, since)
    if changes.policy_changed:
        print("注意:policies.yaml 或词表有改动,只预览内容有改动的文章", file=sys.stderr)
    changed = set(changes.bundles)
    return [b for b in found if b in changed]


def _display(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter to read and click)."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def write_previews(root: Path, policies: Policies, bundles: list[PurePosixPath], output: Path,
                   theme: str | None, progress: Progress = Progress()) -> tuple[list[Path], list[str]]:
    """Write one page per loadable article and the index; (written files, problems)."""
    output.mkdir(parents=True, exist_ok=True)
    progress.expect(len(bundles))
    written: list[Path] = []
    entries: list[IndexEntry] = []
    problems: list[str] = []
    for bundle in bundles:
        progress.working_on(bundle.parent.name)
        loaded = load_article(WorkTree(root), bundle)
        if not isinstance(loaded, Article):
            problems.append(f"{loaded.path}:{loaded.line}: {loaded.message}")
            entries.append(IndexEntry("", bundle.parent.name, bundle.parts[1] if len(bundle.parts) > 1 else "", "",
                                      str(bundle), problem=loaded.message))
            progress.advance()
            continue
        name = preview_file_name(loaded)
        target = output / name
        target.write_text(build_preview(loaded, policies, theme=theme), encoding="utf-8")
        written.append(target)
        entries.append(index_entry(loaded, policies, name))
        progress.advance()
    index = output / INDEX_FILE
    # errors="replace": a folder name that is not UTF-8 (ART001 on its entry) is still listed
    index.write_text(build_index(entries, heading="文章手机预览", note=f"共 {len(written)} 篇文章的预览"),
                     encoding="utf-8", errors="replace")
    written.append(index)
    return written, problems


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    if args.wechat:
        return _run_wechat(args)
    if args.to or args.rev:
        raise UserError("--to 和 --rev 只用于 --wechat(发到审核人手机)", hint="加上 --wechat,或去掉这两个选项")
    policies = load_policies(root)
    bundles = select_bundles(root, args.articles, args.changed_since)
    output: Path = args.output if args.output is not None else root / DEFAULT_OUTPUT
    try:
        with Progress.start("生成预览", "篇", shown=bar_wanted()) as bar:
            written, problems = write_previews(root, policies, bundles, output, args.theme, bar)
    except OSError as exc:
        raise UserError(f"无法写入预览:{os_reason(exc)}", where=str(exc.filename or output),
                        hint="用 -o 指定一个可写的目录") from None
    for path in written:
        print(_display(path))
    print(f"已生成 {len(written) - 1} 篇文章的预览,用浏览器打开 {_display(written[-1])}", file=sys.stderr)
    if problems:
        raise UserError(f"{len(problems)} 篇文章无法预览:\n  " + "\n  ".join(problems), hint="先运行 wxpub lint 修正这些文章")
    return ExitCode.OK


# -- --wechat: the article on reviewers' phones ----------------------------------------------------


def _run_wechat(args: argparse.Namespace) -> int:
    from pipeline import wechat_preview
    from pipeline.commands.publish import connect, timeout_from
    from pipeline.lint.engine import lint_article
    from pipeline.lint.model import Severity
    from pipeline.publish import unservable
    from pipeline.wechat import WeChat, WeChatError

    root: Path = args.root
    if len(args.articles) != 1:
        raise UserError("--wechat 一次预览一篇文章:请只给出一个文章目录", hint="例如 wxpub preview --wechat content/official/publicity/2026-09-01-x --to 张三")
    if not args.to:
        raise UserError("--wechat 需要 --to:接收预览的人", hint="写 policies.yaml 中该账号 previewers 下的姓名,如 --to 张三 李四")
    if args.output is not None or args.changed_since:
        raise UserError("--wechat 不写预览文件:-o 和 --changed-since 不能与它同用", hint="去掉 -o / --changed-since")
    policies = load_policies(root)
    article, commit = _wechat_article(root, args.articles[0], args.rev)
    account = policies.accounts.get(article.account)
    if account is None:
        raise UserError(f"文章所在的账号 `{article.account}` 不在 policies.yaml 中", where=str(article.path),
                        hint="文章应位于 content/<账号>/<部门>/<日期-短名>/")
    to = wechat_preview.receivers(policies, account, args.to, os.environ)
    errors = [f for f in lint_article(article, policies).findings if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        print(f"错误:{article.path}:{first.line}: 文章未通过检查({len(errors)} 个错误,首个 {first.code} {first.message});"
              "修正后再预览(wxpub lint 可列出全部)", file=sys.stderr)
        return ExitCode.FINDINGS
    refused = unservable(article, policies)
    if refused:
        raise UserError(refused, where=str(article.path))
    timeout = timeout_from(os.environ)
    api, _ledger_ref, credentials = connect(args, root, policies)  # the ledger is never opened
    try:
        server = getattr(args, "sandbox_server", None)
        if server is not None:  # a sandbox of our own: the previewers follow its accounts
            _follow(api, credentials(account).appid, to)
        client = WeChat(credentials(account), base_url=api, timeout=timeout)
        try:
            result = wechat_preview.preview(client, article, policies, to, commit)
        except WeChatError as error:
            print(f"错误:{article.path}: 未能发送预览:{error}", file=sys.stderr)
            return ExitCode.FINDINGS
    finally:
        server = getattr(args, "sandbox_server", None)
        if server is not None:
            server.shutdown()
    _report_wechat(result, args.format)
    return ExitCode.OK if all(d.sent for d in result.deliveries) else ExitCode.FINDINGS


def _wechat_article(root: Path, given: Path, rev: str | None) -> tuple[Article, str | None]:
    """The one article `given` names: in the working tree (commit None), or with `rev` in that
    commit (and its full id, which the preview draft is marked with)."""
    from pipeline.changes import open_repository, resolve_commit
    from pipeline.content import ARTICLE_FILE
    from pipeline.snapshot import CommitTree, Snapshot

    source: Snapshot
    commit_id: str | None = None
    if rev is None:
        bundles = select_bundles(root, [given], None)
        if len(bundles) != 1:
            raise UserError(f"{given} 中有 {len(bundles)} 篇文章;--wechat 一次预览一篇", hint="给出一篇文章的目录")
        bundle, source = bundles[0], WorkTree(root)
    else:
        hint = "给出提交中文章的路径(相对仓库根目录,如 content/official/publicity/2026-09-01-x)和正确的 --rev"
        commit = resolve_commit(open_repository(root, hint), rev, hint)
        relative = PurePosixPath(given.as_posix().strip("/"))
        bundle = relative if relative.name == ARTICLE_FILE else relative / ARTICLE_FILE
        if ".." in bundle.parts or not bundle.parts or bundle.parts[0] != "content":
            raise UserError(f"不是 content/ 下的文章路径:{given}", hint=hint)
        source, commit_id = CommitTree(commit.tree), str(commit.id)
    loaded = load_article(source, bundle)
    if not isinstance(loaded, Article):
        raise UserError(loaded.message, where=f"{loaded.path}:{loaded.line}", hint="修正后再预览(wxpub lint 可检查)")
    return loaded, commit_id


def _follow(api: str, appid: str, to: tuple[Receiver, ...]) -> None:
    """In a sandbox wxpub started itself, everyone previewed follows the account (a sandbox run
    has no real followers); tests drive their own sandbox to try who does not."""
    import hashlib

    from pipeline.commands.publish import _admin

    followers = []
    for receiver in to:
        if receiver.kind == "openid":
            followers.append({"openid": receiver.id})
        else:
            digest = hashlib.sha256(receiver.id.encode()).hexdigest()[:27]
            followers.append({"openid": f"o{digest}", "wxname": receiver.id})
    _admin(api.removesuffix("/").removesuffix("/cgi-bin"), "/sandbox/followers", {"appid": appid, "followers": followers})


def _report_wechat(result: Previewed, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    shown = f"提交 {result.version[:12]}" if not result.version.startswith("w") else "工作区中的版本"
    kept = "" if any(d.sent for d in result.deliveries) else ";没有发给任何人,已删除"
    print(f"{result.path}: 新建了预览草稿,内容为{shown}(草稿箱中的 media_id {result.media_id}{kept})")
    for delivery in result.deliveries:
        print(f"{'已发送' if delivery.sent else '未发送'}\t{delivery.name}\t{delivery.message}")
    sent = sum(1 for d in result.deliveries if d.sent)
    if result.deleted:
        print(f"删除了 {len(result.deleted)} 份超过一天的旧预览草稿")
    print(f"本次:发出 {sent} 条预览" + (f",{len(result.deliveries) - sent} 条未发出" if sent < len(result.deliveries) else ""))
