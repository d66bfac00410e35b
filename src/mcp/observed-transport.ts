import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

/**
 * A transport that passes everything through and keeps the protocol version
 * the Client negotiated: the SDK tells it only to transports that ask
 * (`setProtocolVersion`), which stdio does not. It also says when the
 * transport has started: the Client closes a transport whose initialize
 * failed, and a stdio transport forgets its process then.
 */
export class ObservedTransport implements Transport {
  protocolVersion: string | null = null;
  /** Called once the inner transport has started (a stdio process has spawned). */
  onstart?: () => void;

  constructor(private readonly inner: Transport) {}

  async start(): Promise<void> {
    await this.inner.start();
    this.onstart?.();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  get onclose(): (() => void) | undefined {
    return this.inner.onclose;
  }

  set onclose(f: (() => void) | undefined) {
    this.inner.onclose = f;
  }

  get onerror(): ((error: Error) => void) | undefined {
    return this.inner.onerror;
  }

  set onerror(f: ((error: Error) => void) | undefined) {
    this.inner.onerror = f;
  }

  get onmessage(): (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined {
    return this.inner.onmessage;
  }

  set onmessage(f: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined) {
    this.inner.onmessage = f;
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    this.inner.setProtocolVersion?.(version);
  }
}
