'use strict';
// The processes of the SDK suite: swr-sim and swr-sync-exporter as real processes on 127.0.0.1,
// port 0, each log kept for the secret scan (tests/secrets) in the format of
// tests/secrets/test-logs.sh: manifest/NAME when the process starts, NAME once it is gone.

const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// swr-sim's defaults, which tests/secrets/known-secrets.txt lists; the wrong key is listed there
// too. The suite never prints a secret key.
const ACCESS_KEY = 'SIMACCESSKEY0000';
const SECRET_KEY = 'sim-secret-key';
const WRONG_SECRET_KEY = 'not-the-right-secret';
const PROJECT_ID = '0b5c1f0e3d0e4f3c9d6c8e2a7b1f4e5d';
const REGION = 'cn-north-4';

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through CTest (tests/sdk)`);
  return value;
}

// A fresh directory, removed when the test file's process ends (SDK_KEEP=1 keeps it).
function workDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swr-sdk-${name}-`));
  process.on('exit', () => {
    if (process.env.SDK_KEEP === '1') {
      process.stderr.write(`kept ${dir}\n`);
    } else {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
  return dir;
}

function testLogClaim(pid, argv) {
  const logDir = process.env.SWR_TEST_LOG_DIR;
  if (!logDir) return '';
  const name = `${path.basename(argv[0])}-${pid}-by-sdk-${process.pid}.log`;
  fs.mkdirSync(path.join(logDir, 'manifest'), {recursive: true});
  fs.writeFileSync(path.join(logDir, 'manifest', name), `${argv.join(' ')}\n`);
  return path.join(logDir, name);
}

function testLogKeep(file, code, stdout, stderr, argv) {
  if (!file) return;
  const lines = (text) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  fs.writeFileSync(
      file,
      `# argv: ${argv.join(' ')}\n# exit: ${code}\n# --- stdout\n` +
          `${lines(stdout)}# --- stderr\n${lines(stderr)}`);
}

// One child process: its output collected, its log kept once it has exited.
class Child {
  constructor(argv, options = {}) {
    this.argv = argv;
    this.stdout = '';
    this.stderr = '';
    this.process = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.logFile = testLogClaim(this.process.pid, argv);
    this.process.stdout.setEncoding('utf8');
    this.process.stderr.setEncoding('utf8');
    this.process.stdout.on('data', (chunk) => {
      this.stdout += chunk;
    });
    this.process.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve, reject) => {
      this.process.on('error', reject);
      // 'close': the exit and the end of both pipes, so the output is complete.
      this.process.on('close', (code, signal) => {
        const exit = code ?? signal;
        testLogKeep(this.logFile, exit, this.stdout, this.stderr, argv);
        resolve(exit);
      });
    });
    this.exited.catch(() => {});
  }

  // Waits for a line of stdout matching `re` while the process runs; returns the match.
  async waitForLine(re, seconds, what) {
    const deadline = Date.now() + seconds * 1000;
    let gone = false;
    this.exited.then(
        () => {
          gone = true;
        },
        () => {
          gone = true;
        });
    for (;;) {
      const match = this.stdout.match(re);
      if (match) return match;
      if (gone) throw new Error(`${what} exited before it was ready:\n${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) {
        throw new Error(
            `${what}: no line matching ${re} within ${seconds}s:\n${this.stderr.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // TERM, then KILL after 5 s.
  async stop() {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async exit(seconds, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        reject(
            new Error(`${what} did not finish within ${seconds}s:\n${this.stderr.slice(-2000)}`));
      }, seconds * 1000);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

// swr-sim over `world` (the data-file format of sim/world.cpp), on 127.0.0.1:0.
async function startSim(dir, world, extraToml = '') {
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify(world, null, 1));
  fs.writeFileSync(
      path.join(dir, 'sim.toml'),
      `listen = "127.0.0.1:0"\ndata = "${path.join(dir, 'world.json')}"\n` +
          `region = "${REGION}"\nproject_id = "${PROJECT_ID}"\n${extraToml}`);
  const sim =
      new Child([requiredEnv('SWR_SIM_BIN'), '--config', path.join(dir, 'sim.toml'), '--verbose']);
  try {
    const match =
        await sim.waitForLine(/swr-sim listening on (http:\/\/127\.0\.0\.1:(\d+))/, 15, 'swr-sim');
    sim.url = match[1];
    sim.port = Number(match[2]);
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return sim;
}

// One poll cycle of the exporter (--once, debug level for the secret scan).
async function runExporterOnce(dir, configToml) {
  const config = path.join(dir, 'exporter.toml');
  fs.writeFileSync(config, configToml);
  const exporter = new Child(
      [requiredEnv('SWR_EXPORTER_BIN'), '--config', config, '--once', '--log.level', 'debug'],
      {cwd: dir});
  const code = await exporter.exit(60, 'swr-sync-exporter --once');
  return {code, stdout: exporter.stdout, stderr: exporter.stderr};
}

module.exports = {
  ACCESS_KEY,
  SECRET_KEY,
  WRONG_SECRET_KEY,
  PROJECT_ID,
  REGION,
  workDir,
  startSim,
  runExporterOnce,
};
