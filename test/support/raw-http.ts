/**
 * Requests to the agent's socket with nothing of the API client in between, so the tests can
 * send what the client never would: broken JSON, unknown paths, huge bodies, half a request.
 */
import http from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
}

export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string | number> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends the start of a request that promises more body than it sends, then hangs up, as a client
 * that crashes mid-request would. Resolves once the connection is closed.
 */
export function abandonedRequest(socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath, () => {
      socket.write(
        'POST /v1/appliances HTTP/1.1\r\nhost: agent\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"spec": "half',
        () => socket.destroy(),
      );
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}
