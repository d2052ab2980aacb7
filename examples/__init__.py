"""Sample CSV files (made-up children) for the tour and the demo. This module only locates them."""

from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent
