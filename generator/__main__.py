import sys

from generator.cli_fast import run

status = run(sys.argv[1:])  # verify and hook, without importing click
if status is not None:
    sys.exit(status)

from generator.cli import main  # noqa: E402

main(prog_name="python -m generator")
