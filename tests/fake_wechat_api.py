"""A stand-in for WeChat's API on loopback: issues access tokens and records the
customer-service and template messages it is asked to send."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List
from urllib.parse import parse_qs, urlparse


class FakeWeChatAPI:
    def __init__(self) -> None:
        self.sent: List[dict] = []
        self.templates: List[dict] = []  # template messages (reminders)
        self.token_requests = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if urlparse(self.path).path.endswith("/token"):
                    api.token_requests += 1
                    self._json({"access_token": "FAKE_TOKEN", "expires_in": 7200})
                else:
                    self._json({"errcode": 404, "errmsg": "no such api"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if url.path.endswith("/message/custom/send"):
                    if parse_qs(url.query).get("access_token") != ["FAKE_TOKEN"]:
                        self._json({"errcode": 40001, "errmsg": "invalid credential"})
                        return
                    if body.get("touser") == "o45015":  # the customer wrote more than 48 hours ago
                        self._json({"errcode": 45015, "errmsg": "response out of time limit"})
                        return
                    api.sent.append(body)
                    self._json({"errcode": 0, "errmsg": "ok"})
                elif url.path.endswith("/message/template/send"):
                    if parse_qs(url.query).get("access_token") != ["FAKE_TOKEN"]:
                        self._json({"errcode": 40001, "errmsg": "invalid credential"})
                        return
                    if body.get("touser") == "o43004":  # the customer no longer follows the account
                        self._json({"errcode": 43004, "errmsg": "require subscribe"})
                        return
                    api.templates.append(body)
                    self._json({"errcode": 0, "errmsg": "ok", "msgid": len(api.templates)})
                else:
                    self._json({"errcode": 404, "errmsg": "no such api"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeWeChatAPI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def templates_to(self, openid: str) -> List[dict]:
        return [m for m in self.templates if m.get("touser") == openid]

    def texts_to(self, openid: str) -> List[str]:
        return [m["text"]["content"] for m in self.sent if m.get("touser") == openid and m.get("msgtype") == "text"]
