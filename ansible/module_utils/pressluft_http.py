# The reachability check of an environment, from the node: the REST index through nginx and
# PHP-FPM with the preview host must answer 200 with its X-Pressluft-Environment header and
# name the preview URL as home.
from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request

from ansible.module_utils.pressluft_system import read_regular_file


def host_header(host, port):
    return host if port == 80 else '%s:%d' % (host, port)


# Answers that a reload in progress can explain; anything else fails at once.
TRANSIENT = {0, 502, 503, 504}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(port, host, path, method='GET'):
    """(status, headers, body) of a request to the node's nginx; status 0 when nothing answered."""
    req = urllib.request.Request('http://127.0.0.1:%d%s' % (port, path), method=method,
                                 headers={'Host': host, 'User-Agent': 'pressluft-check'})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(req, timeout=15) as resp:
            return resp.status, resp.headers, resp.read(200_000).decode('utf-8', 'replace')
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read(4000).decode('utf-8', 'replace')
    except OSError as err:
        return 0, {}, str(err)


def excerpt(body):
    """The readable text of an answer (WordPress error pages are mostly CSS)."""
    text = re.sub(r'(?is)<(style|script|head)\b.*?</\1>', ' ', body)
    text = html.unescape(re.sub(r'(?s)<[^>]+>', ' ', text))
    return ' '.join(text.split())[:400]


def log_tail(path, entries=3):
    """The last PHP errors (first line of each entry; stack traces are left out): WordPress's
    own error page only says "critical error"."""
    if not path:
        return ''
    try:  # the site's file: a link it planted there is not followed
        lines = read_regular_file(path, limit=20000)[1].decode('utf-8', 'replace').splitlines()
    except OSError:
        return ''
    heads = [line[:300] for line in lines if line.startswith('[')][-entries:]
    return ('\nPHP error log (%s):\n' % path + '\n'.join(heads)) if heads else ''


def check_once(env_id, host, port, preview_url):
    """One request proves the whole chain: nginx routes the host to this environment (header),
    PHP-FPM runs WordPress against its database (200 + JSON), and home is the preview URL."""
    status, headers, body = fetch(port, host, '/?rest_route=/')
    got = headers.get('X-Pressluft-Environment')
    if got != env_id:
        return 0, 'GET /?rest_route=/ as %s answered %s with X-Pressluft-Environment %r, expected %s' % (
            host, status or 'nothing', got, env_id)
    if status != 200:
        return status, 'GET /?rest_route=/ as %s answered %s: %s' % (host, status, excerpt(body))
    try:
        home = json.loads(body).get('home')
    except (ValueError, AttributeError):
        return 1, 'GET /?rest_route=/ as %s is not WordPress JSON: %s' % (host, excerpt(body))
    if home != preview_url:
        return 1, 'WordPress home is %r, expected %s' % (home, preview_url)
    return None, None
