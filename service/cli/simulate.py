"""``liftmind simulate``: write the seeded synthetic demo trace (how fixtures/demo_session was made)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sensors.demo_trace import DEMO_SEED, write_demo_trace
from service.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "simulate",
        help="write the synthetic demo trace",
        description="Write a seeded synthetic Polar H10 workout (HR + RR, ACC at 200 Hz) as a trace folder. "
        "The same seed writes the same bytes.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="trace folder to write (its trace is replaced)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED}, the bundled demo)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise CliError(f"--seed must be >= 0, got {args.seed}")
    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"{args.out} is a file; OUT is the trace folder to write")
    meta = write_demo_trace(args.out, seed=args.seed)
    sets = meta["truth"]["sets"]
    print(f"wrote {args.out}: {len(sets)} sets, {sum(s['reps'] for s in sets)} reps (synthetic)")
    return 0
