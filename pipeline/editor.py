"""What editors' tools are given: the front-matter schema made for this school's policy.

There is one front-matter schema, pipeline/schemas/front-matter.schema.json, which lint
validates every article with. Editors' tools get that schema with this policy's choices
added: `department` and `category` become `enum`s of the policy's departments (those that
write for some account) and categories (FM005), and "original or source, not both" (FM009) is
said as a `oneOf`, so an editor sees at typing time what lint would report about the front
matter. What depends on the article's folder (FM004, FM010-FM012, FM014) or on the calendar
(FM013, 2026-02-30) cannot be said in a schema; lint says it.

The generated file declares JSON Schema draft-07 (the keywords used mean the same there as in
2020-12), the draft ajv and the YAML language server read without configuration.
`wxpub schema` writes it to .vscode/wxpub-front-matter.schema.json; `--check` fails when the
committed one differs from the policy (the same generate-and-check as `wxpub codeowners`).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pipeline.policies import Policies
from pipeline.schema_check import load_schema

FRONT_MATTER_SCHEMA_FILE = ".vscode/wxpub-front-matter.schema.json"
EDITOR_DRAFT = "http://json-schema.org/draft-07/schema#"


def front_matter_schema(policies: Policies) -> dict[str, Any]:
    """The front-matter schema with this school's departments, categories and FM009."""
    schema = copy.deepcopy(load_schema("front-matter.schema.json"))
    schema.pop("$id", None)  # it names the shipped schema; this one is the school's
    schema["$schema"] = EDITOR_DRAFT
    schema["$comment"] = "由 wxpub schema 依据 policies.yaml 生成,请勿手改;修改 policies.yaml 后重新运行 wxpub schema"
    writers = [d for d in policies.departments if any(d in a.contributors for a in policies.accounts.values())]
    properties = schema["properties"]
    properties["department"]["enum"] = writers
    properties["department"]["description"] += "可选:" + ",".join(
        f"{d}({policies.departments[d].name})" for d in writers)
    properties["category"]["enum"] = list(policies.categories)
    properties["category"]["description"] += "可选:" + "、".join(policies.categories)
    # FM009: exactly one of `original: true` and `source`
    schema["oneOf"] = [
        {"title": "原创", "required": ["original"], "properties": {"original": {"const": True}}},
        {"title": "转载", "required": ["source"]},
    ]
    return schema


def render_front_matter_schema(policies: Policies) -> str:
    """The file's text: the same bytes on every platform and run."""
    return json.dumps(front_matter_schema(policies), ensure_ascii=False, indent=2) + "\n"
