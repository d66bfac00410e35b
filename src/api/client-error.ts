import http, { type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** An HTTP parse error as Node's `clientError` event hands it over (llhttp fields included). */
type ClientError = Error & { code?: string; reason?: string; bytesParsed?: number; rawPacket?: Buffer };

/** How long a refused connection is still read (and discarded) so the client gets to read the answer. */
const LINGER_MS = 2000;

/** Status line, JSON error code and message for an error Node's HTTP parser raised before any route ran. */
function describe(err: ClientError, server: Server): { status: number; code: string; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': {
      const max = (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? http.maxHeaderSize;
      return { status: 431, code: 'too_large', message: `request line and headers exceed ${max} bytes` };
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'too_large', message: 'chunk extensions of the request body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408, code: 'request_timeout',
        message: `request not received in time (headers within ${server.headersTimeout} ms, the whole request within ${server.requestTimeout} ms)`,
      };
    default: {
      const what = [err.code, err.reason].filter((x) => typeof x === 'string' && x !== '').join(': ');
      return { status: 400, code: 'invalid', message: `malformed HTTP request${what ? ` (${what})` : ''}` };
    }
  }
}

/**
 * Answers requests Node's HTTP parser refuses (headers or URL over
 * `maxHeaderSize`, malformed request lines, header timeouts) with the JSON
 * error shape of every route, `{ error: { code, message } }`, instead of
 * Node's empty 400/408/431, then closes the connection.
 *
 * Nothing is written when the socket is not writable or the client reset it
 * (the socket is destroyed), nor when a response is already in flight on it
 * (a malformed request pipelined after a good one: bytes now would corrupt
 * that response, so it is let finish and the connection closed after it).
 * After the answer the socket is half-closed and what the client still
 * sends is read and dropped for up to two seconds (a "lingering close"), so
 * a client still uploading a huge URL reads the answer instead of a
 * connection reset.
 */
export function installClientErrorHandler(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: ClientError, socket: Duplex) => {
    // The parser reports its error again for every further chunk; the first answer stands.
    if (answered.has(socket)) return;
    answered.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight) {
      // A good request before the bad one is still being answered: let that response finish, then close.
      inFlight.once('close', () => socket.end());
      return;
    }
    const { status, code, message } = describe(err, server);
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n`
      + 'Content-Type: application/json; charset=utf-8\r\n'
      + `Content-Length: ${Buffer.byteLength(body)}\r\n`
      + 'Connection: close\r\n\r\n'
      + body,
    );
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // Once the client has finished sending too, close as soon as the answer is flushed.
    socket.once('end', () => {
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    });
    socket.resume();
  });
}
