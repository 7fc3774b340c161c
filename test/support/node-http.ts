import http from 'node:http';

export interface NodeAnswer { status: number; headers: http.IncomingHttpHeaders; body: string }

/**
 * GET from this machine's web server with a preview host as `Host`, the way the agent checks
 * (Node cannot resolve *.localhost here; curl and Chromium can).
 */
export function getFromNode(previewUrl: string, path = '/'): Promise<NodeAnswer> {
  const url = new URL(previewUrl);
  const port = url.port ? Number(url.port) : 80;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host: url.host }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${previewUrl}${path} timed out`)));
    req.on('error', reject);
  });
}

/** The `home` of WordPress's REST index, as served for this preview host. */
export async function wordpressHome(previewUrl: string): Promise<string | null> {
  const answer = await getFromNode(previewUrl, '/?rest_route=/');
  if (answer.status !== 200) return null;
  try {
    return (JSON.parse(answer.body) as { home?: string }).home ?? null;
  } catch {
    return null;
  }
}
