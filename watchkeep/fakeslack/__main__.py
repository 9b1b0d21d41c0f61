"""``python -m watchkeep.fakeslack``: run the fake Slack standalone."""

from .server import main

if __name__ == "__main__":
    main()
