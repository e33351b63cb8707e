"""The HTTP service (``python -m producer``): routes, health checks and the API document
(``app``, ``openapi``), and the producer's metrics as CloudWatch embedded-metric-format log
lines (``emf``)."""
