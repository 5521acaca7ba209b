import sys

from privacycam.cli import main

sys.exit(main())
