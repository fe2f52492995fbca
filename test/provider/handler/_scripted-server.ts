import * as http from 'http';
import { AddressInfo } from 'net';

/** One scripted answer: a status, a body, headers, an optional delay before answering. */
export interface ScriptedResponse {
  readonly status: number;
  /** @default - Node's text for the status (`Bad Gateway`) */
  readonly statusText?: string;
  readonly body?: string;
  readonly headers?: { readonly [name: string]: string };
  readonly delayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A local HTTP server that answers with the given responses in order (the last one repeats) and
 * records what it received. For the client's own tests, independent of the emulator.
 */
export async function startScriptedServer(responses: ScriptedResponse[]) {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = responses[Math.min(requests.length - 1, responses.length - 1)];
      const send = () => {
        if (res.destroyed) return;
        const headers = { 'Content-Type': 'application/json', ...answer.headers };
        if (answer.statusText === undefined) res.writeHead(answer.status, headers);
        else res.writeHead(answer.status, answer.statusText, headers);
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
