"""Tools for a developer's machine: ``python -m producer.tools.local`` runs the service end to
end against a local Kinesis-compatible server; ``python -m producer.tools.consume`` reads a
stream back, deaggregated."""
