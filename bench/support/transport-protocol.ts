// IPC messages between the `bench:transport` driver and its server/client child processes.

/** Which transport a child runs. */
export type Impl = 'ttstream' | 'grpc';

/** How the server-streaming handler paces its sends. */
export type SendStyle = 'await' | 'window';

/** Service and method names, the same for both transports. */
export const SERVICE = 'BenchService';
export const METHOD_SERVER_STREAM = 'ServerStream';
export const METHOD_ECHO = 'Echo';
export const METHOD_IDLE = 'Idle';

/** Memory of a process after two full GCs. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** process.cpuUsage() in microseconds. */
export interface CpuSample {
  readonly user: number;
  readonly system: number;
}

/** Driver -> server child. */
export type ServerCommand =
  | { readonly cmd: 'memory' }
  | { readonly cmd: 'active' }
  | { readonly cmd: 'cpu' }
  | { readonly cmd: 'stop' };

/** Server child -> driver. */
export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'memory'; readonly memory: MemorySample }
  | { readonly type: 'active'; readonly active: number }
  | { readonly type: 'cpu'; readonly cpu: CpuSample }
  | { readonly type: 'error'; readonly message: string };

/** One client workload. */
export type Workload =
  | {
      readonly kind: 'serverStream';
      readonly streams: number;
      readonly perStream: number;
      readonly style: SendStyle;
    }
  | { readonly kind: 'bidiEcho'; readonly streams: number; readonly perStream: number }
  | { readonly kind: 'idleOpen'; readonly streams: number }
  | { readonly kind: 'idleRelease' }
  | { readonly kind: 'memory' };

/** Driver -> client child. */
export interface ClientCommand {
  readonly cmd: 'run';
  readonly id: number;
  readonly workload: Workload;
}

/** What a workload measured. */
export interface WorkloadResult {
  /** Messages received by the client. */
  readonly messages: number;
  readonly elapsedNs: number;
  /** Client CPU time (user + system) during the workload, microseconds. */
  readonly cpuUs?: number;
  /** Per-message round trip (bidi echo), microseconds. */
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly memory?: MemorySample;
}

/** Client child -> driver. */
export type ClientReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: WorkloadResult }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

/** Two full GCs (children run with --expose-gc), then the memory figures. */
export function sampleMemory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** Exits when the driver goes away, so no child outlives a killed bench. */
export function exitWithParent(): void {
  process.on('disconnect', () => {
    process.exit(0);
  });
}
