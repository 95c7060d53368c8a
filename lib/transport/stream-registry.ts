/** What the registry needs from a stream. */
export interface RegisteredStream {
  readonly streamId: number;
  /** Ends the stream with `error` (no frames are written: the connection is gone). */
  failFromConnection(error: unknown): void;
}

/**
 * Stream id -> stream for one connection. `failAll` ends every open stream with one error when
 * the connection dies. @internal not covered by semver
 */
export class StreamRegistry<S extends RegisteredStream> {
  private readonly streams = new Map<number, S>();

  get size(): number {
    return this.streams.size;
  }

  get(streamId: number): S | undefined {
    return this.streams.get(streamId);
  }

  /** Adds `stream`, returning the stream it replaced under the same id, if any. */
  add(stream: S): S | undefined {
    const previous = this.streams.get(stream.streamId);
    this.streams.set(stream.streamId, stream);
    return previous;
  }

  /** Removes `stream` if it is still the one registered under its id. */
  delete(stream: S): boolean {
    if (this.streams.get(stream.streamId) !== stream) return false;
    return this.streams.delete(stream.streamId);
  }

  values(): IterableIterator<S> {
    return this.streams.values();
  }

  /** Fails every registered stream with `error` and empties the registry. */
  failAll(error: unknown): void {
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.failFromConnection(error);
  }
}
