// Hex vectors built by hand from pingpong-protocol.md sections 1-3 and ttstream-protocol.md's
// TTHeader tables, checked field by field against the decoder and byte for byte against the
// encoder.
import { describe, expect, it } from '@jest/globals';
import { PingPongDecoder } from '../../../lib/protocol/pingpong-decoder.js';
import { encodePingPong } from '../../../lib/protocol/pingpong-encoder.js';
import { decodeThriftMessageHeader } from '../../../lib/thrift/message-envelope.js';
import { fromHex, toHex } from './helpers.js';
import { pushBytewise } from './pingpong-helpers.js';

// CALL Echo(req: Request{1: message = "hi"}), seqid 7: 30 bytes.
const MESSAGE = `
  80010001                      # strict Binary version 1, type CALL
  00000004 4563686f             # name "Echo"
  00000007                      # seqid 7
  0c 0001                       # field 1 (req): STRUCT
    0b 0001 00000002 6869       #   field 1 (message): STRING "hi"
    00                          #   STOP (Request)
  00                            # STOP (Echo_args)
`;

// A TTHeader ping-pong request as a Kitex client writes it (gopkg: string block before int).
const TTHEADER_REQUEST = `
  00000050                      # LENGTH 80 = 10 + 40 header info + 30 message
  1000                          # MAGIC
  0000                          # FLAGS: streaming bit clear
  00000007                      # SEQ = the message's seqid
  000a                          # HEADER SIZE 10 words = 40 bytes
  00                            # PROTOCOL ID 0x00: Thrift Binary message
  00                            # NUM TRANSFORMS 0
  01 0001                       # string KV block, 1 pair
    0003 69736e                 #   "isn"
    000b 4563686f53657276696365 #   "EchoService"
  10 0002                       # int KV block, 2 pairs
    0016 0001 31                #   22 MsgType = "1" (CALL)
    0009 0004 4563686f          #   9 ToMethod = "Echo"
  00                            # padding to 40 bytes
  ${MESSAGE}
`;

function hex(text: string): Uint8Array {
  return fromHex(text.replace(/#.*$/gm, ''));
}

describe('ping-pong hex vectors', () => {
  const message = hex(MESSAGE);

  it('the Thrift message', () => {
    expect(message).toHaveLength(30);
    expect(decodeThriftMessageHeader(message)).toEqual({
      name: 'Echo',
      type: 1,
      seqId: 7,
      bodyOffset: 16,
    });
  });

  it('a TTHeader request, field by field', () => {
    const bytes = hex(TTHEADER_REQUEST);
    expect(bytes).toHaveLength(84);
    for (const decoded of [new PingPongDecoder().push(bytes), pushBytewise(bytes)]) {
      expect(decoded).toHaveLength(1);
      const [request] = decoded;
      expect(request?.shape).toBe('ttheader');
      expect(request?.headerSeqId).toBe(7);
      expect([...(request?.intHeaders ?? [])]).toEqual([
        [22, '1'],
        [9, 'Echo'],
      ]);
      expect([...(request?.strHeaders ?? [])]).toEqual([['isn', 'EchoService']]);
      expect(toHex(request?.message ?? new Uint8Array(0))).toBe(toHex(message));
    }
  });

  it('the encoder writes the same TTHeader bytes', () => {
    const bytes = encodePingPong({
      shape: 'ttheader',
      seqId: 7,
      strHeaders: new Map([['isn', 'EchoService']]),
      intHeaders: new Map([
        [22, '1'],
        [9, 'Echo'],
      ]),
      message,
    });
    expect(toHex(bytes)).toBe(toHex(hex(TTHEADER_REQUEST)));
  });

  it('TTHeader + Framed: a u32 length between the header and the message', () => {
    const bytes = hex(`
      00000030 1000 0000 00000007 0001   # LENGTH 48 = 10 + 4 + 4 + 30, SEQ 7, 1 header word
      00 00 0000                         # protocol id, no transforms, 2 bytes of padding
      0000001e                           # Framed length 30
      ${MESSAGE}
    `);
    const [request] = new PingPongDecoder().push(bytes);
    expect(request?.shape).toBe('ttheader-framed');
    expect(request?.headerSeqId).toBe(7);
    expect(request?.intHeaders.size).toBe(0);
    expect(request?.strHeaders.size).toBe(0);
    expect(toHex(request?.message ?? new Uint8Array(0))).toBe(toHex(message));
    expect(toHex(encodePingPong({ shape: 'ttheader-framed', seqId: 7, message }))).toBe(
      toHex(bytes),
    );
  });

  it('Framed: a u32 length, then the message', () => {
    const bytes = hex(`0000001e ${MESSAGE}`);
    const [request] = new PingPongDecoder().push(bytes);
    expect(request).toMatchObject({ shape: 'framed', headerSeqId: undefined });
    expect(request?.intHeaders.size).toBe(0);
    expect(toHex(request?.message ?? new Uint8Array(0))).toBe(toHex(message));
    expect(toHex(encodePingPong({ shape: 'framed', seqId: 7, message }))).toBe(toHex(bytes));
  });

  it('Buffered: the message alone', () => {
    const [request] = new PingPongDecoder().push(message);
    expect(request).toMatchObject({ shape: 'buffered', headerSeqId: undefined });
    expect(toHex(request?.message ?? new Uint8Array(0))).toBe(toHex(message));
    expect(encodePingPong({ shape: 'buffered', seqId: 7, message })).toBe(message);
  });

  it('a Kitex reply header: one int key, 22 = "2"', () => {
    const reply = hex(`
      80010002 00000004 4563686f 00000007   # REPLY Echo, seqid 7
      0c 0000 0b 0001 00000002 6869 00 00   # field 0 (success): Response{1: "hi"}
    `);
    const bytes = encodePingPong({
      shape: 'ttheader',
      seqId: 7,
      intHeaders: new Map([[22, '2']]),
      message: reply,
    });
    // LENGTH 52 = 10 + 12 + 30; header info 2 + 3 + 5 = 10 bytes, padded to 12 (3 words).
    expect(toHex(bytes.subarray(0, 26))).toBe(
      toHex(hex('00000034 1000 0000 00000007 0003 00 00 10 0001 0016 0001 32 0000')),
    );
  });
});
