"""``python -m pynn_bss2.compare [options] SCRIPT [args]`` is ``pynn-bss2 compare ...``."""
import sys

from .cli import main

sys.exit(main(["compare", *sys.argv[1:]]))
