import { describe, expect, it } from '@jest/globals';
import * as protocol from '../../../lib/protocol/index.js';

describe('protocol constants', () => {
  it('numbers the int keys as gopkg metakey.go does (iota from 0)', () => {
    const names = [
      'MeshVersion',
      'TransportType',
      'LogID',
      'FromService',
      'FromCluster',
      'FromIDC',
      'ToService',
      'ToCluster',
      'ToIDC',
      'ToMethod',
      'Env',
      'DestAddress',
      'RPCTimeout',
      'ReadTimeout',
      'RingHashKey',
      'DDPTag',
      'WithMeshHeader',
      'ConnectTimeout',
      'SpanContext',
      'ShortConnection',
      'FromMethod',
      'StressTag',
      'MsgType',
      'HTTPContentType',
      'RawRingHashKey',
      'LBType',
      'ClusterShardID',
      'FrameType',
    ];
    expect(Object.entries(protocol.IntHeaderKey)).toEqual(names.map((name, i) => [name, i]));
    expect(protocol.IntHeaderKey.FrameType).toBe(0x1b);
  });

  it('names the ttstream string keys', () => {
    expect([
      protocol.HEADER_IDL_SERVICE_NAME,
      protocol.HEADER_BIZ_STATUS,
      protocol.HEADER_BIZ_MESSAGE,
      protocol.HEADER_BIZ_EXTRA,
      protocol.HEADER_CANCEL_PATH,
      protocol.HEADER_GDPR_TOKEN,
    ]).toEqual([
      'isn',
      'biz-status',
      'biz-message',
      'biz-extra',
      'ttscp',
      'RPC_TRANSIT_gdpr-token',
    ]);
  });

  it('has the TTHeader wire constants and limits of the spec', () => {
    expect(protocol.TTHEADER_MAGIC).toBe(0x1000);
    expect(protocol.TTHEADER_FLAGS_STREAMING).toBe(0x0002);
    expect(protocol.PROTOCOL_ID_THRIFT_STRUCT).toBe(0x10);
    expect([...protocol.ACCEPTED_PROTOCOL_IDS].sort((a, b) => a - b)).toEqual([
      0, 3, 4, 0x10, 0x11,
    ]);
    expect(protocol.InfoId).toEqual({ Padding: 0, KeyValue: 1, IntKeyValue: 0x10, ACLToken: 0x11 });
    expect(protocol.MAX_HEADER_INFO_BYTES).toBe(65532);
    expect(protocol.MAX_HEADER_STRING_BYTES).toBe(65535);
    expect(protocol.DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
  });

  it('exports the codec API from the barrel', () => {
    expect(typeof protocol.encodeFrame).toBe('function');
    expect(typeof protocol.encodeFrameHead).toBe('function');
    expect(typeof protocol.FrameDecoder).toBe('function');
    expect(typeof protocol.FrameDecodeError).toBe('function');
    expect(typeof protocol.FrameEncodeError).toBe('function');
    expect(typeof protocol.metainfoToHeaders).toBe('function');
    expect(typeof protocol.headersToMetainfo).toBe('function');
    expect(protocol.FrameType.Rst).toBe(5);
  });
});
