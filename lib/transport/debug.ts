import { debuglog } from 'node:util';

/** `NODE_DEBUG=ttstream` logger of the transport layer. @internal not covered by semver */
export const debug = debuglog('ttstream');
