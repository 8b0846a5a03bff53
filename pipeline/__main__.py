import sys

from pipeline.cli import main

# guarded: importing this module (as multiprocessing's "spawn" does) must not run a command
if __name__ == "__main__":
    sys.exit(main())
