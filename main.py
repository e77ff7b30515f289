"""Start NN Studio from a source checkout: ``python main.py [project]``."""

import sys

from nnstudio.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
