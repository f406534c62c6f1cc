"""``photohash-cli``: the engine, headless. One module per command group; this one parses and dispatches.

Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error. Ctrl-C exits quietly with 130,
and a closed pipe (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from engine.errors import PhotoHashError, UsageError

from . import catalog_cmds, dupes, scan, search, train

log = logging.getLogger("photohash")

COMMANDS = (scan, dupes, search, catalog_cmds, train)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("photohash")
    except PackageNotFoundError:  # run from a source folder or a bundle without package metadata
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``, whose number is looked up (importlib.metadata: about 20 ms) only when it is asked for."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--catalog", metavar="PATH", help="catalog file (default: the user data folder's catalog)")
    common.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    common.add_argument("-v", "--verbose", action="store_true", help="log details (and tracebacks) to stderr")
    parser = argparse.ArgumentParser(
        prog="photohash-cli",
        description="Find duplicate and similar photos with binary hash codes, offline.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Linux file names are bytes: one that is not UTF-8 is written out as its own bytes, never a traceback.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args) or 0
    except UsageError as exc:
        log.debug("usage error", exc_info=True)
        print(f"photohash-cli: error: {exc}", file=sys.stderr)
        return 2
    except PhotoHashError as exc:
        log.debug("failed", exc_info=True)
        print(f"photohash-cli: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("photohash-cli: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def run() -> None:
    sys.exit(main())
