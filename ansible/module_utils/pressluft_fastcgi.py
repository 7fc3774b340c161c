# A minimal FastCGI client for one request to an environment's PHP-FPM pool socket. The
# WordPress helper runs through the pool (not the PHP CLI) so it runs as the site user under
# the pool's own limits, and so the code it loads is compiled into the pool's opcache, which
# makes the site's first real request fast.
from __future__ import annotations

import socket
import struct

_VERSION = 1
_BEGIN_REQUEST, _END_REQUEST, _PARAMS, _STDIN, _STDOUT = 1, 3, 4, 5, 6
_RESPONDER = 1
_REQUEST_ID = 1
_MAX_CONTENT = 65535


class FastCgiError(Exception):
    """The pool could not be reached or broke the protocol."""


def _record(kind, content=b''):
    header = struct.pack('!BBHHBx', _VERSION, kind, _REQUEST_ID, len(content), 0)
    return header + content


def _stream(kind, data):
    """A stream's records, ending with the empty record that closes it."""
    chunks = [_record(kind, data[i:i + _MAX_CONTENT]) for i in range(0, len(data), _MAX_CONTENT)]
    return b''.join(chunks) + _record(kind)


def _length(n):
    return struct.pack('!B', n) if n < 128 else struct.pack('!I', n | 0x80000000)


def _params(params):
    body = b''
    for name, value in params.items():
        n, v = name.encode('utf-8'), str(value).encode('utf-8')
        body += _length(len(n)) + _length(len(v)) + n + v
    return body


def _read_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise FastCgiError('the pool closed the connection mid-response')
        data += chunk
    return data


def request(socket_path, params, body=b'', timeout=600):
    """Sends one request; returns (status, body bytes). What PHP writes to stderr goes to the pool's log."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(socket_path)
        except OSError as err:
            raise FastCgiError('cannot connect to %s: %s' % (socket_path, err)) from err
        params = dict(params, CONTENT_LENGTH=len(body))
        sock.sendall(_record(_BEGIN_REQUEST, struct.pack('!HB5x', _RESPONDER, 0))
                     + _stream(_PARAMS, _params(params)) + _stream(_STDIN, body))
        stdout = b''
        while True:
            _, kind, _, length, padding = struct.unpack('!BBHHBx', _read_exact(sock, 8))
            content = _read_exact(sock, length + padding)[:length]
            if kind == _STDOUT:
                stdout += content
            elif kind == _END_REQUEST:
                break
    except socket.timeout as err:
        raise FastCgiError('no answer from %s within %d s' % (socket_path, timeout)) from err
    finally:
        sock.close()
    head, _, payload = stdout.partition(b'\r\n\r\n')
    status = 200
    for line in head.decode('latin-1').split('\r\n'):
        name, _, value = line.partition(':')
        if name.strip().lower() == 'status':
            status = int(value.split()[0])
    return status, payload
