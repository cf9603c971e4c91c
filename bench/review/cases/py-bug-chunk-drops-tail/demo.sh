#!/bin/sh
python3 - <<'EOF'
import sys
from batching import chunk
got = chunk([1, 2, 3, 4, 5], 2)
if got != [[1, 2], [3, 4], [5]]:
    print("chunk([1..5], 2) =", got)
    sys.exit(3)
EOF
