"""A processor worker with its rules switched off: what everything around the rules costs (bench only).

    python bench/worker_without_rules.py [newswire options] processor --bootstrap HOST:PORT ...

The same command as ``newswire``, with one difference: each raw record is decoded and validated
against the schema and its entry is built, encoded and sent exactly as the real worker does, but
without normalising, deduplicating, versioning or enriching it (every entry is version 1 of a
create, with the story's next seq, and its text as it came). ``bench/processors.py`` runs it on
the same backlog as the real worker: entries/s and CPU per entry here are the ceiling that faust,
aiokafka, the event model and the broker leave to the rules on this machine.
"""

from __future__ import annotations

import sys

from newswire.cli import main
from newswire.processors import pipeline
from newswire.schemas import DeadLetterSource, Entry, SchemaError, decode_raw

#: Stands for the content fingerprint, which the rules compute (32 hex digits, as the model requires).
_NO_FINGERPRINT = "0" * 32


def _handle_without_rules(
    self: pipeline.Processor, key: bytes | None, value: bytes | None, source: DeadLetterSource
) -> pipeline.Outcome:
    now = self.clock()
    try:
        raw = decode_raw(value or b"")
    except SchemaError as exc:
        return pipeline.Outcome(dead_letter=pipeline.dead_letter(str(exc), value or b"", source, key, now))
    story = pipeline.next_seq(self.state(source.partition).stories.get(raw.story), self.epoch_factory)
    entry = Entry(id=raw.entry.id or "", story=raw.story, version=1, op="create", seq=story["seq"],
                  epoch=story["epoch"], ts=raw.ts, published_at=raw.entry.published_at or now,
                  body_text=raw.entry.body_text or "", body_html=raw.entry.body_html or "",
                  fingerprint=_NO_FINGERPRINT, source=raw.source)  # fmt: skip
    return pipeline.Outcome(entry=entry, partition=source.partition)


if __name__ == "__main__":
    pipeline.Processor._handle = _handle_without_rules  # type: ignore[method-assign]
    sys.exit(main())
