#!/bin/sh
# Deletes log files older than 14 days from the directory given as $1.
set -eu
dir="$1"
find "$dir" -name '*.log' -type f -mtime +14 -delete
