import { TApplicationExceptionType } from '../errors/index.js';
import type { MessageCodec } from '../thrift/message-codec.js';
import type { ServerStream, StreamMode } from './server-stream.js';

/** A handler: it settles when the stream is done; its outcome becomes the TRAILER. */
export type StreamHandler<Req, Res> = (stream: ServerStream<Req, Res>) => Promise<void> | void;

/** One registered streaming method. */
export interface StreamRoute<Req, Res> {
  readonly mode: StreamMode;
  readonly requestCodec: MessageCodec<Req>;
  readonly responseCodec: MessageCodec<Res>;
  readonly handler: StreamHandler<Req, Res>;
}

/** A route found for a HEADER, with the service it belongs to. @internal not covered by semver */
export interface ResolvedRoute<R = StreamRoute<unknown, unknown>> {
  readonly service: string;
  readonly route: R;
}

/** Why no route was found: the TApplicationException to answer with. @internal */
export interface RouteMiss {
  readonly typeId: number;
  readonly message: string;
}

/**
 * Service -> method -> route. Lookup follows Kitex `SearchService`: by `isn`; when `isn` is empty
 * or unknown, by method name if exactly one service has it. @internal not covered by semver
 */
export class ServerRouter<R = StreamRoute<unknown, unknown>> {
  private readonly services = new Map<string, Map<string, R>>();

  register(service: string, method: string, route: R): void {
    let methods = this.services.get(service);
    if (methods === undefined) {
      methods = new Map();
      this.services.set(service, methods);
    }
    if (methods.has(method)) throw new Error(`${service}.${method} is already registered`);
    methods.set(method, route);
  }

  resolve(isn: string, method: string): ResolvedRoute<R> | RouteMiss {
    const methods = isn === '' ? undefined : this.services.get(isn);
    if (methods !== undefined) {
      const route = methods.get(method);
      if (route !== undefined) return { service: isn, route };
      return {
        typeId: TApplicationExceptionType.UnknownMethod,
        message: `unknown method ${method}`,
      };
    }
    let found: ResolvedRoute<R> | undefined;
    let count = 0;
    for (const [service, byMethod] of this.services) {
      const route = byMethod.get(method);
      if (route !== undefined) {
        found = { service, route };
        count++;
      }
    }
    if (count === 1 && found !== undefined) return found;
    if (isn !== '') {
      return {
        typeId: TApplicationExceptionType.UnknownService,
        message: `unknown service ${isn}`,
      };
    }
    return { typeId: TApplicationExceptionType.UnknownMethod, message: `unknown method ${method}` };
  }
}

/** True for a found route. @internal */
export function isResolvedRoute<R>(value: ResolvedRoute<R> | RouteMiss): value is ResolvedRoute<R> {
  return 'route' in value;
}
