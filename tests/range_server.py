"""A local HTTP server that answers ``Range`` requests, as object stores and web servers do, for the remote-raster
tests. Run in its own process (GDAL holds the GIL while it reads, so a server thread in the test's process would
never answer): ``python -m tests.range_server FOLDER``; prints its port, logs each request's range to
FOLDER/ranges.log."""

from __future__ import annotations

import http.server
import re
import sys
from pathlib import Path


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the files of its folder, whole or by one ``bytes=a-b`` range."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self._answer(body=True)

    def do_HEAD(self):  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        asked = self.headers.get("Range")
        with open(Path(self.directory) / "ranges.log", "a") as log:
            log.write(f"{self.command} {self.path} {asked}\n")
        found = re.fullmatch(r"bytes=(\d+)-(\d*)", asked or "")
        if found:
            start, end = int(found[1]), min(int(found[2] or len(data) - 1), len(data) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            data = data[start:end + 1]
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, *args) -> None:  # quiet
        pass


if __name__ == "__main__":
    folder = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             lambda *a, **k: RangeHandler(*a, directory=folder, **k))
    print(server.server_address[1], flush=True)
    server.serve_forever()
