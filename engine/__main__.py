import sys

from posetalk.cli import main

sys.exit(main())
