#!/bin/sh
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
echo hi > "$d/my notes.txt"
if ! BACKUP_DIR="$d/out" sh ./backup.sh "$d/my notes.txt" 2>/dev/null || [ ! -f "$d/out/my notes.txt" ]; then
    echo "a file name with a space was not backed up"
    exit 3
fi
