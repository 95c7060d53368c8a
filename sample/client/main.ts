// Runs the client demo against a server already running (TTSTREAM_HOST/TTSTREAM_PORT).
import { serverAddressFromEnv } from '../server/create-echo-server.js';
import { runEchoClient } from './run-echo-client.js';

const { host, port } = serverAddressFromEnv();
await runEchoClient(host, port, (line) => {
  console.log(line);
});
