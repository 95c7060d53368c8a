// A CommonJS app (no "type" field, TypeScript module commonjs): `import` compiles to require(),
// and the package (ESM without top-level await) loads through the `require` condition.
import { join } from 'node:path';
import { main } from './check-stream.js';

void main('cjs-nest12', join(__dirname, '..', 'counter.thrift'));
