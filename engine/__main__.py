import sys

from posetalk.cli import main

if __name__ == "__main__":  # not when a spawned child process imports the parent's main module
    sys.exit(main())
