#!/bin/sh
[ "$(sh ./greet.sh)" = "hello, world" ]
[ "$(sh ./greet.sh ann)" = "hello, ann" ]
sh ./greet.sh --help | grep -q usage
if sh ./greet.sh -x 2>/dev/null; then exit 1; fi
