#!/bin/sh
python3 - <<'EOF'
import sys
from notes import make_note
make_note("a")
second = make_note("b")
if second["tags"] != ["note"]:
    print("second note's tags:", second["tags"])
    sys.exit(3)
EOF
