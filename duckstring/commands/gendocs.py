"""Moved to `duckstring.reference.gendocs`, beside the generators it runs; this name keeps
`python -m duckstring.commands.gendocs` working for scripts and notes that still say it."""

import sys

from duckstring.reference.gendocs import main

if __name__ == "__main__":
    sys.exit(main())
