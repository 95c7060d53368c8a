import { describe, expect, it } from '@jest/globals';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { decodeError, decodeOne, exactFrame, pad4, V2 } from './decode-helpers.js';
import {
  aclBlock,
  bareBlocks,
  concat,
  intBlock,
  loadFixture,
  plain,
  rawFrame,
  strBlock,
  u16,
} from './helpers.js';

// test-matrix.md section 5.1, items 9-14: the header info region.
describe('bad-input catalogue', () => {
  describe('9. protocol id', () => {
    it.each([0x01, 0x02, 0x05, 0x12, 0xff])('0x%s is rejected', (protocolId) => {
      expect(decodeError(rawFrame({ protocolId })).detail).toBe(
        `unsupported protocol id 0x${protocolId.toString(16).padStart(2, '0')}`,
      );
    });

    it.each([0x00, 0x03, 0x04, 0x10, 0x11])(
      '0x%s is accepted (gopkg checkProtocolID)',
      (protocolId) => {
        expect(decodeOne(rawFrame({ protocolId })).type).toBe(3);
      },
    );
  });

  describe('10. transforms', () => {
    it('255 transform ids with too few bytes is rejected', () => {
      expect(decodeError(rawFrame({ transformCount: 255 })).detail).toBe(
        '255 transform ids do not fit in a 28-byte header info',
      );
    });

    it('transform ids present are skipped and change nothing', () => {
      const withTransforms = rawFrame({
        transforms: Uint8Array.of(1, 2, 0xff),
        payload: V2.subarray(42),
      });
      expect(plain(decodeOne(withTransforms))).toEqual(plain(decodeOne(V2)));
    });

    it('transform ids filling the whole header info leave no frame type', () => {
      const info = concat(Uint8Array.of(0x10, 6), new Uint8Array(6));
      expect(decodeError(exactFrame(info)).detail).toBe('frame type (int key 27) is missing');
    });
  });

  describe('11. info ids', () => {
    it.each(['02', '05', '0f', '12', '20', 'ff'])('unknown info id 0x%s is rejected', (hex) => {
      const blocks = concat(bareBlocks(), Uint8Array.of(parseInt(hex, 16)));
      expect(decodeError(rawFrame({ blocks })).detail).toBe(
        `unknown info id 0x${hex} at header info offset 26`,
      );
    });

    it.each([
      ['01', 'string KV count'],
      ['10', 'int KV count'],
      ['11', 'ACL token length'],
    ])('info id 0x%s as the last byte, with no body', (hex, what) => {
      // 2 + 24 bytes of blocks, 5 padding bytes, then the id as byte 31 of 32
      const info = concat(
        Uint8Array.of(0x10, 0),
        bareBlocks(),
        new Uint8Array(5),
        Uint8Array.of(parseInt(hex, 16)),
      );
      expect(info.length).toBe(32);
      expect(decodeError(exactFrame(info)).detail).toBe(
        `${what} truncated: needs 2 bytes at header info offset 32, 0 left`,
      );
    });
  });

  describe('12. string KV block', () => {
    const withStr = (block: Uint8Array) => rawFrame({ blocks: concat(block, bareBlocks('2')) });

    it('count 0 is accepted and yields no headers', () => {
      const frame = decodeOne(withStr(concat(Uint8Array.of(0x01), u16(0))));
      expect(frame.strHeaders.size).toBe(0);
    });

    it('count 1 is accepted', () => {
      expect([...decodeOne(withStr(strBlock([['a', 'b']]))).strHeaders]).toEqual([['a', 'b']]);
    });

    it('count 65535 with data for only 1 pair is rejected', () => {
      const block = concat(Uint8Array.of(0x01), u16(65535), strBlock([['a', 'b']]).subarray(3));
      const info = pad4(concat(Uint8Array.of(0x10, 0), block));
      expect(decodeError(exactFrame(info)).detail).toBe(
        'string KV key length truncated: needs 2 bytes at header info offset 11, 1 left',
      );
    });

    it('a key length running past the end is rejected', () => {
      const info = concat(
        Uint8Array.of(0x10, 0, 0x01),
        u16(1),
        u16(100),
        Uint8Array.of(0x61, 0x62, 0x63),
      );
      expect(decodeError(exactFrame(pad4(info))).detail).toBe(
        'string KV key truncated: needs 100 bytes at header info offset 7, 5 left',
      );
    });

    it('a value length running past the end is rejected', () => {
      const info = concat(
        Uint8Array.of(0x10, 0, 0x01),
        u16(1),
        u16(1),
        Uint8Array.of(0x61),
        u16(9),
        Uint8Array.of(0x62),
      );
      expect(decodeError(exactFrame(pad4(info))).detail).toBe(
        'string KV value truncated: needs 9 bytes at header info offset 10, 2 left',
      );
    });

    it('65535-byte keys and values are accepted', () => {
      const big = 'k'.repeat(65535);
      const value = 'v'.repeat(65535);
      const frame = decodeOne(withStr(strBlock([[big, value]])));
      expect(frame.strHeaders.get(big)).toBe(value);
    });

    it('an empty key and an empty value are accepted', () => {
      const frame = decodeOne(
        withStr(
          strBlock([
            ['', 'x'],
            ['y', ''],
          ]),
        ),
      );
      expect([...frame.strHeaders]).toEqual([
        ['', 'x'],
        ['y', ''],
      ]);
    });

    it('duplicate keys: the last one wins, across blocks too', () => {
      const block = concat(
        strBlock([
          ['a', '1'],
          ['a', '2'],
        ]),
        strBlock([
          ['b', '3'],
          ['a', '4'],
        ]),
      );
      const frame = decodeOne(withStr(block));
      expect([...frame.strHeaders]).toEqual([
        ['a', '4'],
        ['b', '3'],
      ]);
    });

    it('non-UTF-8 bytes are kept: each becomes U+DC00 + byte, and encodes back to it', () => {
      const frame = decodeOne(
        withStr(
          strBlock([
            [Uint8Array.of(0xff, 0x61), Uint8Array.of(0xc3, 0x28)],
            [Uint8Array.of(0xfe, 0x61), Uint8Array.of(0xab, 0xab, 0xab)],
          ]),
        ),
      );
      // Two keys that differ only in invalid bytes stay two keys.
      expect([...frame.strHeaders]).toEqual([
        ['\udcffa', '\udcc3('],
        ['\udcfea', '\udcab\udcab\udcab'],
      ]);
      const again = decodeOne(encodeFrame(frame));
      expect([...again.strHeaders]).toEqual([...frame.strHeaders]);
    });

    it('NUL bytes are preserved', () => {
      const frame = decodeOne(withStr(strBlock([['a\0b', '\0']])));
      expect(frame.strHeaders.get('a\0b')).toBe('\0');
    });

    it('__proto__ and constructor keys are plain entries and pollute nothing', () => {
      const frame = decodeOne(
        withStr(
          strBlock([
            ['__proto__', '{"polluted":1}'],
            ['constructor', 'x'],
            ['toString', 'y'],
          ]),
        ),
      );
      expect(frame.strHeaders.get('__proto__')).toBe('{"polluted":1}');
      expect(frame.strHeaders.get('constructor')).toBe('x');
      expect(frame.strHeaders.size).toBe(3);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(typeof Object.prototype.toString).toBe('function');
    });
  });

  describe('13. int KV block', () => {
    const withInt = (pairs: [number, string | Uint8Array][]) =>
      rawFrame({ blocks: intBlock(pairs) });

    it('key 27 missing is rejected', () => {
      expect(decodeError(withInt([[9, 'ServerStream']])).detail).toBe(
        'frame type (int key 27) is missing',
      );
    });

    it('key 27 duplicated: the last one wins, even over an invalid earlier value', () => {
      expect(
        decodeOne(
          withInt([
            [27, '3'],
            [9, 'M'],
            [27, '4'],
          ]),
        ).type,
      ).toBe(4);
      expect(
        decodeOne(
          withInt([
            [27, 'x'],
            [27, '2'],
          ]),
        ).type,
      ).toBe(2);
      expect(
        decodeError(
          withInt([
            [27, '2'],
            [27, '03'],
          ]),
        ).detail,
      ).toBe('frame type (int key 27) "03" is not a canonical decimal int32');
    });

    it.each([
      ['0', 0],
      ['1', 1],
      ['5', 5],
      ['6', 6],
      ['9', 9],
      ['10', 10],
      ['2147483647', 2147483647],
    ])('value %j is returned as type %i (unknown types pass through)', (value, type) => {
      const frame = decodeOne(
        withInt([
          [27, value],
          [9, 'M'],
        ]),
      );
      expect(frame.type).toBe(type);
      expect(frame.intHeaders.size).toBe(0);
    });

    it.each([
      '',
      '3 ',
      ' 3',
      '03',
      '00',
      '-1',
      '+3',
      'x',
      '3x',
      '1e3',
      '2147483648',
      '99999999999',
      '٣',
    ])('value %j is rejected', (value) => {
      expect(
        decodeError(
          withInt([
            [27, value],
            [9, 'M'],
          ]),
        ).detail,
      ).toBe(`frame type (int key 27) ${JSON.stringify(value)} is not a canonical decimal int32`);
    });

    it('a 100-byte value is rejected, the detail clipped', () => {
      expect(decodeError(withInt([[27, '1'.repeat(100)]])).detail).toBe(
        `frame type (int key 27) "${'1'.repeat(32)}" (100 bytes) is not a canonical decimal int32`,
      );
    });

    it('key 9 absent or empty gives an empty method', () => {
      expect(decodeOne(withInt([[27, '3']])).method).toBe('');
      expect(
        decodeOne(
          withInt([
            [27, '3'],
            [9, ''],
          ]),
        ).method,
      ).toBe('');
    });

    it('key 9 of 65535 bytes is accepted', () => {
      const method = 'm'.repeat(65535);
      expect(
        decodeOne(
          withInt([
            [27, '3'],
            [9, method],
          ]),
        ).method,
      ).toBe(method);
    });

    it('key 9 with non-UTF-8 bytes keeps them as U+DC80-U+DCFF', () => {
      expect(
        decodeOne(
          withInt([
            [27, '3'],
            [9, Uint8Array.of(0x4d, 0xff, 0xfe)],
          ]),
        ).method,
      ).toBe('M\udcff\udcfe');
    });

    it('other int keys land in intHeaders (last wins); 27 and 9 never do', () => {
      const frame = decodeOne(
        withInt([
          [12, '1000'],
          [27, '2'],
          [9, 'M'],
          [65535, 'x'],
          [12, '2000'],
        ]),
      );
      expect([...frame.intHeaders]).toEqual([
        [12, '2000'],
        [65535, 'x'],
      ]);
      expect(frame.method).toBe('M');
    });

    it('a value length running past the end is rejected', () => {
      const info = concat(
        Uint8Array.of(0x10, 0, 0x10),
        u16(1),
        u16(27),
        u16(5),
        Uint8Array.of(0x33),
      );
      expect(decodeError(exactFrame(concat(info, new Uint8Array(2)))).detail).toBe(
        'int KV value truncated: needs 5 bytes at header info offset 9, 3 left',
      );
    });
  });

  describe('14. ACL token and padding', () => {
    it('the ACL token decodes under RPC_TRANSIT_gdpr-token', () => {
      const frame = decodeOne(rawFrame({ blocks: concat(aclBlock('tok'), bareBlocks('2')) }));
      expect([...frame.strHeaders]).toEqual([['RPC_TRANSIT_gdpr-token', 'tok']]);
    });

    it('a truncated ACL token is rejected', () => {
      const info = concat(Uint8Array.of(0x10, 0, 0x11), u16(10), Uint8Array.of(0x61, 0x62, 0x63));
      expect(decodeError(exactFrame(info)).detail).toBe(
        'ACL token truncated: needs 10 bytes at header info offset 5, 3 left',
      );
    });

    it('padding between and before blocks is skipped', () => {
      const blocks = concat(
        Uint8Array.of(0, 0, 0),
        strBlock([['isn', 'TestService']]),
        Uint8Array.of(0),
        intBlock([[27, '2']]),
        Uint8Array.of(0, 0),
        intBlock([[9, 'ServerStream']]),
      );
      expect(plain(decodeOne(rawFrame({ blocks })))).toEqual(
        plain(decodeOne(loadFixture('v1-client-header.hex'))),
      );
    });

    it('extra zero padding at the end (whole words) is accepted', () => {
      const info = concat(Uint8Array.of(0x10, 0), bareBlocks(), new Uint8Array(2 + 400));
      expect(decodeOne(exactFrame(info)).type).toBe(3);
    });

    it('non-zero padding is an info id, so it is rejected', () => {
      const info = concat(Uint8Array.of(0x10, 0), bareBlocks(), Uint8Array.of(0, 0x07));
      expect(decodeError(exactFrame(info)).detail).toBe(
        'unknown info id 0x07 at header info offset 27',
      );
    });
  });
});
