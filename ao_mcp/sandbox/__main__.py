"""``python -m ao_mcp.sandbox``: serve a sandbox on a local port (for benchmarks and manual tries)."""

from __future__ import annotations

import argparse
import contextlib
import logging

import anyio

from ao_mcp.sandbox import SandboxConfig, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ao_mcp.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--academies", type=int, default=3)
    parser.add_argument("--activity-interval", type=float, default=0.0,
                        help="seconds between simulated learner actions (0: off)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = SandboxConfig(seed=args.seed, learners=args.learners, academies=args.academies,
                           activity_interval=args.activity_interval)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop it
        anyio.run(serve, config, args.host, args.port)


if __name__ == "__main__":
    main()
