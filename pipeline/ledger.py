"""The publication ledger: an append-only log of every publish step, kept in Git beside `main`.

On disk it is a chain of commits on the ref `refs/wxpub/ledger` (never a branch, so it
never shows up in `main`'s history, working tree or pull requests). Each append is one
commit whose parent is the previous ledger commit; its tree holds

    ledger.jsonl              the whole log: one JSON object per line, UTF-8, keys sorted

so the tip alone answers every question (one blob, one parse) and the commit history is
the audit trail of who appended what when (R14). The ref is moved with compare-and-swap:
two runs that read the same tip cannot both append; the loser gets `LedgerConflict`.
`sync` shares the ledger with a remote after every write (push with a lease; a lost race
fetches, re-appends our entries after the remote's, and pushes again), so that runners on
different machines see each other's intents before they call WeChat.

Every line carries a format version (`v`; a line without one is version 1) and, from
version 2, an `id` unique to the line. Readers accept every earlier version forever and
refuse a later one (docs/ledger.md). Objects and the ref are fsynced as they are written,
so a power loss cannot lose the record of a call that was made.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, NoReturn

import pygit2

from pipeline.changes import open_repository
from pipeline.errors import UserError

if TYPE_CHECKING:
    from pipeline.messages import LedgerState

LEDGER_REF = "refs/wxpub/ledger"
FORMAT_VERSION = 2  # docs/ledger.md: 1 = no `v` field (before 2026-12); 2 = `v` and `id` on every line
LOG_FILE = "ledger.jsonl"
UPLOAD_STEPS = {"image_uploaded": "image", "cover_uploaded": "cover"}
_ZERO = "0" * 40
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@")


@dataclass(frozen=True)
class Entry:
    """One step of a publish run: one line of ledger.jsonl."""

    at: str  # when, ISO 8601 in UTC, e.g. 2026-10-20T08:00:00+00:00
    run: str  # id of the publish run that wrote it
    step: str  # image_uploaded, cover_uploaded, draft_adding, drafted, published, mass_sent, retracted, failed...
    account: str  # account id from policies.yaml
    path: str = ""  # repo-relative index.md of the article, "" for steps about a whole batch
    content_hash: str = ""  # Article.content_hash of what was published, "" when not about one article
    commit: str = ""  # the main commit the run published from
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)  # step-specific: media_id, publish_id, url...
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # unique per line ("" in version 1)
    v: int = FORMAT_VERSION  # the format version this line was written in

    def __post_init__(self) -> None:
        if self.v == 1:
            object.__setattr__(self, "id", "")  # version 1 had no ids
        # A read-only copy: entries are shared by every query and must not change under them
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def to_json(self) -> str:
        """One line of JSON (no newline inside: json escapes them), keys sorted, UTF-8 text kept."""
        fields: dict[str, Any] = {"at": self.at, "run": self.run, "step": self.step, "account": self.account,
                                  "path": self.path, "content_hash": self.content_hash, "commit": self.commit,
                                  "data": dict(self.data)}
        if self.v >= 2:
            fields |= {"v": self.v, "id": self.id}
        return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=_plain)

    @classmethod
    def from_json(cls, text: str) -> Entry:
        """Raises ValueError when the text is not one well-formed entry."""
        return _entry_from(json.loads(text))

    @property
    def moment(self) -> datetime.datetime:
        """`at` as an aware datetime (a time written without zone is taken as UTC)."""
        moment = datetime.datetime.fromisoformat(self.at)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


def _plain(value: object) -> object:
    """JSON for values callers naturally pass in `data`: another entry's data, a path."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    raise TypeError(f"ledger data must be JSON values, got {type(value).__name__}")


