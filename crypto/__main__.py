"""``python -m crypto verify|open|fingerprint``: see :mod:`crypto.cli`."""

from crypto.cli import main

raise SystemExit(main())
