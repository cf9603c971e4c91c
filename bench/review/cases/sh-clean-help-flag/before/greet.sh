#!/bin/sh
# Greets the person named in $1.
set -eu
name="${1:-world}"
echo "hello, $name"
