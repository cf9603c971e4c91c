#!/bin/sh
# Copies a file into the backup directory given by BACKUP_DIR.
set -eu
dest="${BACKUP_DIR:?set BACKUP_DIR}"
mkdir -p "$dest"
cp -- "$1" "$dest/"
