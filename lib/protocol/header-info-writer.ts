import type { FrameInit } from './frame.js';
import { FrameEncodeError } from './frame-encode-error.js';
import { HEADER_GDPR_TOKEN } from './header-keys.js';
import { IntHeaderKey } from './int-header-key.js';
import {
  InfoId,
  MAX_HEADER_INFO_BYTES,
  MAX_HEADER_PAIRS,
  MAX_HEADER_STRING_BYTES,
} from './ttheader-constants.js';
import { encodeUtf8 } from './utf8.js';

/**
 * Builds the info blocks of a frame's header info area: everything after the protocol id and
 * transform count, zero-padded so that the whole area is a multiple of 4 bytes. Block order is
 * gopkg's (ACL token, string KV, int KV); int keys go 27, 9, then the rest in map order.
 * @internal not covered by semver
 */
export function writeInfoBlocks(frame: FrameInit): Uint8Array {
  const bare = isBare(frame);
  if (bare) {
    // A hit implies a valid type (an array index) and an already checked method.
    const hit = bareCache.get(frame.method)?.[frame.type];
    if (hit !== undefined) return hit;
  }
  const typeBytes = encodeUtf8(frameTypeText(frame.type));
  const methodBytes = checkedUtf8(frame.method, 'method');
  if (bare) return bareBlocks(frame.type, frame.method, typeBytes, methodBytes);
  return writeBlocks(frame.strHeaders, frame.intHeaders, [typeBytes, methodBytes]);
}

/**
 * The info blocks of a TTHeader message that is not a ttstream frame (ping-pong): the int keys
 * as given (none reserved), no int block when there are none; otherwise as
 * {@link writeInfoBlocks}.
 * @internal not covered by semver
 */
export function writePlainInfoBlocks(
  intHeaders: ReadonlyMap<number, string> | undefined,
  strHeaders: ReadonlyMap<string, string> | undefined,
): Uint8Array {
  return writeBlocks(strHeaders, intHeaders, undefined);
}

/** `lifted`: the type and method bytes a ttstream frame writes first as int keys 27 and 9. */
function writeBlocks(
  strHeaders: ReadonlyMap<string, string> | undefined,
  intHeaders: ReadonlyMap<number, string> | undefined,
  lifted: readonly [Uint8Array, Uint8Array] | undefined,
): Uint8Array {
  // Counts first: a u16 count cannot express more, whatever the sizes.
  const hasToken = strHeaders?.has(HEADER_GDPR_TOKEN) === true;
  checkPairs((strHeaders?.size ?? 0) - (hasToken ? 1 : 0), 'string');
  checkPairs((lifted === undefined ? 0 : 2) + (intHeaders?.size ?? 0), 'int');
  let aclToken: Uint8Array | undefined;
  const strPairs: Uint8Array[] = [];
  let size = 0;
  for (const [key, value] of strHeaders ?? []) {
    if (key === HEADER_GDPR_TOKEN) {
      aclToken = checkedUtf8(value, 'gdpr token');
      continue;
    }
    const keyBytes = checkedUtf8(key, 'string header key');
    const valueBytes = checkedUtf8(value, `value of string header "${clip(key)}"`);
    strPairs.push(keyBytes, valueBytes);
    size += 4 + keyBytes.length + valueBytes.length;
    checkSize(size);
  }
  const intKeys: number[] = [];
  const intValues: Uint8Array[] = [];
  if (lifted !== undefined) {
    intKeys.push(IntHeaderKey.FrameType, IntHeaderKey.ToMethod);
    intValues.push(...lifted);
  }
  for (const [key, value] of intHeaders ?? []) {
    checkIntKey(key, lifted !== undefined);
    const valueBytes = checkedUtf8(value, `value of int header ${key}`);
    intKeys.push(key);
    intValues.push(valueBytes);
    size += 4 + valueBytes.length;
    checkSize(size);
  }

  if (aclToken !== undefined) size += 3 + aclToken.length;
  if (strPairs.length > 0) size += 3;
  if (lifted !== undefined) size += 4 * 2 + lifted[0].length + lifted[1].length;
  if (intKeys.length > 0) size += 3;
  checkSize(size);

  const out = new Uint8Array(padded(size));
  let at = 0;
  if (aclToken !== undefined) {
    out[at++] = InfoId.ACLToken;
    at = putString(out, at, aclToken);
  }
  if (strPairs.length > 0) {
    out[at++] = InfoId.KeyValue;
    at = putU16(out, at, strPairs.length / 2);
    for (const bytes of strPairs) at = putString(out, at, bytes);
  }
  if (intKeys.length > 0) {
    out[at++] = InfoId.IntKeyValue;
    at = putU16(out, at, intKeys.length);
    for (let i = 0; i < intKeys.length; i++) {
      at = putU16(out, at, intKeys[i] as number);
      at = putString(out, at, intValues[i] as Uint8Array);
    }
  }
  return out;
}

