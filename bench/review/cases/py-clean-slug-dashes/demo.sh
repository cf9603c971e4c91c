#!/bin/sh
python3 - <<'EOF'
from slug import slugify
assert slugify("Hello,  World!") == "hello-world", slugify("Hello,  World!")
assert slugify("--a--b--") == "a-b"
assert slugify("") == ""
EOF
