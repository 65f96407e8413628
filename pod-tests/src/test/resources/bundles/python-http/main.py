# An HTTP agent on $PORT that echoes what the gateway forwarded.
import http.server
import os


class Echo(http.server.BaseHTTPRequestHandler):
    def reply(self, text):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply("python agent path=%s host=%s xff=%s xfproto=%s" % (
            self.path, self.headers.get("Host"), self.headers.get("X-Forwarded-For"),
            self.headers.get("X-Forwarded-Proto")))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.reply("echo:" + self.rfile.read(length).decode())


print("python agent listening on", os.environ["PORT"], flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Echo).serve_forever()
