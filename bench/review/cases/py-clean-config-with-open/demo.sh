#!/bin/sh
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf '{"a": 1}' > "$d/good.json"
printf '{"a": ' > "$d/bad.json"
python3 - "$d" <<'EOF'
import sys
from config import load_config, ConfigError
d = sys.argv[1]
assert load_config(d + "/good.json") == {"a": 1}
try:
    load_config(d + "/bad.json")
except ConfigError as err:
    assert "bad.json" in str(err)
else:
    raise AssertionError("no error for bad JSON")
EOF
