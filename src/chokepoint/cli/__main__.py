"""``python -m chokepoint.cli``."""

from chokepoint.cli import main

main()
