#!/usr/bin/env python3
"""A domain-log server this project did not write: the second upstream of
scripts/bench-ingest.sh.

The simulator's bytes are what misar-dash's scanner was tuned on; this
server sends the same API (GET /api/domains/{domain}/log/stream, SSE) in
another shape the vendor doc and CONTRACT.md allow:

  - CRLF line ends, an `id:` line per event, no `event:` line (the default
    "message"), `: keepalive` comments between batches;
  - batches as {"data": [...]} with ", " and ": " separators (whitespace
    after every comma and colon), ended by `data: [DONE]`;
  - fields in another order (tags first, timestamp last), timestamps to
    the second ("2026-12-07T05:00:00Z"), `/` escaped as `\\/`, non-ASCII
    escaped as `\\u00e9`;
  - absent optional fields sent as null, and unknown integer fields.

Python standard library only. The stream is built once at start (about as
many bytes as the simulator's) and served from memory, so the server costs
the clients' measurements as little as it can.

The body goes out chunked (HTTP/1.1), or with --http10 as HTTP/1.0 ended
by closing the connection.

Usage: scripts/other-server.py [--port 47901] [--records 500000] [--http10]
Then: curl -sN -H 'Authorization: Bearer any' \\
  'http://127.0.0.1:47901/mail/api/domains/bulk.example.com/log/stream?limit=500000'
"""

import argparse
import datetime
import http.server
import json
import random
import socketserver
import sys
import urllib.parse

BATCH = 1000
FIRST_NAMES = ["ren\u00e9e", "zo\u00eb", "jos\u00e9", "anna", "li", "omar", "sven", "mei",
               "fran\u00e7ois", "aarav", "chlo\u00e9", "noah", "hiroshi", "ines", "kofi"]
LAST_NAMES = ["martin", "garc\u00eda", "novak", "kim", "okafor", "silva", "m\u00fcller",
              "chen", "dubois", "patel", "rossi", "sato", "larsen", "nguyen"]
PROVIDERS = ["gmail.com", "outlook.com", "yahoo.co.jp", "web.de", "orange.fr",
             "proton.me", "icloud.com", "comcast.net", "gmx.de", "libero.it"]
SENDERS = ["news@bulk.example.com", "orders@bulk.example.com", "caf\u00e9@bulk.example.com",
           "support@bulk.example.com"]
SUBJECTS = ["Caf\u00e9 news: our autumn blend", "Your order #{n} has shipped",
            "50/50 sale ends tonight", "R\u00e9sum\u00e9 tips for {m}",
            "Your receipt from Example Shop (#{n})", "Weekly digest \u2014 5 stories",
            "Password reset requested", "We miss you, here's 20% off"]
TAG_SETS = [["newsletter", "weekly"], ["transactional", "receipt"], ["promo", "sale/autumn"],
            ["transactional"], [], ["newsletter", "caf\u00e9"]]
TYPES = (["delivered"] * 40 + ["opened"] * 18 + ["queued"] * 14 + ["clicked"] * 6
         + ["deferred"] * 5 + ["bounced"] * 5 + ["temporary_fail"] * 3
         + ["permanent_fail"] * 2 + ["failed"] * 2 + ["unsubscribed"] * 2 + ["complained"])
SMTP = {
    "delivered": "250 2.0.0 OK  {q} {s} - gsmtp",
    "bounced": "550 5.1.1 <{r}>: Recipient address rejected",
    "permanent_fail": "554 5.7.1 Service unavailable; client host [{ip}] blocked",
    "failed": "550 5.7.1 Message rejected: see https://support.example/550/",
    "deferred": "421 4.7.0 Try again later, closing connection. (EHLO) {s}",
    "temporary_fail": "452 4.2.2 Mailbox full",
}
AGENTS = ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
          "GoogleImageProxy", "Thunderbird/115.9"]


