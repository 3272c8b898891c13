"""`wxpub approvals --pr N`: has every required stage approved the pull request's latest commit?

Run it from a checkout of the base branch: the policy it judges by is the one in the working
tree, so a pull request that edits policies.yaml is still judged by the old rules.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pipeline.approvals import evaluate, preview_comment, status_description, summary_table
from pipeline.commands import arguments
from pipeline.errors import ExitCode
from pipeline.forge import ForgeError, MembershipUnavailable, forge_from_env
from pipeline.policies import load_policies

STATUS_CONTEXT = "wxpub/approvals"


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("approvals", help=help_text, description=help_text)
    p.add_argument("--pr", type=arguments.positive, required=True, metavar="N", help="合并请求编号")
    p.add_argument("--status", action="store_true", help=f"把结果写成提交状态 {STATUS_CONTEXT}")
    p.add_argument("--summary", action="store_true", help="把审批表写入 $GITHUB_STEP_SUMMARY")
    p.add_argument("--request-next", action="store_true", help="前一阶段通过后,请下一阶段的团队审核")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式(默认 text)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    policies = load_policies(args.root)
    forge = forge_from_env(os.environ)
    try:
        verdict = evaluate(forge, policies, args.pr)
    except ForgeError as error:
        # Say so, loudly, on the pull request instead of leaving an older status standing
        if args.status:
            why = ("无法读取团队成员:需要有 read:org 权限的令牌" if isinstance(error, MembershipUnavailable)
                   else f"审批检查未能完成:{error.message}")
            try:
                forge.set_status(forge.pull_request(args.pr).head_sha, "error", STATUS_CONTEXT, why)
            except ForgeError:
                pass  # GitHub cannot be reached either: the error below says what to do
        raise error
    if args.format == "json":
        sys.stdout.write(json.dumps({
            "pr": verdict.pr.number, "head_sha": verdict.pr.head_sha, "approved": verdict.approved,
            "problem": verdict.problem or None,
            "stages": [{"stage": r.need.stage, "name": r.need.name, "department": r.need.department,
                        "teams": list(r.need.teams), "approved_by": list(r.approved_by),
                        "not_counted": [{"user": user, "reason": why} for user, why in r.not_counted],
                        "blocked_by": list(r.blocked_by), "can_approve": list(r.can_approve),
                        "waiting": r.waiting, "satisfied": r.satisfied,
                        "paths": list(r.need.paths)}
                       for r in verdict.results],
        }, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(summary_table(verdict, preview_comment(verdict, policies)))
    if args.summary and os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary_table(verdict, preview_comment(verdict, policies)))
    if args.status:
        # "error" when the pull request cannot be judged at all (no files, an incomplete file list)
        state = "error" if verdict.problem else "success" if verdict.approved else "failure"
        forge.set_status(verdict.pr.head_sha, state, STATUS_CONTEXT, status_description(verdict))
    waiting = verdict.next_stage()
    if args.request_next and waiting is not None and not waiting.approved_by and not waiting.waiting:
        forge.request_reviewers(verdict.pr.number, list(waiting.need.teams))
    return ExitCode.OK if verdict.approved else ExitCode.FINDINGS
