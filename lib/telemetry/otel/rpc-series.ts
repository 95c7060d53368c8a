import type { Attributes } from '@opentelemetry/api';
import { type RpcStart } from '../rpc-lifecycle.js';

/**
 * The metric series of one kind of RPC (side, service, method, kind, caller identity): its point
 * attributes, built once, the duration attributes per status, and its RPCs in progress, which
 * an observable instrument reports at collection. The SDK hashes the attributes of every
 * `record`/`add` (a few µs each), so an RPC that re-used the synchronous up-down counter for
 * "in progress" paid two of them for a number that only matters when a reader collects.
 * @internal not covered by semver
 */
export interface RpcSeries {
  /** Point attributes in the old conventions (undefined in the `stable` mode). */
  readonly old: Attributes | undefined;
  /** Point attributes in the stable conventions (undefined in the `old` mode). */
  readonly stable: Attributes | undefined;
  /** The attributes of the instruments outside the conventions: `old`, else `stable`. */
  readonly common: Attributes;
  /** RPCs of this series in progress. */
  active: number;
  /** Derived attribute sets (with a status code...), by a key of the caller's; bounded. */
  readonly derived: Map<string, Attributes>;
  /** The value the last collection reported for `active`. */
  reported: number;
}

/** How many series a table keeps by default (the SDK's default cardinality limit is 2000). */
export const DEFAULT_MAX_RPC_SERIES = 2000;

/** The series that RPCs go to once the table is full of series with RPCs in progress. */
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * The series of the RPCs of one side, looked up by what their point attributes are made of.
 * Bounded: when full, series whose last reported count was 0 and that have no RPC in progress are
 * dropped (their next report would have been 0 again); if none can be, new RPCs count in one
 * overflow series, as the SDK does past its cardinality limit.
 * @internal not covered by semver
 */
export class RpcSeriesTable {
  private readonly series = new Map<string, RpcSeries>();
  private overflow: RpcSeries | undefined;

  constructor(
    private readonly build: (event: RpcStart) => {
      old: Attributes | undefined;
      stable: Attributes | undefined;
    },
    private readonly limit = DEFAULT_MAX_RPC_SERIES,
  ) {}

  /** The series of `event`, whose caller identity is `peerKey` (already bounded by the caller). */
  of(event: RpcStart, peerKey: string): RpcSeries {
    const key = seriesKey(event, peerKey);
    const found = this.series.get(key);
    if (found !== undefined) return found;
    if (this.series.size >= this.limit && !this.dropIdle()) {
      return (this.overflow ??= series(OVERFLOW, OVERFLOW));
    }
    const { old, stable } = this.build(event);
    const made = series(old, stable);
    this.series.set(key, made);
    return made;
  }

  /** Every series with its count in progress, noting what was reported. */
  report(observe: (active: number, attributes: Attributes) => void): void {
    for (const entry of this.series.values()) {
      observe(entry.active, entry.common);
      entry.reported = entry.active;
    }
    if (this.overflow !== undefined) {
      observe(this.overflow.active, this.overflow.common);
      this.overflow.reported = this.overflow.active;
    }
  }

  /** Series kept (for tests). */
  get size(): number {
    return this.series.size;
  }

  private dropIdle(): boolean {
    const before = this.series.size;
    for (const [key, entry] of this.series) {
      if (entry.active === 0 && entry.reported === 0) this.series.delete(key);
    }
    return this.series.size < before;
  }
}

function series(old: Attributes | undefined, stable: Attributes | undefined): RpcSeries {
  return {
    old,
    stable,
    common: old ?? stable ?? OVERFLOW,
    active: 0,
    derived: new Map(),
    reported: 0,
  };
}

/** What the point attributes of an RPC are made of (not its peer address: points drop it). */
function seriesKey(event: RpcStart, peerKey: string): string {
  return [
    event.side,
    event.service,
    event.method,
    event.kind,
    event.idlPackage ?? '',
    event.localService ?? '',
    event.side === 'client' ? event.destService : '',
    peerKey,
  ].join('\u0000');
}
