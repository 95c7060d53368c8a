#!/usr/bin/env node
// The `nestjs-ttstream` command (package.json "bin"): `nestjs-ttstream gen <idl> --out <dir>`.
import { runCli } from './run-cli.js';

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
