"""The library: a Kinesis producer with the KPL's pipeline, usable without HTTP.

Records arrive at :class:`~producer.kinesis.core.KinesisProducer`, are admitted
(``admission``), aggregated per shard (``aggregator``, ``shard_map``), collected into
PutRecords calls (``collector``, ``put_records``) within each shard's limits (``limiter``),
retried (``retrier``) and settled (``completion``); with a spool directory they are written
ahead to disk first (``spool``, ``spooling``). ``records``, ``config``, ``health`` and
``metrics`` are the vocabulary every stage shares.
"""
