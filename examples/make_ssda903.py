"""Writes examples/ssda903/: a SYNTHETIC SSDA903 return (made-up children, no real child) for the
README's tour, from the seeded generator permanence.ssda903.synthetic, cut into the annual returns
a council submits (2019-20 to 2025-26), each in a folder of its own.

    python examples/make_ssda903.py
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from permanence.ssda903 import synthetic

CHILDREN = 80
SEED = 911


def main() -> None:
    folder = Path(__file__).resolve().parent / "ssda903"
    extract = synthetic.extract(CHILDREN, seed=SEED, last=date(2026, 3, 31), years=5)
    returns = synthetic.annual_returns(extract, date(2020, 3, 31), date(2026, 3, 31))
    for label, children in returns.items():
        if not children:
            continue
        for name, content in synthetic.tables_csv(children).items():
            path = folder / label / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    print(f"Wrote {len(returns)} annual returns of {CHILDREN} synthetic children into {folder}")


if __name__ == "__main__":
    main()
