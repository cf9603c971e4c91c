#!/bin/sh
python3 - <<'EOF'
import sys
from net import retry
def always_fails():
    raise ConnectionError("down")
try:
    result = retry(always_fails, attempts=2)
except ConnectionError:
    sys.exit(0)
print("retry returned", result, "instead of raising")
sys.exit(3)
EOF
