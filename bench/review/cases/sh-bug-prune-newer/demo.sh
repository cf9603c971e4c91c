#!/bin/sh
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
touch "$d/new.log"
touch -d '30 days ago' "$d/old.log"
sh ./prune-logs.sh "$d" 14
if [ ! -f "$d/new.log" ] || [ -f "$d/old.log" ]; then
    echo "pruning removed the wrong logs:"; ls "$d"
    exit 3
fi
