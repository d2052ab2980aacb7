"""Built-in rule files: one YAML file per timeline. This module only locates them."""

from pathlib import Path

BUILTIN_RULES_DIR = Path(__file__).parent