def utc_now() -> str:
    """The current time in the form `Entry.at` uses."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _entry_from(obj: object) -> Entry:
    if not isinstance(obj, dict):
        raise ValueError("不是 JSON 对象")
    values: dict[str, str] = {}
    for key in ("at", "run", "step", "account", "path", "content_hash", "commit"):
        value = obj.get(key, "" if key in ("path", "content_hash", "commit") else None)
        if not isinstance(value, str):
            raise ValueError(f"缺少字段 {key} 或其值不是字符串")
        values[key] = value
    data = obj.get("data", {})
    if not isinstance(data, dict):
        raise ValueError("字段 data 不是 JSON 对象")
    version = obj.get("v", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"格式版本 v 不是正整数:{version!r}")
    if version > FORMAT_VERSION:
        raise NewerFormat(version)
    entry_id = obj.get("id", "")
    if not isinstance(entry_id, str) or (version >= 2 and not entry_id):
        raise ValueError("缺少字段 id 或其值不是字符串")
    entry = Entry(data=data, id=entry_id, v=version, **values)
    try:
        entry.moment  # noqa: B018 - a time we cannot read would break every date query later
    except ValueError:
        raise ValueError(f"时间 at 不是 ISO 8601 格式:{entry.at!r}") from None
    return entry


class NewerFormat(ValueError):
    """A line written by a newer wxpub: reading on could misjudge what went out."""

    def __init__(self, version: int) -> None:
        super().__init__(f"由更新版本的 wxpub 写入(格式版本 {version},本版本只认识 1–{FORMAT_VERSION});"
                         "为免误判已发布的内容,请先升级 wxpub 再运行")
        self.version = version


class LedgerConflict(UserError):
    """Another run moved the ledger (locally or on the remote) since we read it."""

    def __init__(self, message: str = "另一次发布运行刚刚更新了发布记录,本次写入未生效",
                 *, where: str = LEDGER_REF,
                 hint: str = "重新运行即可:wxpub 会读取最新的记录,已完成的步骤不会重复") -> None:
        super().__init__(message, where=where, hint=hint)


class Ledger:
    """The ledger as of the last read of its ref; `append` writes through to Git at once."""

    def __init__(self, repo: pygit2.Repository, ref: str, signature: tuple[str, str]) -> None:
        self._repo = repo
        self.ref = ref
        self._signature = signature
        self._tip: str | None = None
        self._raw = b""
        self._entries: tuple[Entry, ...] = ()
        self._state: tuple[tuple[str | None, str], LedgerState] | None = None
        # How old a leftover lock of the ledger ref must be to count as abandoned
        # (WXPUB_LEDGER_LOCK_STALE_SECONDS; a live writer holds it for milliseconds)
        self.stale_lock_seconds = _seconds_from_env("WXPUB_LEDGER_LOCK_STALE_SECONDS", 5.0)

    @classmethod
    def open(cls, repo_root: Path, *, ref: str = LEDGER_REF,
             name: str = "wxpub", email: str = "wxpub@localhost") -> Ledger:
        """The ledger of the repository holding `repo_root`; an absent ref is an empty ledger."""
        repo = open_repository(repo_root, "发布记录保存在内容仓库的 Git 中;请在仓库目录下运行")
        if not ref.startswith("refs/") or ref.startswith("refs/heads/") or not pygit2.reference_is_valid_name(ref):
            raise UserError(f"`{ref}` 不能用作发布记录的引用", hint="使用 refs/wxpub/ 下的引用,不要用分支(refs/heads/)")
        # libgit2 writes the ledger's objects in-process: have it fsync them (and their folders)
        # as git does with core.fsync, which covers the ref moved by `git update-ref`
        pygit2.option(pygit2.enums.Option.ENABLE_FSYNC_GITDIR, True)
        ledger = cls(repo, ref, (name, email))
        ledger.reload()
        return ledger

    # -- reading ------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def tip(self) -> str | None:
        """The ledger commit the entries were read from (None: the ledger is empty)."""
        return self._tip

    def contains(self, commit: str) -> bool:
        """Whether the ledger holds `commit`: it is the tip or in its history, and every line of
        its log is still in the tip's, in its order. History alone proves nothing: a merge with
        `commit` as its second parent, or a commit dropping lines hidden under one that adds none
        (`reload` compares the tip with its first parent only), has it in its history and lost
        its lines; lines put in another order (an answer before its intent) fold to another
        state. wxpub's own merge re-appends the local lines after the remote's: all kept, in order.
        A commit this clone does not hold (a lost history, another repository) is not contained."""
        if self._tip is None or not commit:
            return False
        try:
            if commit != self._tip and not self._repo.descendant_of(pygit2.Oid(hex=self._tip), pygit2.Oid(hex=commit)):
                return False
            held = _log_blob(self._tree(commit), self.ref)
        except (KeyError, ValueError, pygit2.GitError, UserError):
            return False
        return _in_order(_lines(held), _lines(self._raw))

    def holds(self, commit: str, line_id: str) -> bool:
        """Whether the ledger holds `commit` (`contains`) and the line `line_id` is in its log."""
        if not self.contains(commit):
            return False
        return any(e.id == line_id for e in _parse(_log_blob(self._tree(commit), self.ref), self.ref))

    def newer(self, first: str, second: str) -> bool:
        """Whether ledger commit `first` has `second` in its history (and is not it)."""
        try:
            return first != second and self._repo.descendant_of(pygit2.Oid(hex=first), pygit2.Oid(hex=second))
        except (KeyError, ValueError, pygit2.GitError):
            return False

    def reload(self) -> None:
        """Read the ref again: one commit, one blob, one parse; no checkout."""
        tip = self._read_ref(self.ref)
        if tip is None:
            self._tip, self._raw, self._entries = None, b"", ()
            return
        raw = _log_blob(self._tree(tip), self.ref)
        self._only_appended(tip, raw)
        self._entries = _parse(raw, self.ref)
        self._tip, self._raw = tip, raw

    def _only_appended(self, tip: str, raw: bytes) -> None:
        """The tip's log must be its first parent's log with lines added (a merge's first parent
        is the remote's side, which it extends too). A commit that drops or rewrites lines (a
        hand "tidy-up") would make what went out look unsent, to this run and, once pushed, to
        every runner: stop before anything is read from it."""
        commit = self._repo[tip].peel(pygit2.Commit)
        if not commit.parents:
            return
        parent = str(commit.parents[0].id)
        before = _log_blob(self._tree(parent), self.ref)
        if raw.startswith(before):
            return
        raise UserError(f"发布记录的提交 {tip[:12]} 删改了此前的记录;发布记录只能追加,删改会让已发出的内容被当作未发出而再次发送",
                        where=self.ref,
                        hint=f"用 git log -p {self.ref} 查看改动;撤销它:git update-ref {self.ref} {parent}")

    def _appended_since(self, ours: str, theirs: str, tracking: str) -> None:
        """A fast-forward must keep every line we hold. `reload` compares only the tip with its
        parent, so a tidy-up pushed with one more commit on top would pass it: check each
        commit the remote added (naming the one that drops lines), then the result as a whole
        (a merge whose first parent is a shorter, unrelated log)."""
        walker = self._repo.walk(pygit2.Oid(hex=theirs), pygit2.enums.SortMode.TOPOLOGICAL)
        walker.hide(pygit2.Oid(hex=ours))
        for commit in walker:
            self._only_appended(str(commit.id), _log_blob(commit.tree, tracking))
        if not _log_blob(self._tree(theirs), tracking).startswith(self._raw):
            raise UserError(f"远程的发布记录 {theirs[:12]} 不再包含本地已有的记录;发布记录只能追加,"
                            "删改会让已发出的内容被当作未发出而再次发送", where=self.ref,
                            hint=f"用 git log -p {tracking} 查看远程的改动,由管理员把远程记录恢复为本地的 {ours[:12]} 之后的追加")

    # -- writing ------------------------------------------------------------------------

    def append(self, *entries: Entry) -> None:
        """Append in one commit; the ref moves only if it is still at `.tip` (else LedgerConflict).

        When this returns, the commit and the ref are on disk (git writes objects and the ref
        file before it exits), so a run killed right afterwards still has its record.
        """
        if not entries:
            raise ValueError("append needs at least one entry")
        lines = [entry.to_json() for entry in entries]
        for line in lines:
            Entry.from_json(line)  # never write a line that reading would reject
        raw = _join(self._raw, "".join(line + "\n" for line in lines).encode("utf-8"))
        tree = self._write_tree(self._tree(self._tip) if self._tip else None, raw)
        path = f" {entries[0].path}" if entries[0].path else ""
        more = f" (+{len(entries) - 1})" if len(entries) > 1 else ""
        commit = self._commit(tree, [self._tip] if self._tip else [], f"wxpub: {entries[0].step}{path}{more}\n")
        self._move(self.ref, commit, self._tip)
        self._tip, self._raw, self._entries = commit, raw, self._entries + tuple(entries)

    def _write_tree(self, base: pygit2.Tree | None, raw: bytes) -> pygit2.Oid:
        builder = self._repo.TreeBuilder(base) if base is not None else self._repo.TreeBuilder()
        builder.insert(LOG_FILE, self._repo.create_blob(raw), pygit2.enums.FileMode.BLOB)
        return builder.write()

    def _commit(self, tree: pygit2.Oid, parents: list[str], message: str) -> str:
        signature = pygit2.Signature(*self._signature)
        # reference_name=None: create the commit object only; the ref is moved by _move (CAS)
        oid = self._repo.create_commit(None, signature, signature, message, tree,
                                       [pygit2.Oid(hex=p) for p in parents])
        return str(oid)

    def _move(self, ref: str, new: str, old: str | None) -> None:
        """Compare-and-swap `ref` from `old` (None: must not exist) to `new`.

        pygit2's Reference.set_target is unconditional, so the swap is done by
        `git update-ref REF NEW OLD`: git creates REF.lock with O_CREAT|O_EXCL (only one
        process can hold it), re-reads REF under that lock, compares it with OLD, writes NEW
        into the lock file and renames it over REF. Lock, check and write are one critical
        section across processes, the rename is atomic, and it works the same for loose and
        packed refs. A writer that finds the lock taken waits core.filesRefLockTimeout and then
        fails, which we also report as a conflict: someone else was writing.

        git's answer alone is not the truth once a lock can be removed as stale: a live writer
        slower than that (an fsync on a busy disk) whose lock was removed renames the *next*
        writer's lock over REF and reports success, while that next writer's rename fails
        although its value is in place. So the ref is read back: the swap happened if and only
        if REF now holds NEW (or a commit built on it).
        """
        result = self._git("update-ref", "-m", "wxpub ledger", ref, new, old or _ZERO)
        if self._holds(ref, new):
            return
        if result.returncode == 0 or self._read_ref(ref) != old:
            raise LedgerConflict(where=ref)
        lock = self._remove_stale_lock(ref, result.stderr)
        if lock is not None:
            raise LedgerConflict(where=ref, hint=f"重新运行即可;若一直出现,且确认没有其他 wxpub 或 git 进程在运行,删除残留的锁文件 {lock}")
        raise UserError(f"无法更新发布记录:{_redact(result.stderr.strip())}", where=ref,
                        hint="检查仓库目录的写权限和磁盘空间")

    def _remove_stale_lock(self, ref: str, stderr: str) -> Path | None:
        """When git failed because `ref`'s lock file exists: remove it if it is stale, and return
        its path; None when git failed for another reason."""
        if ".lock': File exists" not in stderr:
            return None
        lock = Path(self._repo.path) / f"{ref}.lock"
        if _stale(lock, self.stale_lock_seconds):
            # A writer holds the lock for milliseconds; one this old was left by a process killed
            # inside git, and would block the ledger (or its remote-tracking copy) for good
            lock.unlink(missing_ok=True)
            _to_stderr(f"已删除上次中断的运行遗留的发布记录锁文件 {lock}")
        return lock

    def _holds(self, ref: str, commit: str) -> bool:
        """Whether `ref` is at `commit` or at a commit that has it in its history."""
        current = self._read_ref(ref)
        if current is None:
            return False
        try:
            return current == commit or self._repo.descendant_of(pygit2.Oid(hex=current), pygit2.Oid(hex=commit))
        except (KeyError, ValueError, pygit2.GitError):
            return False

    # -- remote -------------------------------------------------------------------------

    def fetch(self, remote: str = "origin", *, say: Callable[[str], None] | None = None) -> None:
        """Bring the remote's ledger here: fast-forward when we lack commits, keep ours when we are
        ahead, and when both sides appended (a push lost a race), re-append our extra entries
        after the remote's in a merge commit so no record is lost and the next push is a
        fast-forward. `say` receives notes for the user (default: stderr)."""
        say = say or _to_stderr
        shown = _redact(remote)
        tracking = self._tracking_ref(remote)
        fetch = ("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
                 remote, f"+{self.ref}:{tracking}")
        result = self._git(*fetch)
        if result.returncode != 0 and self._remove_stale_lock(tracking, result.stderr) is not None:
            result = self._git(*fetch)  # once more, past the lock a run killed inside git fetch left
        if result.returncode != 0:
            if "couldn't find remote ref" in result.stderr:
                self._git("update-ref", "-d", tracking)
                self.reload()
                if self._tip is not None:
                    say(f"远程 {shown} 还没有发布记录;本地的 {len(self._entries)} 条记录将在推送时上传")
                return
            lock = Path(self._repo.path) / f"{tracking}.lock"
            hint = (f"另一个 wxpub 或 git 进程正在获取;若确认没有,删除残留的锁文件 {lock}"
                    if ".lock': File exists" in result.stderr else "检查网络、远程名称或地址,以及访问令牌是否有读取仓库的权限")
            raise UserError(f"无法从远程 {shown} 获取发布记录({self.ref}):{_redact(result.stderr.strip())}",
                            hint=hint)
        theirs = self._read_ref(tracking)
        assert theirs is not None  # the fetch above just wrote it
        self.reload()
        ours = self._tip
        if ours == theirs:
            return
        if ours is None or self._repo.descendant_of(pygit2.Oid(hex=theirs), pygit2.Oid(hex=ours)):
            if ours is not None:
                self._appended_since(ours, theirs, tracking)
            self._move(self.ref, theirs, ours)
        elif self._repo.descendant_of(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs)):
            extra = len(self._entries) - len(_parse(_log_blob(self._tree(theirs), tracking), tracking))
            say(f"本地发布记录比远程 {shown} 多 {extra} 条(尚未推送),保留本地记录")
            return
        else:
            extra = self._merge(ours, theirs, tracking)
            say(f"远程 {shown} 与本地都有新的发布记录:本地的 {extra} 条已接在远程记录之后")
        self.reload()

    def _merge(self, ours: str, theirs: str, tracking: str) -> int:
        """Re-append the entries only we have after the remote's; both tips become parents."""
        base = self._repo.merge_base(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        base_raw = _log_blob(self._tree(str(base)), self.ref) if base is not None else b""
        if not self._raw.startswith(base_raw):
            raise UserError("本地发布记录不是在共同版本之后追加的(可能被手工改写过),无法与远程合并", where=self.ref,
                            hint=f"用 git log -p {self.ref} 检查;确认本地记录可以丢弃时运行 git update-ref -d {self.ref} 后重新获取")
        ours_only = self._raw[len(base_raw):]
        their_tree = self._tree(theirs)
        raw = _join(_log_blob(their_tree, tracking), ours_only)
        _parse(raw, self.ref)
        count = len(_parse(ours_only, self.ref))
        tree = self._write_tree(their_tree, raw)
        commit = self._commit(tree, [theirs, ours], f"wxpub: re-append {count} local entries after the remote's\n")
        self._move(self.ref, commit, ours)
        return count

    def push(self, remote: str = "origin") -> None:
        """Send the ledger to the remote, only over the value our last fetch saw there.

        `--force-with-lease=REF:EXPECTED` makes the remote's receive-pack update REF only if it
        still holds EXPECTED (empty: REF must not exist yet); a run that pushed in between
        makes ours fail instead of being overwritten. EXPECTED is always an ancestor of what we
        push (checked below), so the push never drops a remote commit."""
        shown = _redact(remote)
        self.reload()
        if self._tip is None:
            return
        tracking = self._tracking_ref(remote)
        expected = self._read_ref(tracking)
        if expected == self._tip:
            return  # the remote had this very tip when we last spoke to it: nothing to send
        if expected is not None and not self._repo.descendant_of(
                pygit2.Oid(hex=self._tip), pygit2.Oid(hex=expected)):
            raise LedgerConflict(f"本地发布记录与上次从远程 {shown} 获取的记录不一致,未推送", where=self.ref,
                                 hint=f"先获取远程记录(wxpub 会合并两边的记录),再推送:重新运行带 --push {shown} 的命令")
        result = self._git("push", "--porcelain", "--no-verify", f"--force-with-lease={self.ref}:{expected or ''}",
                           remote, f"{self._tip}:{self.ref}")
        if result.returncode == 0:
            self._git("update-ref", tracking, self._tip)
            return
        status = _push_status(result.stdout, self.ref)
        if _lost_race(status):
            raise LedgerConflict(f"推送发布记录被远程 {shown} 拒绝:另一次发布运行已推送了新的记录;远程的记录未被覆盖",
                                 where=self.ref,
                                 hint=f"重新运行带 --push {shown} 的命令:会先获取并合并远程的记录,再推送")
        detail = "\n".join(line.strip() for line in (status, *result.stderr.splitlines()) if line.strip())
        raise UserError(f"无法把发布记录推送到远程 {shown}:{_redact(detail)}", where=self.ref,
                        hint="检查网络、远程名称或地址,以及访问令牌是否有写入仓库的权限(contents: write)")

    def sync(self, remote: str, *, attempts: int = 30, say: Callable[[str], None] | None = None) -> None:
        """Push until the remote holds every local entry: after a lost race, fetch (which
        re-appends our entries after the remote's) and push again. When this returns, every
        runner that fetches sees our entries; the caller re-reads `entries`, where others'
        may now come before ours. A remote that cannot be reached raises UserError: the
        caller must not call WeChat on a record the others cannot see."""
        for attempt in range(attempts):
            try:
                self.push(remote)
                return
            except LedgerConflict:
                # Runners that keep colliding back off at random, so that one of them gets through
                time.sleep(random.uniform(0, min(2.0, 0.05 * 2 ** attempt)))
                self.fetch(remote, say=say or (lambda _message: None))
        raise LedgerConflict(f"连续 {attempts} 次推送发布记录都被其他运行抢先,本次运行停止", where=self.ref)

    def _tracking_ref(self, remote: str) -> str:
        """Where the remote's ledger is kept locally: the lease for the next push."""
        # A remote given as a URL (maybe with a token in it) is named by its hash, never spelled out
        simple = re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", remote) and ".." not in remote and not remote.endswith(".lock")
        name = remote if simple else "url-" + hashlib.sha256(remote.encode()).hexdigest()[:16]
        return f"refs/wxpub-remotes/{name}/{self.ref.removeprefix('refs/')}"

    # -- queries ------------------------------------------------------------------------

    def latest(self, path: str | PurePosixPath) -> Entry | None:
        """The latest entry about one article."""
        key = str(path)
        return next((e for e in reversed(self._entries) if e.path == key), None)

    def steps_for(self, path: str | PurePosixPath, content_hash: str) -> list[Entry]:
        """Every entry about this version of the article, oldest first."""
        key = str(path)
        return [e for e in self._entries if e.path == key and e.content_hash == content_hash]

    def state(self, tz: datetime.tzinfo = datetime.timezone.utc) -> LedgerState:
        """What the lines mean (pipeline.messages): messages, publications, uploads; cached per tip."""
        from pipeline.messages import fold  # the state machine reads the lines this module stores

        key = (self._tip, str(tz))
        if self._state is None or self._state[0] != key:
            self._state = (key, fold(self._entries, tz))
        return self._state[1]

    def uploads(self, account: str | None = None) -> dict[str, Mapping[str, Any]]:
        """Uploaded files by sha256: their record's data plus `kind` (image|cover). The latest
        upload of a file wins. Pass `account` to see only its uploads: a media_id belongs to
        the account that uploaded it."""
        found: dict[str, Mapping[str, Any]] = {}
        for (owner, _kind, sha), record in self.state().uploads.items():
            if account is None or owner == account:
                found[sha] = MappingProxyType({**record.to_data(), "kind": UPLOAD_STEPS[record.STEP]})
        return found

    def published(self) -> list[Entry]:
        """Per article, its final line (published/drafted/mass_sent, with its current place in
        WeChat), unless retracted since; in the order they went out."""
        return [publication.as_entry() for publication in self.state().publications.values()]

    def count_on(self, account: str, date: datetime.date, tz: datetime.tzinfo) -> int:
        """Articles of `account` that went out (or are going out) on `date` in zone `tz`, for
        daily caps. Retracted ones still count: they used the day's slot."""
        state = self.state(tz)
        count = state.used_on(account, date.isoformat())
        # Version 1 wrote some publications without a message: those count by their own date,
        # once per article version (a resumed run may have recorded one twice)
        loose = {(e.step, e.path, e.content_hash) for e in state.loose
                 if e.account == account and e.moment.astimezone(tz).date() == date}
        return count + len(loose)

    # -- plumbing -----------------------------------------------------------------------

    def _read_ref(self, ref: str) -> str | None:
        """The commit a ref points at, read from disk now (no caching)."""
        found = self._repo.references.get(ref)
        if found is None:
            return None
        try:
            return str(found.resolve().target)
        except (KeyError, pygit2.GitError):
            return None

    def _tree(self, commit: str) -> pygit2.Tree:
        try:
            return self._repo[commit].peel(pygit2.Commit).tree
        except (KeyError, ValueError, pygit2.GitError):
            raise UserError(f"发布记录指向的 {commit[:12]} 不是提交", where=self.ref,
                            hint=f"该引用只能由 wxpub 写入;用 git log {self.ref} 检查,或从远程重新获取") from None

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        # C locale: the few messages we recognise are matched in English; no prompt: CI must
        # fail fast on missing credentials instead of waiting for a password forever.
        env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
        cwd = self._repo.workdir or self._repo.path  # relative remote paths resolve as for `git -C root`
        # A record of a call that was made must survive a power loss: objects and refs fsynced
        durable = ("-c", "core.fsync=committed,reference", "-c", "core.fsyncMethod=fsync")
        try:
            return subprocess.run(["git", *durable, f"--git-dir={self._repo.path}", *args], cwd=cwd, env=env,
                                  capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
        except FileNotFoundError:
            raise UserError("找不到 git 命令", hint="安装 Git 并确保 git 在 PATH 中") from None


def _parse(raw: bytes, ref: str) -> tuple[Entry, ...]:
    """Every line of ledger.jsonl as an Entry; a bad line is a UserError naming it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _corrupt(ref, raw[: exc.start].count(b"\n") + 1, "不是 UTF-8 文本")
    # Split on \n only: str.splitlines would also split at U+2028 and friends inside strings
    lines = text.split("\n")
    entries: list[Entry] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            _corrupt(ref, number, f"不是完整的 JSON 记录(第 {exc.colno} 列:{exc.msg})")
        try:
            entries.append(_entry_from(obj))
        except NewerFormat as exc:
            raise UserError(f"发布记录第 {number} 行{exc}", where=f"{ref}:{LOG_FILE}:{number}",
                            hint="pip install -U wxpub(或更新 CI 中固定的 wxpub 版本)后重新运行") from None
        except ValueError as exc:
            _corrupt(ref, number, str(exc))
    return tuple(entries)


def _corrupt(ref: str, line: int, reason: str) -> NoReturn:
    raise UserError(f"发布记录第 {line} 行已损坏:{reason}", where=f"{ref}:{LOG_FILE}:{line}",
                    hint=f"发布记录只能由 wxpub 追加,不要手工修改。若是最近一次改坏的,运行 git update-ref {ref} {ref}~1 "
                         f"回到上一版本;否则用 git log -p {ref} 找到最后一个完好的提交,或从远程重新获取")


def _log_blob(tree: pygit2.Tree, ref: str) -> bytes:
    try:
        item = tree[LOG_FILE]
    except KeyError:
        raise UserError(f"发布记录中没有 {LOG_FILE}", where=ref,
                        hint=f"该引用只能由 wxpub 写入;用 git log {ref} 检查,或删除它(git update-ref -d {ref})后从远程重新获取") from None
    return item.peel(pygit2.Blob).data


def _seconds_from_env(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    try:
        return float(text) if text else default
    except ValueError:
        raise UserError(f"环境变量 {name} 不是秒数:{text}", hint=f"例如 {name}={default:g}") from None


def _stale(lock: Path, seconds: float) -> bool:
    try:
        return time.time() - lock.stat().st_mtime >= seconds
    except FileNotFoundError:
        return False


def _lines(log: bytes) -> list[bytes]:
    """The log's lines as written (a hand-edited last line may lack its newline)."""
    return [line for line in log.split(b"\n") if line.strip()]


def _in_order(lines: list[bytes], log: list[bytes]) -> bool:
    """Whether every one of `lines` is in `log`, in the same order (others may come between)."""
    rest = iter(log)
    return all(line in rest for line in lines)  # `in` consumes `rest` up to the match


def _join(log: bytes, more: bytes) -> bytes:
    """Append lines to a log whose last line may lack its newline (edited by hand)."""
    return log + more if not log or log.endswith(b"\n") else log + b"\n" + more


def _push_status(porcelain: str, ref: str) -> str:
    """The flag and summary `git push --porcelain` printed for our ref ("" if none)."""
    for line in porcelain.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].endswith(f":{ref}"):
            return parts[0] + " " + parts[2]
    return ""


def _lost_race(status: str) -> bool:
    """Whether git push was refused because the remote ref moved: our lease or fast-forward
    check failed on our side ([rejected]), or the remote's own compare-and-swap failed when
    another push landed between its advertisement and its update ([remote rejected])."""
    if status.startswith("! [rejected]"):
        return True
    return status.startswith("! [remote rejected]") and any(
        sign in status for sign in ("failed to lock", "failed to update ref", "but expected", "stale info"))


def _redact(text: str) -> str:
    """Hide user:token@ in URLs: a remote given as a URL may carry a CI token."""
    return _URL_USERINFO.sub(r"\1***@", text)


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)
