"""The bundle's entry point: the same ``main`` that the ``photohash`` command runs."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
