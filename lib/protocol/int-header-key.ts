/**
 * TTHeader integer info keys (gopkg `protocol/ttheader/metakey.go`, iota from 0). ttstream itself
 * sets only {@link IntHeaderKey.FrameType} and {@link IntHeaderKey.ToMethod}.
 */
export const IntHeaderKey = {
  MeshVersion: 0,
  TransportType: 1,
  LogID: 2,
  FromService: 3,
  FromCluster: 4,
  FromIDC: 5,
  ToService: 6,
  ToCluster: 7,
  ToIDC: 8,
  /** The IDL method name; carried by every ttstream frame. */
  ToMethod: 9,
  Env: 10,
  DestAddress: 11,
  /** Call timeout in milliseconds, as a decimal string. */
  RPCTimeout: 12,
  ReadTimeout: 13,
  RingHashKey: 14,
  DDPTag: 15,
  WithMeshHeader: 16,
  ConnectTimeout: 17,
  SpanContext: 18,
  ShortConnection: 19,
  FromMethod: 20,
  StressTag: 21,
  MsgType: 22,
  HTTPContentType: 23,
  RawRingHashKey: 24,
  LBType: 25,
  ClusterShardID: 26,
  /** The frame type as an ASCII decimal ("1".."5"). */
  FrameType: 27,
} as const;

/** A named integer info key. Peers may send any other u16 too. */
export type IntHeaderKey = (typeof IntHeaderKey)[keyof typeof IntHeaderKey];
