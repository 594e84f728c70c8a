import argparse
import os
import sys

from . import DEFAULT_PORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="The activeactive local cloud.")
    parser.add_argument("command", choices=["serve", "up", "down"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCALCLOUD_PORT", DEFAULT_PORT)))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--log-file")
    args = parser.parse_args(argv)

    from . import server

    if args.command == "serve":
        server.serve(args.port, args.host, args.log_file)
        return 0
    if args.command == "up":
        return server.up(args.port, args.host)
    return server.down(args.port, args.host)


if __name__ == "__main__":
    sys.exit(main())
