"""Bodies over the limit refused at daphne's socket, for `manage.py serve`.

daphne offers no limit of its own, and its Twisted request receives a whole body (in a
temporary file past 100 kB) before daphne calls the application, which then gets it all
queued in memory at once. So `serve` gives daphne's HTTP channels a request class that
answers 413 as soon as the headers declare a Content-Length over the limit, or as soon as a
chunked body's count passes it, and from then on reads and drops the rest of the body
(holding none of it) until the client stops sending; then it closes the connection. A
client that waits for "100 Continue" gets the 413 instead. The limit and the copy are
`dreamsite.body_limit`'s.

Every daphne and Twisted internal this relies on is here: `WebRequest` (daphne's request
class, set by its `HTTPFactory.buildProtocol`), and Twisted's `Request.gotLength` /
`handleContentChunk` / `process` and `HTTPChannel._path` (the request line's target, known
before the body is).
"""

from io import BytesIO
from typing import Any

from daphne.http_protocol import HTTPFactory, WebRequest

from dreamsite.body_limit import REASON, STATUS, over_limit, refusal


class BoundedWebRequest(WebRequest):
    refused = False
    body_bytes = 0

    def gotLength(self, length: int | None) -> None:
        if length is not None and over_limit(length):
            # The answer is final: no "100 Continue" for a client that waits for one.
            self.requestHeaders.removeHeader(b"Expect")
            self.refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self.body_bytes += len(data)
        if over_limit(self.body_bytes):
            self.refuse()
            return
        super().handleContentChunk(data)

    def process(self) -> Any:
        if self.refused:
            # The whole body has been read and dropped; the answer went out before it.
            self.channel.transport.loseConnection()
            return None
        return super().process()

    def refuse(self) -> None:
        self.refused = True
        self.content = BytesIO()  # drops what was kept; Twisted still reads it at the end
        target = getattr(self.channel, "_path", b"").decode("latin-1")
        content_type, body = refusal(target.partition("?")[0])
        self.channel.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (STATUS, REASON, content_type, len(body), body)
        )


def bound_request_bodies(factory: HTTPFactory) -> None:
    """Make the channels `factory` builds from now on use `BoundedWebRequest`. Call it
    before the reactor runs (daphne's `ready_callable`): no connection is accepted before."""
    build = factory.buildProtocol

    def build_bounded(addr: Any) -> Any:
        protocol = build(addr)
        if protocol is not None:
            protocol.requestFactory = BoundedWebRequest
        return protocol

    factory.buildProtocol = build_bounded
