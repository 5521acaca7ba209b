"""The command line: :func:`privacycam.cli.main.main` and one module per subcommand."""

from privacycam.cli.main import main

__all__ = ["main"]
