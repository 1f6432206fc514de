"""``python -m chassisctl`` runs the same entry point as the console script."""

from chassisctl.cli.entry import main

raise SystemExit(main())
