"""``python -m kam.cli``: the same command as the ``kam`` script."""

from kam.cli import main

main()
