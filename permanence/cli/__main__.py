"""`python -m permanence.cli`: the command line where the `permanence` script is not on the PATH."""

from permanence.cli import main

main()