// Bare frames (no pairs beyond 27 and 9: every DATA frame) reuse cached block bytes.
const bareCache = new Map<string, (Uint8Array | undefined)[]>();
const BARE_CACHE_METHODS = 256;
const BARE_CACHE_TYPES = 16;
const BARE_CACHE_METHOD_BYTES = 256;

function isBare(frame: FrameInit): boolean {
  return (frame.strHeaders?.size ?? 0) === 0 && (frame.intHeaders?.size ?? 0) === 0;
}

function bareBlocks(
  type: number,
  method: string,
  typeBytes: Uint8Array,
  methodBytes: Uint8Array,
): Uint8Array {
  const cacheable = type < BARE_CACHE_TYPES && methodBytes.length <= BARE_CACHE_METHOD_BYTES;
  const size = 3 + 4 * 2 + typeBytes.length + methodBytes.length;
  checkSize(size);
  const out = new Uint8Array(padded(size));
  out[0] = InfoId.IntKeyValue;
  let at = putU16(out, 1, 2);
  at = putU16(out, at, IntHeaderKey.FrameType);
  at = putString(out, at, typeBytes);
  at = putU16(out, at, IntHeaderKey.ToMethod);
  putString(out, at, methodBytes);
  if (cacheable) {
    // Methods can come from peers; bound the cache rather than grow it forever.
    let byType = bareCache.get(method);
    if (byType === undefined) {
      if (bareCache.size >= BARE_CACHE_METHODS) bareCache.clear();
      byType = [];
      bareCache.set(method, byType);
    }
    byType[type] = out;
  }
  return out;
}

function frameTypeText(type: number): string {
  if (!Number.isInteger(type) || type < 0 || type > 0x7fffffff) {
    throw new FrameEncodeError(`frame type ${String(type)} is not a non-negative int32`);
  }
  return String(type);
}

/** `lifted`: keys 27 and 9 come from a ttstream frame's type and method, not from its map. */
function checkIntKey(key: number, lifted: boolean): void {
  if (!Number.isInteger(key) || key < 0 || key > 0xffff) {
    throw new FrameEncodeError(`int header key ${String(key)} is not a u16`);
  }
  if (lifted && (key === IntHeaderKey.FrameType || key === IntHeaderKey.ToMethod)) {
    throw new FrameEncodeError(`int header key ${key} is set from the frame's type/method`);
  }
}

function checkedUtf8(text: string, what: string): Uint8Array {
  // Each UTF-16 unit takes at least one UTF-8 byte: reject huge strings before encoding them.
  if (text.length > MAX_HEADER_STRING_BYTES) throw tooLongString(what, text.length, 'over');
  const bytes = encodeUtf8(text);
  if (bytes.length > MAX_HEADER_STRING_BYTES) throw tooLongString(what, bytes.length, 'exactly');
  return bytes;
}

function tooLongString(what: string, length: number, how: 'over' | 'exactly'): FrameEncodeError {
  const amount = how === 'over' ? `at least ${length}` : `${length}`;
  return new FrameEncodeError(
    `${what} is ${amount} UTF-8 bytes, over the ${MAX_HEADER_STRING_BYTES}-byte limit`,
  );
}

function checkPairs(count: number, kind: 'string' | 'int'): void {
  if (count > MAX_HEADER_PAIRS) {
    throw new FrameEncodeError(`${count} ${kind} header pairs, over the ${MAX_HEADER_PAIRS} limit`);
  }
}

/** `blocks` excludes the 2 bytes of protocol id and transform count. */
function checkSize(blocks: number): void {
  if (2 + blocks > MAX_HEADER_INFO_BYTES) {
    throw new FrameEncodeError(
      `header info is at least ${2 + blocks} bytes, over the ${MAX_HEADER_INFO_BYTES}-byte limit`,
    );
  }
}

/** Size of the blocks plus padding, so that 2 + result is a multiple of 4. */
function padded(blocks: number): number {
  return ((blocks + 2 + 3) & ~3) - 2;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function putU16(out: Uint8Array, at: number, value: number): number {
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
  return at + 2;
}

function putString(out: Uint8Array, at: number, bytes: Uint8Array): number {
  const next = putU16(out, at, bytes.length);
  out.set(bytes, next);
  return next + bytes.length;
}
