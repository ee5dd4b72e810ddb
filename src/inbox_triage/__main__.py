"""Allow `python -m inbox_triage`."""

from inbox_triage.cli import main

raise SystemExit(main())
