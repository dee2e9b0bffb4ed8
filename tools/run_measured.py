#!/usr/bin/env python3
"""Runs a command, its stdout to a file, and prints "WALL_SECONDS PEAK_RSS_KB" of that run.

Usage: run_measured.py OUTPUT_FILE COMMAND [ARGS...]
Peak RSS is the largest resident set of the command's process tree (getrusage of children).
"""
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "wb") as output:
        start = time.perf_counter()
        status = subprocess.call(sys.argv[2:], stdout=output)
        wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"run_measured: {sys.argv[2]} exited with {status}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{wall:.3f} {peak}")


if __name__ == "__main__":
    main()