def record(rng, i, start):
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    recipient = f"{first}.{last}{rng.randrange(100)}@{rng.choice(PROVIDERS)}"
    event = rng.choice(TYPES)
    n = rng.randrange(10000, 99999)
    ip = f"203.0.113.{rng.randrange(1, 255)}"
    smtp = SMTP.get(event)
    opened = event in ("opened", "clicked")
    when = start + datetime.timedelta(seconds=i // 3)
    # Another order than the simulator's: tags first, timestamp last.
    return {
        "tags": rng.choice(TAG_SETS),
        "recipient": recipient,
        "event_type": event,
        "subject": rng.choice(SUBJECTS).format(n=n, m=last),
        "sender": rng.choice(SENDERS),
        "message_id": f"<{n:x}.{i}@mx.bulk.example.com>",
        "smtp_response": smtp.format(q=1700000000 + i, s=f"x{n:x}si", r=recipient, ip=ip)
        if smtp else None,
        "ip": ip if opened or smtp else None,
        "user_agent": rng.choice(AGENTS) if opened else None,
        "url": f"https://shop.example.com/p/{n}?utm_source=mail" if event == "clicked" else None,
        "attempt": rng.randrange(1, 4),
        "size_bytes": rng.randrange(2000, 90000),
        "id": f"evt_{i:09d}",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def build(count):
    rng = random.Random(20261207)
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) \
        - datetime.timedelta(seconds=count // 3)
    parts = []
    for batch_start in range(0, count, BATCH):
        records = [record(rng, i, start) for i in range(batch_start, min(count, batch_start + BATCH))]
        # ensure_ascii escapes é as \u00e9; `/` is escaped by hand, as some
        # encoders (PHP's, Go's html-safe one) do.
        data = json.dumps({"data": records}, ensure_ascii=True).replace("/", "\\/")
        parts.append(f"id: {batch_start // BATCH}\r\ndata: {data}\r\n\r\n".encode())
        if batch_start // BATCH % 50 == 49:
            parts.append(b": keepalive\r\n\r\n")
    return parts


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 with a chunked body, as SSE servers and the proxies before
    # them send it; --http10 sends HTTP/1.0 with the body ended by closing
    # the connection (hyper, under reqwest, reads such a body 8 KiB at a
    # time: see BENCHMARKS.md).
    protocol_version = "HTTP/1.1"
    chunked = True
    streams = {}  # limit -> prebuilt bytes

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if not url.path.endswith("/log/stream") or "/api/domains/" not in url.path:
            self.send_error(404, "not found")
            return
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            body = b'{"error": "unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        query = urllib.parse.parse_qs(url.query)
        try:
            limit = int(query.get("limit", ["50000"])[0])
        except ValueError:
            limit = 50000
        limit = max(1, min(limit, self.server.records))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-RateLimit-Limit", "120")
        self.send_header("X-RateLimit-Remaining", "119")
        self.send_header("Connection", "close")
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        body = self.server.stream_for(limit)
        view = memoryview(body)
        for at in range(0, len(view), 1 << 20):
            piece = view[at:at + (1 << 20)]
            if self.chunked:
                self.wfile.write(b"%x\r\n" % len(piece))
                self.wfile.write(piece)
                self.wfile.write(b"\r\n")
            else:
                self.wfile.write(piece)
        if self.chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, batches, records):
        super().__init__(address, Handler)
        self.batches = batches
        self.records = records
        self.cache = {}

    def stream_for(self, limit):
        if limit not in self.cache:
            whole, rest = divmod(limit, BATCH)
            parts = [p for p in self.batches if not p.startswith(b":")]
            body = [b": misar-dash bench: another server\r\n\r\n"]
            for n, part in enumerate(parts[:whole]):
                body.append(part)
                if n % 50 == 49:
                    body.append(b": keepalive\r\n\r\n")
            if rest:
                text = part_records(parts[whole], rest)
                body.append(text)
            body.append(b"data: [DONE]\r\n\r\n")
            self.cache[limit] = b"".join(body)
        return self.cache[limit]


def part_records(part, n):
    """The first `n` records of a prebuilt batch, as a batch of their own."""
    text = part.decode()
    line = text.split("\r\n")[1]
    data = json.loads(line[len("data: "):])
    short = json.dumps({"data": data["data"][:n]}, ensure_ascii=True).replace("/", "\\/")
    return f"data: {short}\r\n\r\n".encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=47901)
    parser.add_argument("--records", type=int, default=500000)
    parser.add_argument("--http10", action="store_true",
                        help="HTTP/1.0, the body ended by closing the connection")
    args = parser.parse_args()
    if args.http10:
        Handler.protocol_version = "HTTP/1.0"
        Handler.chunked = False
    batches = build(args.records)
    server = Server(("127.0.0.1", args.port), batches, args.records)
    total = sum(len(p) for p in batches)
    print(f"other-server: {args.records} records, {total} bytes, "
          f"on http://127.0.0.1:{args.port}/mail", flush=True)
    print("Serving until interrupted", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
