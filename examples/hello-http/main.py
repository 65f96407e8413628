"""A small HTTP agent that needs no outside service: it answers every request with a greeting and the
forwarding headers the gateway added, and logs each request. `make run` deploys it."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = os.environ.get("GREETING", "hello")
# A secret from the namespace's orch-secrets; the runner masks its value in the logs.
TOKEN = os.environ.get("HELLO_TOKEN", "")


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "greeting": GREETING,
            "path": self.path,
            "forwarded": {h: self.headers[h] for h in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host") if self.headers[h]},
            "replica": os.environ.get("HOSTNAME", ""),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("request: " + fmt % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "3000"))
    print(f"hello agent listening on :{port}, greeting {GREETING!r}, token {TOKEN}", flush=True)
    sys.stdout.flush()
    ThreadingHTTPServer(("0.0.0.0", port), Hello).serve_forever()
