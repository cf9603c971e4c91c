#!/bin/sh
python3 - <<'EOF'
import sys
from users import connect, add_user, find_user
db = connect(":memory:")
add_user(db, "ann", "ann@example.com")
add_user(db, "bob", "bob@example.com")
rows = find_user(db, "x' OR '1'='1")
if rows:
    print("injected name matched", rows)
    sys.exit(3)
EOF
