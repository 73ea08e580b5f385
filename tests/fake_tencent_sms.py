"""A local fake of Tencent Cloud's SMS API (SendSms, API 2021-01-11), on loopback.

It checks what the real one checks first, the TC3-HMAC-SHA256 signature with the secret
key, and answers as the real one does; each request it accepted is kept for the test.
"""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class FakeTencentSms:
    def __init__(self, secret_id: str, secret_key: str, status_code: str = "Ok") -> None:
        self.secret_id, self.secret_key, self.status_code = secret_id, secret_key, status_code
        self.requests: List[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not fake.signature_valid(self.command, self.path, dict(self.headers), body):
                    answer = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                     "Message": "signature mismatch"}, "RequestId": "fake-1"}}
                elif self.headers.get("X-TC-Action") != "SendSms":
                    answer = {"Response": {"Error": {"Code": "InvalidAction", "Message": "?"}, "RequestId": "x"}}
                else:
                    params = json.loads(body)
                    fake.requests.append({"headers": dict(self.headers), "params": params})
                    answer = {"Response": {"SendStatusSet": [
                        {"SerialNo": "2645:fake", "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
                         "Code": fake.status_code, "Message": "send success", "IsoCode": "CN"}
                        for phone in params.get("PhoneNumberSet", [])], "RequestId": "fake-2"}}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"

    def signature_valid(self, method: str, path: str, headers: dict, body: bytes) -> bool:
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            scheme, rest = headers["authorization"].split(" ", 1)
            parts = dict(part.strip().split("=", 1) for part in rest.split(","))
            secret_id, date, service, _ = parts["Credential"].split("/")
        except (KeyError, ValueError):
            return False
        if scheme != "TC3-HMAC-SHA256" or secret_id != self.secret_id:
            return False
        signed = parts["SignedHeaders"].split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
        path_only, _, query = path.partition("?")
        canonical = "\n".join([method, path_only or "/", query, canonical_headers, parts["SignedHeaders"],
                               hashlib.sha256(body).hexdigest()])
        scope = f"{date}/{service}/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", headers.get("x-tc-timestamp", ""), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), service), "tc3_request")
        return hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), parts["Signature"])

    def __enter__(self) -> "FakeTencentSms":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
