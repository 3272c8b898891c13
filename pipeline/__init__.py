"""wxpub: a Git-backed publishing pipeline for a school's WeChat Official Accounts."""

__version__ = "0.1.0"
