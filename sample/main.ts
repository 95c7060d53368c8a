// `npm start`: the whole demo in one process. Starts the sample TestService server (on
// TTSTREAM_PORT, or a free port), runs the client against it, prints the transcript, exits 0.
import { runEchoClient } from './client/run-echo-client.js';
import { startEchoServer } from './server/create-echo-server.js';

const host = process.env['TTSTREAM_HOST'] ?? '127.0.0.1';
const port = Number(process.env['TTSTREAM_PORT'] ?? '0');
const server = await startEchoServer({ host, port }, false);
console.log(`nestjs-ttstream demo: TestService served on ${server.host}:${server.port}`);
console.log('');
try {
  await runEchoClient(server.host, server.port, (line) => {
    console.log(line);
  });
} finally {
  await server.app.close();
}
console.log('');
console.log('demo finished');
