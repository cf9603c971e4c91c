#!/bin/sh
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf 'a\nb\n' > "$d/a b.txt"
printf 'c\n' > "$d/c.txt"
[ "$(sh ./count-lines.sh "$d/a b.txt" "$d/c.txt")" = 3 ]
