"""The conformance harness: the node launcher, the snapshot comparison, the
test context and registry, and the report."""
