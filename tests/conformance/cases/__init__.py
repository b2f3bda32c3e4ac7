"""One module per recorded snapshot file; each function reproduces the calls of
one recorded test (named by its key) and matches the answers."""
