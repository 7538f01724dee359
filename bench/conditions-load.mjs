// Bounded HTTP load generator for the conditions benchmark, run as a child process so it has its own core and the
// server's CPU time can be measured alone. `connections` keep-alive sockets, each issuing one request after the other
// (closed loop) for `durationS` seconds after a warm-up; records every latency.
// Input: JSON on stdin { url, paths, connections, durationS, warmupS, headers }; output: one JSON line on stdout.
import http from 'node:http';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, paths, connections, durationS, warmupS, headers } = JSON.parse(input);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

let measuring = false;
let stop = false;
const latencies = [];
let errors = 0;
let statuses = {};
let bytes = 0;

function once(path) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: target.hostname, port: target.port, path, agent, headers }, (res) => {
      res.on('data', (c) => {
        if (measuring) bytes += c.length;
      });
      res.on('end', () => {
        if (measuring) {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        }
        resolve();
      });
    });
    req.on('error', () => {
      if (measuring) errors++;
      resolve();
    });
    req.end();
  });
}

async function user(k) {
  let i = k;
  while (!stop) {
    i = (i * 1103515245 + 12345) % 2147483648;
    await once(paths[i % paths.length]);
  }
}

const users = Array.from({ length: connections }, (_, k) => user(k + 1));
await new Promise((r) => setTimeout(r, warmupS * 1000));
measuring = true;
process.stdout.write('{"event":"start"}\n');
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, durationS * 1000));
measuring = false;
process.stdout.write('{"event":"end"}\n');
const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
stop = true;
await Promise.all(users);
agent.destroy();
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
process.stdout.write(JSON.stringify({
  requests: latencies.length,
  elapsedS: elapsed,
  rps: latencies.length / elapsed,
  p50: q(0.5),
  p90: q(0.9),
  p99: q(0.99),
  max: latencies[latencies.length - 1],
  errors,
  statuses,
  mbPerS: bytes / elapsed / 1e6,
}) + '\n');
