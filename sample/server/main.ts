// `npm run sample:server`: serves TestService on TTSTREAM_HOST:TTSTREAM_PORT (127.0.0.1:8888)
// until SIGINT or SIGTERM, then shuts down gracefully. TTSTREAM_FRAME_TIMEOUT_MS and
// TTSTREAM_FIRST_FRAME_TIMEOUT_MS set the read timeouts (see transportOptionsFromEnv).
import {
  serverAddressFromEnv,
  startEchoServer,
  transportOptionsFromEnv,
} from './create-echo-server.js';

const server = await startEchoServer(serverAddressFromEnv(), undefined, transportOptionsFromEnv());

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing (in-flight streams may finish)...`);
  server.app.close().then(
    () => {
      console.log('closed');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => {
  stop('SIGINT');
});
process.on('SIGTERM', () => {
  stop('SIGTERM');
});
// Announced only once the handlers are in place: whoever waits for this line (a supervisor, the
// tests) may signal at once, and a signal before them would kill the process without a close.
console.log(`TestService listening on ${server.host}:${server.port} (Ctrl-C to stop)`);
