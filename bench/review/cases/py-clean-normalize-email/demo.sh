#!/bin/sh
python3 - <<'EOF'
from accounts import signup, login
signup(" Ann@Example.com ", "pw")
assert login("ann@example.com", "pw")
assert not login("ann@example.com", "nope")
EOF
