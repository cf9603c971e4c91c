#!/bin/sh
# Prints the total number of lines in the files given as arguments.
total=0
for f in $@; do
    n=$(wc -l < $f)
    total=$((total + n))
done
echo $total
