import { type Attributes } from '@opentelemetry/api';
import { type RpcKind, type RpcOutcome, type RpcStart } from '../rpc-lifecycle.js';
import { type SemconvMode } from './semconv-mode.js';

// Kept here too: the tracer and the meter import both from this file.
export { type SemconvMode, semconvModeFromEnv } from './semconv-mode.js';

/**
 * Attribute names and values shared by the OpenTelemetry tracer and meter, so that a span and a
 * metric point of one RPC agree.
 *
 * By default the names are those kitex-contrib/obs-opentelemetry emits (`rpc.system=kitex`,
 * `rpc.service`, `rpc.method`, `request.protocol`, `peer.service`, `kitex.recv_size`,
 * `kitex.send_size`), so that dashboards built for Go Kitex services keep working. With
 * `OTEL_SEMCONV_STABILITY_OPT_IN` containing `rpc` the stable RPC semantic conventions are
 * emitted instead, with `rpc/dup` both (see {@link SemconvMode}). The `kitex.*` outcome
 * attributes (business status, error code, cancel path) are ours: obs-opentelemetry sets none.
 */

// obs-opentelemetry's names (the pre-stable RPC conventions plus its own).
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_REQUEST_PROTOCOL = 'request.protocol';
export const ATTR_KITEX_RECV_SIZE = 'kitex.recv_size';
export const ATTR_KITEX_SEND_SIZE = 'kitex.send_size';
export const ATTR_PEER_SERVICE = 'peer.service';
export const ATTR_PEER_SERVICE_NAMESPACE = 'peer.service.namespace';
export const ATTR_PEER_DEPLOYMENT_ENVIRONMENT = 'peer.deployment.environment';
/** obs-opentelemetry's metric point attribute: the span status name (`Unset`, `Error`). */
export const ATTR_STATUS_CODE = 'status.code';

// The stable RPC semantic conventions.
export const ATTR_RPC_SYSTEM_NAME = 'rpc.system.name';
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';

// Ours: Kitex's obs-opentelemetry records none of these.
/** The `BizStatusError` code of an RPC that ended with a business error (int). */
export const ATTR_KITEX_BIZ_STATUS_CODE = 'kitex.biz_status_code';
/** Its message. */
export const ATTR_KITEX_BIZ_MESSAGE = 'kitex.biz_message';
/** The ttstream error code (12001-12015) of a failed stream (int). */
export const ATTR_KITEX_ERROR_CODE = 'kitex.error_code';
/** The cancel path Kitex sends with a cancel (`a,b,c`), as a string array. */
export const ATTR_KITEX_CANCELED_PATH = 'kitex.canceled_path';

/** The `rpc.system` value. */
export const RPC_SYSTEM_KITEX = 'kitex';

/** The metainfo keys a Kitex client sends its own resource under (`RPC_TRANSIT_<key>`). */
export const PEER_RESOURCE_KEYS = {
  'service.name': ATTR_PEER_SERVICE,
  'service.namespace': ATTR_PEER_SERVICE_NAMESPACE,
  'deployment.environment': ATTR_PEER_DEPLOYMENT_ENVIRONMENT,
} as const;

const PEER_RESOURCE_ENTRIES = Object.entries(PEER_RESOURCE_KEYS);

/**
 * The span name: `<IDL service>/<method>`, with `<package>.` before it when the IDL package is
 * known (as a Kitex client names it; Kitex's ttstream server leaves the package out).
 */
export function rpcSpanName(event: RpcStart, idlPackage = event.idlPackage): string {
  const service = idlPackage ? `${idlPackage}.${event.service}` : event.service;
  return `${service}/${event.method}`;
}

/** `request.protocol` as Kitex spells its transport protocol. */
export function requestProtocol(kind: RpcKind): string {
  return kind === 'unary' || kind === 'oneway' ? 'TTHeader' : 'TTHeaderStreaming';
}

/** What {@link rpcAttributes} needs beyond the event. */
export interface RpcAttributeOptions {
  readonly semconv: SemconvMode;
  /**
   * This process's service name: `rpc.service` on the server (Kitex uses the server's registered
   * name there). Default: the IDL service.
   */
  readonly localService?: string | undefined;
  /** The IDL package, for the stable `rpc.method` (`pkg.Service/Method`). */
  readonly idlPackage?: string | undefined;
}

/**
 * The attributes an RPC is known by from its start: those of both its span and its metric points.
 * Server spans add `peer.*` from metainfo with {@link peerServiceAttributes}.
 */
