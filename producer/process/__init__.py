"""The process boundary: the producer in a process of its own.

:class:`~producer.process.front.ProducerProcess` stands in for the producer in the HTTP
process and starts ``python -m producer.process.main``, which runs the producer; the two talk
in the ``messages`` over the channel of ``ipc``. ``cpus`` decides whether a second process
is worth it.
"""
