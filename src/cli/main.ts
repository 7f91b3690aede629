/**
 * The command line (docs/contracts.md "Command line"). `main(argv)` parses, runs one command and
 * returns the exit code; it never calls `process.exit`, and every stream, the environment and
 * the working directory can be injected, so tests run it in-process.
 *
 * Exit codes: 0 success; 1 `--fail-on` threshold reached; 2 bad usage, unreadable input or any
 * other error, always as ONE line on stderr (the stack only with DEBUG set).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { findPackageRoot, processEnvironment, type Environment } from '../config';
import { errorMessage, InputError } from '../core/errors';
import { redactSecrets } from '../core/redaction';
import { systemClock, type Clock } from '../core/ports';
import { defaultAuditDeps, registerAudit, type AuditCommandDeps } from './commands/audit';
import { registerChecks } from './commands/checks';
import { registerExemptions, type OpenExemptions } from './commands/exemptions';

// Re-exported for modules that located it here first; it lives in config to avoid import cycles.
export { findPackageRoot };

export const PROGRAM_NAME = 'aks-identity-auditor';
const MAX_TABLE_WIDTH = 100;

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width, when a TTY. */
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream;
  env: Environment;
  cwd: string;
  clock: Clock;
}

/** What every command receives. */
export interface CommandContext extends CliIo {
  /** Where package.json, samples/ and the built code live. */
  packageRoot: string;
  packageVersion: string;
  /** Homepage or repository URL from package.json, if it declares one. */
  informationUri?: string;
  /** One line on stderr, always (warnings, the sample-estate announcement). */
  warn(line: string): void;
  /** One line on stderr only when stderr is a TTY: stdout carries only the report. */
  progress(line: string): void;
  /** Colour for stdout: a TTY and NO_COLOR unset or empty. */
  colorStdout: boolean;
  /** Columns for tables on stdout: 100, or the terminal's width when narrower. */
  tableWidth: number;
  setExitCode(code: number): void;
}

export interface MainOptions extends Partial<CliIo> {
  /** Replaces how `audit` builds sources and opens the store (tests; the --store wiring). */
  auditDeps?: Partial<AuditCommandDeps>;
  /** Replaces how `exemptions` opens the store (tests). */
  openExemptions?: OpenExemptions;
}

export async function main(argv: string[], io: MainOptions = {}): Promise<number> {
  const ctx = createContext(io);
  let exitCode = 0;
  ctx.setExitCode = (code) => {
    exitCode = code;
  };

  if (argv.length === 0) {
    ctx.warn(`${PROGRAM_NAME}: missing command (audit, checks, serve or event); try --help`);
    return 2;
  }

  const program = new Command(PROGRAM_NAME)
    .description('Audit the identity posture of Azure Kubernetes Service clusters.')
    .version(ctx.packageVersion, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      // Commander may append "(Did you mean …?)" on a second line: the contract is one line.
      outputError: (text, write) =>
        write(`${PROGRAM_NAME}: ${oneLine(text.replace(/^error:\s*/, ''))}\n`),
    });

  registerAudit(program, ctx, { ...defaultAuditDeps, ...io.auditDeps });
  registerChecks(program, ctx);
  registerExemptions(program, ctx, io.openExemptions);
  registerServe(program, ctx);
  registerEvent(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, ctx);
  }
}

function reportError(error: unknown, ctx: CommandContext): number {
  if (error instanceof CommanderError) {
    // Help and version are successes; everything else commander already printed as one line.
    const success =
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      (error.code === 'commander.help' && error.exitCode === 0);
    return success ? 0 : 2;
  }
  if (error instanceof InputError) {
    ctx.warn(`${PROGRAM_NAME}: ${oneLine(error.message)}`);
    return 2;
  }
  ctx.warn(`${PROGRAM_NAME}: ${oneLine(errorMessage(error))}`);
  if (ctx.env.DEBUG && error instanceof Error && error.stack) ctx.warn(error.stack);
  return 2;
}

let ignoringClosedStdout = false;

/** `aks-identity-auditor audit … | head` closes the pipe early: that is the reader's choice, not an error. */
function ignoreClosedStdout(): void {
  if (ignoringClosedStdout) return;
  ignoringClosedStdout = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

function createContext(io: Partial<CliIo>): CommandContext {
  if (!io.stdout) ignoreClosedStdout();
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? processEnvironment();
  const packageRoot = findPackageRoot(__dirname);
  const pkg = readPackageJson(packageRoot);
  return {
    stdout,
    stderr,
    stdin: io.stdin ?? process.stdin,
    env,
    cwd: io.cwd ?? process.cwd(),
    clock: io.clock ?? systemClock,
    packageRoot,
    packageVersion: pkg.version,
    informationUri: pkg.informationUri,
    // Every line on stderr (errors, warnings, the runtime's log) goes through the one redaction.
    warn: (line) => stderr.write(`${redactSecrets(line)}\n`),
    progress: (line) => {
      if (stderr.isTTY) stderr.write(`${redactSecrets(line)}\n`);
    },
    colorStdout: Boolean(stdout.isTTY) && !env.NO_COLOR,
    tableWidth:
      stdout.isTTY && stdout.columns ? Math.min(MAX_TABLE_WIDTH, stdout.columns) : MAX_TABLE_WIDTH,
    setExitCode: () => undefined,
  };
}

function readPackageJson(root: string): { version: string; informationUri?: string } {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version?: string;
      homepage?: string;
      repository?: string | { url?: string };
    };
    const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    const informationUri = [
      pkg.homepage,
      repository?.replace(/^git\+/, '').replace(/\.git$/, ''),
    ].find((u) => u && /^https:\/\//.test(u));
    return { version: pkg.version ?? '0.0.0', informationUri };
  } catch {
    return { version: '0.0.0' };
  }
}

export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  }
  return Number(value);
}

/**
 * `serve` and `event` build the whole runtime (store, Azure SDK clients): their modules are
 * loaded only when one of them runs, so `audit` and `checks` start without that weight.
 */
function loadServe(): typeof import('./commands/serve') {
  return require('./commands/serve') as typeof import('./commands/serve');
}

function loadEvent(): typeof import('./commands/event') {
  return require('./commands/event') as typeof import('./commands/event');
}

function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description(
      'run the local Functions-compatible host: HTTP API, Event Grid webhook and nightly schedule (npm start)',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (default: PORT or 7071)').argParser(parsePort),
    )
    .action(async (options: { port?: number }) => {
      ctx.setExitCode(await loadServe().serveCommand(options, ctx));
    });
}

function registerEvent(program: Command, ctx: CommandContext): void {
  program
    .command('event')
    .description('process Event Grid / CloudEvents JSON from FILE, or - for stdin')
    .argument('<file>', 'event file, or - for stdin')
    .option('--snapshot <dir>', 'read the estate from az CLI exports in DIR instead of Azure')
    .action(async (file: string, options: { snapshot?: string }) => {
      ctx.setExitCode(await loadEvent().eventCommand(file, options, ctx));
    });
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