export function rpcAttributes(event: RpcStart, options: RpcAttributeOptions): Attributes {
  const attributes: Attributes = {};
  if (options.semconv !== 'stable') {
    attributes[ATTR_RPC_SYSTEM] = RPC_SYSTEM_KITEX;
    attributes[ATTR_RPC_SERVICE] =
      event.side === 'client'
        ? event.destService
        : (options.localService ?? event.localService ?? event.service);
    attributes[ATTR_RPC_METHOD] = event.method;
    attributes[ATTR_REQUEST_PROTOCOL] = requestProtocol(event.kind);
  }
  if (options.semconv !== 'old') {
    attributes[ATTR_RPC_SYSTEM_NAME] = RPC_SYSTEM_KITEX;
    attributes[ATTR_RPC_METHOD] = rpcSpanName(event, options.idlPackage);
    const peer = splitHostPort(event.peer);
    if (peer !== undefined) {
      if (event.side === 'client') {
        attributes[ATTR_SERVER_ADDRESS] = peer.host;
        if (peer.port !== undefined) attributes[ATTR_SERVER_PORT] = peer.port;
      }
      attributes[ATTR_NETWORK_PEER_ADDRESS] = peer.host;
      if (peer.port !== undefined) attributes[ATTR_NETWORK_PEER_PORT] = peer.port;
    }
  }
  return attributes;
}

/**
 * `peer.service` (and `peer.service.namespace`, `peer.deployment.environment`) from the
 * caller's resource as a Kitex client sends it in metainfo; `lookup` reads one metainfo key
 * (without its `RPC_TRANSIT_` prefix). Kept in every mode: it is the caller's identity, not an
 * RPC convention.
 */
export function peerServiceAttributes(lookup: (key: string) => string | undefined): Attributes {
  const attributes: Attributes = {};
  for (const [key, attribute] of PEER_RESOURCE_ENTRIES) {
    const value = lookup(key);
    if (value !== undefined && value !== '') attributes[attribute] = value;
  }
  return attributes;
}

/**
 * `kitex.recv_size` / `kitex.send_size` (old and dup modes), each only when every message's size
 * was known (an undercount would mislead).
 */
export function sizeAttributes(
  recvSize: number | undefined,
  sendSize: number | undefined,
  semconv: SemconvMode,
): Attributes {
  const attributes: Attributes = {};
  if (semconv === 'stable') return attributes;
  if (recvSize !== undefined) attributes[ATTR_KITEX_RECV_SIZE] = recvSize;
  if (sendSize !== undefined) attributes[ATTR_KITEX_SEND_SIZE] = sendSize;
  return attributes;
}

/** True when the outcome makes the span's status Error (a business error does not, as in Kitex). */
export function isErrorOutcome(outcome: RpcOutcome): boolean {
  return outcome.kind !== 'ok' && outcome.kind !== 'biz-error';
}

/** obs-opentelemetry's `status.code` metric attribute: the span status name. */
export function statusCodeName(outcome: RpcOutcome): 'Unset' | 'Error' {
  return isErrorOutcome(outcome) ? 'Error' : 'Unset';
}

/**
 * The stable `rpc.response.status_code`: `OK` for success and business errors (the RPC
 * succeeded), the ttstream error code when there is one, else `CANCELLED`,
 * `DEADLINE_EXCEEDED` or `UNKNOWN`.
 */
export function responseStatusCode(outcome: RpcOutcome): string {
  switch (outcome.kind) {
    case 'ok':
    case 'biz-error':
      return 'OK';
    case 'exception':
      return outcome.code !== undefined ? String(outcome.code) : 'UNKNOWN';
    case 'cancel':
      return outcome.code !== undefined ? String(outcome.code) : 'CANCELLED';
    case 'timeout':
      return outcome.code !== undefined ? String(outcome.code) : 'DEADLINE_EXCEEDED';
  }
}

/**
 * The attributes an RPC's outcome adds, in every mode: `kitex.biz_status_code` and
 * `kitex.biz_message` for a business error; `kitex.error_code` (and `kitex.canceled_path`) for a
 * failure that has them; in stable and dup modes also `rpc.response.status_code` and, on failure,
 * `error.type` (the status code, else the error's class name).
 */
export function outcomeAttributes(outcome: RpcOutcome, semconv: SemconvMode): Attributes {
  const attributes: Attributes = {};
  if (outcome.kind === 'biz-error') {
    attributes[ATTR_KITEX_BIZ_STATUS_CODE] = outcome.code;
    attributes[ATTR_KITEX_BIZ_MESSAGE] = outcome.message;
  } else if (outcome.kind !== 'ok') {
    if (outcome.code !== undefined) attributes[ATTR_KITEX_ERROR_CODE] = outcome.code;
    if (outcome.kind !== 'exception' && outcome.canceledPath !== undefined) {
      attributes[ATTR_KITEX_CANCELED_PATH] = [...outcome.canceledPath];
    }
  }
  if (semconv !== 'old') {
    const status = responseStatusCode(outcome);
    attributes[ATTR_RPC_RESPONSE_STATUS_CODE] = status;
    if (isErrorOutcome(outcome)) {
      attributes[ATTR_ERROR_TYPE] =
        outcome.kind === 'exception' && outcome.code === undefined ? outcome.type : status;
    }
  }
  return attributes;
}

/** `host:port` (or `[v6]:port`) split; undefined when there is no peer. */
export function splitHostPort(
  peer: string | undefined,
): { readonly host: string; readonly port: number | undefined } | undefined {
  if (peer === undefined || peer === '') return undefined;
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(peer) ?? /^([^:]+):(\d+)$/.exec(peer);
  if (match === null) return { host: peer, port: undefined };
  return { host: match[1] ?? peer, port: Number(match[2]) };
}
