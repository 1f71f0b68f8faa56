"""Feed a raw SSE body through the decoder and an adapter's parser, as the probe does."""

from monitor.probing.providers.base import Garbage, SSEDecoder, StreamEvent, StreamParser


def parse_stream(parser: StreamParser, body: str, chunk_size: int = 7) -> list[StreamEvent]:
    """Events from a body delivered in small chunks, so events split across reads."""
    decoder = SSEDecoder()
    raw = body.encode()
    events: list[StreamEvent] = []
    items = []
    for start in range(0, len(raw), chunk_size):
        items.extend(decoder.feed(raw[start : start + chunk_size]))
    items.extend(decoder.close())
    for item in items:
        if isinstance(item, Garbage):
            events.append(item)
        else:
            events.extend(parser.feed(*item))
    end = parser.close()
    if end is not None:
        events.append(end)
    return events


def text_of(events: list[StreamEvent]) -> str:
    return "".join(getattr(event, "text", "") for event in events)
