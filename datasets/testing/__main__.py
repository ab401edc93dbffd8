"""``python -m tunebench.datasets.testing``: the kit's command line (see :func:`.cli.main`)."""

from __future__ import annotations

from tunebench.datasets.testing.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
