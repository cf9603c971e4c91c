#!/bin/sh
unset HTTP_TIMEOUT
python3 - <<'EOF'
import sys
from http_settings import timeout_seconds
try:
    timeout_seconds()
except TypeError as err:
    print("unset HTTP_TIMEOUT:", err)
    sys.exit(3)
EOF
