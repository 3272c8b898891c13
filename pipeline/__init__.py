"""wxpub: a Git-backed publishing pipeline for a school's WeChat Official Accounts."""

__version__ = "0.1.0"

# The policy file's name, here rather than in pipeline.policies so that the command line and
# `lint --changed-since` can name it without importing the policy loader (jsonschema, pygit2)
POLICY_FILE = "policies.yaml"
