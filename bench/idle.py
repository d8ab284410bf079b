"""What an idle pipeline costs: CPU share and RSS of each part of ``newswire up`` with nothing to do.

Starts ``newswire up`` on free ports with a local Apache Kafka (bench/e2e.py's Pipeline), lets it settle,
then measures each process's CPU time over a window and prints it as a share of one core.

    python bench/idle.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from e2e import PARTS, Pipeline
from procstat import cpu_seconds, rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="measured window (default 30)")
    parser.add_argument("--settle", type=float, default=10, help="seconds to wait after ready (default 10)")
    args = parser.parse_args()
    pipeline = Pipeline(Path(tempfile.mkdtemp(prefix="newswire-bench-idle-")))
    try:
        pipeline.wait_ready()
        time.sleep(args.settle)
        pids = pipeline.pids()
        before = {part: cpu_seconds(pid) for part, pid in pids.items()}
        time.sleep(args.seconds)
        after = {part: cpu_seconds(pid) for part, pid in pids.items()}
        shares = []
        for part in PARTS:
            if part in pids and before.get(part) is not None and after.get(part) is not None:
                share = 100 * (after[part] - before[part]) / args.seconds  # type: ignore[operator]
                shares.append(f"{part} {share:.1f} % ({rss_mb(pids[part]) or 0:.0f} MB)")
        print(f"idle newswire up over {args.seconds:g} s, CPU share of one core (RSS): " + ", ".join(shares))
    finally:
        pipeline.stop()


if __name__ == "__main__":
    main()
