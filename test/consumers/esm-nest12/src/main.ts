// An ES module app ("type": "module", TypeScript module nodenext): the package loads through
// the `import` condition.
import { join } from 'node:path';
import { main } from './check-stream.js';

await main('esm-nest12', join(import.meta.dirname, '..', 'counter.thrift'));
