"""tally: a tiny bookkeeping helper library, the demo repository for `braid exec`."""
