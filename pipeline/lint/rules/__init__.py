"""Lint rules: each module exposes INFO (its RuleInfo values) and `check(doc)`."""
