"""Sandbox at scale: generate 100,000 learners, then time the learners action.

Targets: generation well under 30 s, peak RSS well under 1 GB, the learners action
answering in about a second or less. Run: ``.venv/bin/python benchmarks/sandbox_scale.py``.
"""

from __future__ import annotations

import argparse
import resource
import time

import anyio
import httpx

from ao_mcp.sandbox import Sandbox, SandboxConfig


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


async def time_learners(sandbox: Sandbox, rounds: int) -> list[tuple[str, float, int]]:
    config = sandbox.config
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url=config.base_url, timeout=120) as client:
        auth = await client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "",
                                                       "client_id": config.client_id,
                                                       "client_secret": config.client_secret})
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        timings = []
        for label in ["first call", *["repeat (cached)"] * (rounds - 1), "after 100 activity steps"]:
            if label.startswith("after"):
                await sandbox.simulate_activity(100)  # writes: the answer is rebuilt
            started = time.perf_counter()
            response = await client.post("/api/v1/", data={"action": "learners"}, headers=headers)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            timings.append((label, elapsed, len(response.content)))
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    sandbox = Sandbox(SandboxConfig(learners=args.learners))
    generation = time.perf_counter() - started
    print(f"learners:            {len(sandbox.state.learners):,}")
    print(f"generation:          {generation:.2f} s")
    print(f"peak RSS after gen:  {peak_rss_mb():.0f} MB")
    for label, elapsed, size in anyio.run(time_learners, sandbox, args.rounds):
        print(f"learners action, {label}: {elapsed:.2f} s ({size / 1e6:.1f} MB of JSON)")
    print(f"peak RSS overall:    {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
