import net from 'node:net';

/**
 * A loopback TCP proxy the reliability tests put between a store and its database, so a test
 * can cut the connection (database "unreachable") and restore it without touching the server.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  #stalled = false;
  #server: net.Server | undefined;
  #port = 0;
  #cut = false;

  constructor(targetHost: string, targetPort: number) {
    this.#target = { host: targetHost, port: targetPort };
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port unless given) and returns the port. */
  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  /** Database unreachable: destroys every open connection and refuses new ones. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#pairs.clear();
  }

  /**
   * Network freeze (a black hole): connections stay open and new ones are accepted, but no byte
   * moves in either direction until `restore()`, which delivers what was held back.
   */
  stall(): void {
    this.#stalled = true;
    for (const pair of this.#pairs) this.#hold(pair);
  }

  /** Database reachable again (after `cut()` or `stall()`). */
  restore(): void {
    this.#cut = false;
    if (this.#stalled) {
      this.#stalled = false;
      for (const pair of this.#pairs) this.#flow(pair);
    }
  }

  #hold([client, upstream]: [net.Socket, net.Socket]): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  #flow([client, upstream]: [net.Socket, net.Socket]): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.#target.port, this.#target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    this.#pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
      this.#pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (this.#stalled) this.#hold(pair);
    else this.#flow(pair);
  }
}
