"""``python -m nnstudio``: the command line (no arguments opens the GUI)."""

from nnstudio.cli import main

raise SystemExit(main())
